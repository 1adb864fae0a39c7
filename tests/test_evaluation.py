"""Evaluation: the scoring rules, corpus discovery, the report, and a run over a tiny corpus."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.evaluation import Case, EvalReport, find_cases, format_report, run_eval
from invoice_extractor.model import Invoice, LineItem, Party, Payment
from invoice_extractor.scoring import (
    CaseScore,
    FieldResult,
    ItemCounts,
    amounts_equal,
    match_line_items,
    names_match,
    normalize_id,
    normalize_name,
    score_case,
    score_line_items,
    values_match,
)

if TYPE_CHECKING:
    from conftest import InstallPipeline, MakePdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# --- single values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("ACME GmbH", "ACME GmbH."),
        ("Calendly LLC", "CALENDLY, LLC"),
        ("Müller GmbH", "MÜLLER  GMBH"),
        ("ＡＣＭＥ GmbH", "ACME GmbH"),  # NFKC: full-width letters
        ("S.A.R.L. Dupont", "SARL Dupont"),
        ("Müller-Lüdenscheidt AG", "Müller Lüdenscheidt AG"),
        ("Abderraouf", "Abderraouf SARL"),  # contained, 10 of 15 characters
        ("Muster Software GmbH", "Software Muster GmbH"),  # same words
        ("Lieferant Nord GmbH Berlin", "Lieferant Nord GmbH Hamburg Berlin"),  # Jaccard 0.8
    ],
)
def test_names_match_leniently(expected: str, got: str) -> None:
    assert names_match(expected, got)
    assert names_match(got, expected)


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("AB", "AB Consulting Group International"),  # contained, but far too short
        ("Ama", "Amazon Web Services"),  # not a whole word
        ("ACME GmbH", "Other GmbH"),
        ("ACME GmbH", ""),
        ("ACME", "..."),
    ],
)
def test_names_do_not_match_when_different(expected: str, got: str) -> None:
    assert not names_match(expected, got)


def test_normalize_name_drops_punctuation_and_case() -> None:
    assert normalize_name("  ACME,\nGmbH & Co. KG ") == "acme gmbh co kg"


def test_ids_ignore_spaces_and_case() -> None:
    assert normalize_id("DE 123 456\t789") == normalize_id("de123456789")
    assert values_match("iban", "DE02 1203 0000 0000 2020 51", "de02120300000000202051")
    assert values_match("seller_vat_id", "FR 12 345678901", "FR12345678901")
    assert not values_match("invoice_number", "F-2024-1", "F2024-1")  # other characters count


@pytest.mark.parametrize(
    ("expected", "got", "equal"),
    [
        ("10.00", Decimal("10"), True),
        ("10.00", Decimal("10.001"), False),
        ("1939.00", Decimal("1939.0"), True),
        (1939.0, Decimal("1939.00"), True),
        ("-5.50", Decimal("-5.5"), True),
        ("abc", Decimal("1"), False),
        ("NaN", Decimal("NaN"), False),
        ("10.00", None, False),
    ],
)
def test_amounts_are_exact_decimals(expected: Any, got: Decimal | None, equal: bool) -> None:
    assert amounts_equal(expected, got) is equal
    assert values_match("total", expected, got) is equal


def test_dates_currency_and_missing_values() -> None:
    assert values_match("issue_date", "2024-11-30", date(2024, 11, 30))
    assert not values_match("issue_date", "2024-11-30", date(2024, 11, 29))
    assert values_match("currency", "eur", "EUR")
    assert not values_match("currency", "EUR", "USD")
    assert not values_match("seller_name", "ACME", None)  # a missing prediction is wrong


# --- line items -------------------------------------------------------------------------------


def _item(description: str | None, amount: str | None) -> LineItem:
    return LineItem(description=description, amount=None if amount is None else Decimal(amount))


def test_items_match_by_amount_and_description_overlap() -> None:
    truth: list[dict[str, Any]] = [
        {"description": "Widget", "amount": "100.00"},
        {"description": "Consulting services, March", "amount": "50"},
        {"description": "Hosting", "amount": "7.00"},
        {"description": "Setup", "amount": None},
    ]
    predicted = [
        _item("Hosting fee", "7.00"),  # overlap 1/1 with the shorter side
        _item("WIDGET blue, large", "100"),
        _item("Consulting", "51.00"),  # amount differs
        _item(None, "50.00"),  # no description
        _item("Setup", None),  # no amount on either side: the descriptions decide
    ]
    assert match_line_items(predicted, truth) == [(0, 2), (1, 0), (4, 3)]


def test_a_truth_row_without_an_amount_matches_on_the_prices_it_gives() -> None:
    truth: list[dict[str, Any]] = [
        {"description": "Mail hosting May", "quantity": "1", "unit_price": "3.89"},
        {"description": "Data transfer", "unit_price": "0.01"},
        {"description": "Storage", "unit_price": "2.22"},
        {"description": "Support"},  # nothing to compare a printed amount with
    ]
    predicted = [
        LineItem(
            description="Mail hosting",
            quantity=Decimal(1),
            unit_price=Decimal("3.89"),
            amount=Decimal("3.89"),
        ),
        _item("Data transfer", "0.01"),  # no quantity: its amount is its unit price
        LineItem(description="Storage", quantity=Decimal(2), amount=Decimal("2.22")),
        _item("Support", "5.00"),
    ]
    assert match_line_items(predicted, truth) == [(0, 0), (1, 1)]


def test_line_item_matching_is_one_to_one_in_order() -> None:
    truth = [{"description": "Fee", "amount": "10"}]
    predicted = [_item("Fee", "10"), _item("Fee", "10.00")]
    assert match_line_items(predicted, truth) == [(0, 0)]
    counts = score_line_items(predicted, truth)
    assert (counts.precision, counts.recall) == (0.5, 1.0)
    assert counts.f1 == pytest.approx(2 / 3)


def test_line_item_precision_recall_f1_on_hand_made_lists() -> None:
    rows = [("Apples", "100"), ("Pears", "50"), ("Plums", "3"), ("Figs", "1")]
    truth = [{"description": description, "amount": amount} for description, amount in rows]
    predicted = [_item("Apples", "100"), _item("Pears", "50"), _item("Cherries", "7")]
    counts = score_line_items(predicted, truth)
    assert counts == ItemCounts(matched=2, predicted=3, expected=4)
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == pytest.approx(0.5)
    assert counts.f1 == pytest.approx(4 / 7)


def test_item_counts_add_up_and_survive_zeroes() -> None:
    total = ItemCounts(1, 2, 3) + ItemCounts(2, 2, 2)
    assert total == ItemCounts(3, 4, 5)
    assert ItemCounts().precision == ItemCounts().recall == ItemCounts().f1 == 0.0


# --- one document -----------------------------------------------------------------------------

RECOMMENDED = [
    "invoice_number", "issue_date", "due_date", "seller_name", "iban", "total", "line_items",
]  # fmt: skip
TRUTH: dict[str, Any] = {
    "invoice_number": "F-1",
    "issue_date": "2024-11-30",
    "seller_name": "ACME GmbH",
    "iban": "DE02 1203 0000 0000 2020 51",
    "total": "10.00",
    "due_date": None,
    "buyer_name": "Not recommended, not scored",
    "line_items": [{"description": "Test", "amount": "10.00"}],
    "_qc": {"recommended_fields_for_visual_eval": RECOMMENDED},
}


def _prediction(**changes: Any) -> Invoice:
    invoice = Invoice(
        file="x.pdf",
        pages=[1],
        invoice_number="F-1",
        issue_date=date(2024, 11, 30),
        seller=Party(name="ACME GmbH"),
        payment=Payment(iban="DE02120300000000202051"),
        total=Decimal("10"),
        line_items=[_item("TEST", "10.00")],
    )
    return invoice.model_copy(update=changes)


def test_score_case_scores_recommended_non_null_fields_only() -> None:
    score = score_case("a/x.pdf", TRUTH, [_prediction(invoice_number="F-2")])
    fields = [r.field for r in score.fields]  # due_date is null, buyer_name not recommended
    assert fields == ["invoice_number", "issue_date", "seller_name", "iban", "total"]
    assert [r.correct for r in score.fields] == [False, True, True, True, True]
    assert score.fields[0] == FieldResult("invoice_number", "F-1", "F-2", False)
    assert score.items == ItemCounts(1, 1, 1) and score.error is None


def test_score_case_uses_the_invoice_on_page_one() -> None:
    later = _prediction(pages=[2], total=Decimal("99"))
    score = score_case("a/x.pdf", TRUTH, [later, _prediction(pages=[1])])
    assert all(r.correct for r in score.fields)


def test_a_failed_extraction_gets_every_field_wrong() -> None:
    failed = Invoice.failed("x.pdf", "x.pdf: the PDF cannot be read")
    score = score_case("a/x.pdf", TRUTH, [failed])
    assert score.error == "x.pdf: the PDF cannot be read"
    assert len(score.fields) == 5 and not any(r.correct for r in score.fields)
    assert score.items == ItemCounts(0, 0, 1)
    assert score.missed_items == ["'Test' = 10.00"]
    assert score_case("a/x.pdf", TRUTH, []).error == "no invoice returned"


# --- discovery --------------------------------------------------------------------------------


# Y.visual.pdf, Q.pdf and s3.jpg have no truth file: they are not cases.
CORPUS_FILES = [
    "vendor-a/X.pdf", "vendor-a/X.visual.pdf", "vendor-a/X.embedded.xml", "vendor-a/X.truth.json",
    "vendor-a/Y.pdf", "vendor-a/Y.visual.pdf", "vendor-a/Y.embedded.xml",
    "vendor-b/P.pdf", "vendor-b/P.truth.json", "vendor-b/Q.pdf",
    "invoice2data/I.pdf", "invoice2data/I.truth.json", "invoice2data/I.expected.json",
    "parsee-invoices/R.pdf", "parsee-invoices/R.truth.json",
    "sroie/s1.jpg", "sroie/s1.ocr.txt", "sroie/s1.truth.json", "sroie/s2.png",
    "sroie/s2.truth.json", "sroie/s3.jpg",
]  # fmt: skip


PLAIN_IDS = ["invoice2data/I.pdf", "parsee-invoices/R.pdf", "vendor-b/P.pdf"]


@pytest.fixture
def corpus(tmp_data_dir: Path) -> Path:
    """The corpus layout in miniature: tiny fake files, nothing copied from the real corpus."""
    for name in CORPUS_FILES:
        path = tmp_data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}" if name.endswith(".json") else b"x")
    return tmp_data_dir


@pytest.mark.parametrize(
    ("subset", "ids"),
    [
        ("einvoice", ["vendor-a/X.visual.pdf"]),
        ("i2d", ["invoice2data/I.pdf"]),
        ("parsee", ["parsee-invoices/R.pdf"]),
        ("sroie", ["sroie/s1.jpg", "sroie/s2.png"]),
        ("plain", PLAIN_IDS),
        (None, [*PLAIN_IDS[:2], "vendor-a/X.visual.pdf", PLAIN_IDS[2]]),
    ],
)
def test_find_cases_by_subset(corpus: Path, subset: str | None, ids: list[str]) -> None:
    cases = find_cases(corpus, subset)
    assert [case.id for case in cases] == ids
    assert cases == find_cases(corpus, subset)  # deterministic


def test_cases_pair_each_input_with_its_truth(corpus: Path) -> None:
    (case,) = find_cases(corpus, "einvoice")
    assert case == Case(corpus / "vendor-a/X.visual.pdf", corpus / "vendor-a/X.truth.json")


def test_unknown_subset_lists_the_valid_ones(corpus: Path) -> None:
    with pytest.raises(ValueError, match="valid: einvoice, i2d, parsee, sroie, plain"):
        find_cases(corpus, "nope")


@pytest.mark.corpus
def test_the_real_corpus_is_discovered() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not present")
    cases = find_cases(CORPUS)
    assert len(cases) >= 50
    assert all(case.truth.is_file() for case in cases)
    assert not any(case.input.with_suffix(".embedded.xml").exists() for case in cases)
    assert find_cases(CORPUS, "sroie") and find_cases(CORPUS, "parsee")


# --- report -----------------------------------------------------------------------------------


def _report() -> EvalReport:
    right = [FieldResult("total", "1", "1", True), FieldResult("seller_name", "A", "A", True)]
    good = CaseScore("v/a.pdf", right, ItemCounts(2, 2, 3), missed_items=["'Fee' = 1.00"])
    wrong = [
        FieldResult("total", "20.00", None, False),
        FieldResult("seller_name", "Beta AG", "Beta\nAG Berlin Hauptstr", False),
    ]
    bad = CaseScore("v/b.pdf", wrong)
    failed = CaseScore(
        "v/c.pdf",
        fields=[FieldResult("total", "5.00", None, False)],
        items=ItemCounts(0, 0, 1),
        error="c.pdf: the PDF cannot be read",
    )
    return EvalReport([good, bad, failed], "embedded", pages=4, seconds=2.0, peak_rss_mb=123.4)


def test_report_figures() -> None:
    report = _report()
    by_field = {s.field: (s.n, s.correct) for s in report.fields}
    assert by_field == {"seller_name": (2, 1), "total": (3, 1)}
    assert [s.field for s in report.fields] == ["seller_name", "total"]  # the model's order
    assert report.header_accuracy == pytest.approx((1 / 2 + 1 / 3) / 2)  # macro, not micro
    assert report.line_items == ItemCounts(2, 2, 4) and report.line_item_documents == 2
    assert report.documents == 3 and [c.case_id for c in report.failed] == ["v/c.pdf"]
    assert report.documents_per_second == 1.5 and report.pages_per_second == 2.0


def test_format_report_is_an_aligned_table() -> None:
    text = format_report(_report())
    lines = text.splitlines()
    assert lines[0].split() == ["field", "n", "correct", "accuracy"]
    assert lines[1].split() == ["seller_name", "2", "1", "50.0%"]
    assert lines[2].split() == ["total", "3", "1", "33.3%"]
    assert lines[3].split() == ["header", "(macro)", "41.7%"]
    assert len({len(line) for line in lines[:3]}) == 1  # columns line up
    assert "F1" in text and "50.0%" in text and "66.7%" in text  # line items P, R... F1 = 2/3
    assert "3 documents, 4 pages, 1 failed" in text
    assert "1.50 documents/s" in text and "peak RSS 123 MB" in text
    assert "wrong values" not in text  # listed only with verbose


def test_verbose_report_lists_every_wrong_value_by_document() -> None:
    text = format_report(_report(), verbose=True)
    wrong = text[text.index("wrong values") :]
    assert "v/a.pdf\n  line_items  missed 'Fee' = 1.00" in wrong
    assert "  total        expected '20.00'    got None" in wrong
    assert "got 'Beta\\nAG Berlin Hauptstr'" in wrong  # the line break stays visible
    assert "v/c.pdf\n  FAILED: c.pdf: the PDF cannot be read" in wrong


def test_report_to_dict_is_json() -> None:
    data = json.loads(json.dumps(_report().to_dict()))
    assert data["documents"] == 3 and data["failed"] == 1 and data["pages"] == 4
    assert data["header_accuracy"] == pytest.approx(0.4167)
    assert data["fields"][1] == {"field": "total", "n": 3, "correct": 1, "accuracy": 0.3333}
    assert data["line_items"]["matched"] == 2 and data["line_items"]["recall"] == 0.5
    assert data["cases"][2]["error"] == "c.pdf: the PDF cannot be read"
    assert data["cases"][1]["line_items"] is None


# --- runs -------------------------------------------------------------------------------------


def _write_truth(path: Path, **fields: Any) -> None:
    recommended = [name for name, value in fields.items() if value is not None]
    truth = {**fields, "_qc": {"recommended_fields_for_visual_eval": recommended}}
    path.write_text(json.dumps(truth), encoding="utf-8")


def test_run_eval_scores_each_case_and_counts_pages(
    tmp_data_dir: Path, fake_pipeline: InstallPipeline
) -> None:
    for stem in ("one", "two", "bad"):
        (tmp_data_dir / f"{stem}.pdf").write_bytes(b"%PDF-1.7")
        _write_truth(tmp_data_dir / f"{stem}.truth.json", invoice_number=stem.upper(), total="1")

    def extract_file(path: Path, **_: Any) -> list[Invoice]:
        if path.stem == "bad":
            return [Invoice.failed(path.name, "broken")]
        if path.stem == "one":  # two invoices in one file: the one on page 1 is scored
            return [
                Invoice(file=path.name, pages=[1, 2], invoice_number="ONE", total=Decimal("1.0")),
                Invoice(file=path.name, pages=[3], invoice_number="X"),
            ]
        return [Invoice(file=path.name, pages=[1], invoice_number="two", total=Decimal("2"))]

    fake_pipeline(extract_file)
    seen: list[tuple[int, int, str]] = []
    cases = find_cases(tmp_data_dir, "plain")
    report = run_eval(cases, progress=lambda *args: seen.append(args))
    assert seen == [(1, 3, "data/bad.pdf"), (2, 3, "data/one.pdf"), (3, 3, "data/two.pdf")]
    assert report.documents == 3 and report.pages == 1 + 3 + 1
    assert {s.field: s.correct for s in report.fields} == {"invoice_number": 2, "total": 1}
    assert report.seconds > 0 and report.peak_rss_mb > 1 and report.extractor == "embedded"


def test_run_eval_runs_the_real_pipeline(tmp_data_dir: Path, make_pdf: MakePdf) -> None:
    """Needs the engine: a clean one-page invoice must come out of the pipeline without failing."""
    make_pdf(
        [["ACME GmbH", "Invoice number: INV-1001", "Date: 2024-03-31", "Total: 119.00 EUR"]],
        "acme.visual.pdf",
        directory=tmp_data_dir / "vendor",
    )
    _write_truth(tmp_data_dir / "vendor/acme.truth.json", invoice_number="INV-1001", total="119.00")
    report = run_eval(find_cases(tmp_data_dir, "einvoice"))
    assert report.documents == 1 and report.pages == 1
    assert report.failed == [], report.failed[0].error
    assert {s.field: s.n for s in report.fields} == {"invoice_number": 1, "total": 1}
