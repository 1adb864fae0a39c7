"""The engine's stages on small hand-built pages: document context, candidate generation, ranker
features, tree inference, calibration, the joint party choice, folds, and the ``ok`` threshold."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoice_extractor.extract.embedded.candidates import RANKED_FIELDS, collect_candidates
from invoice_extractor.extract.embedded.context import DocumentContext
from invoice_extractor.extract.embedded.engine import _pair_parties
from invoice_extractor.extract.embedded.features import FEATURES, field_features
from invoice_extractor.extract.embedded.fields import Candidate
from invoice_extractor.extract.embedded.ranker import (
    Calibration,
    RankerModel,
    active_model,
    calibration_for,
    calibration_key,
    platt,
    using_model,
)
from invoice_extractor.extract.grounding import PageText
from invoice_extractor.ingest.document import Page, Word
from invoice_extractor.ingest.layout import build_lines
from invoice_extractor.model import Evidence, Invoice
from invoice_extractor.validate import strip_check_warnings, validate


def page(rows: list[tuple[float, float, str]], number: int = 1) -> Page:
    """A page from (x, y, text) cells: each cell's words 6 pt apart, 10 pt high."""
    words: list[Word] = []
    for x, y, text in rows:
        for token in text.split():
            width = 5.5 * len(token)
            words.append(Word(token, x, y, x + width, y + 10, number))
            x += width + 3
    return Page(number, 595.0, 842.0, words, build_lines(words))


INVOICE = [
    (50, 40, "ACME Trading GmbH"),
    (50, 120, "Beispiel Kunde AG"),
    (50, 132, "Hauptstraße 5"),
    (50, 144, "10115 Berlin"),
    (350, 120, "Invoice No: INV-2024-17"),
    (350, 132, "Invoice date: 03/04/2024"),
    (350, 144, "Due date: 03/05/2024"),
    (50, 400, "Subtotal 100.00"),
    (50, 412, "VAT 19% 19.00"),
    (50, 424, "Total 119.00"),
]


def test_context_is_built_once_and_shared_with_grounding() -> None:
    pages = [page([*INVOICE, (50, 500, "Delivered 13/04/2024")])]
    ctx = DocumentContext.build(pages)
    assert DocumentContext.build(pages) is ctx
    # A first part above 12 makes the page day-first; grounding reads it the same way.
    assert ctx.date_order == PageText(pages).date_order
    assert ctx.decimal_sep == PageText(pages).decimal_sep == "."


def test_candidates_come_from_every_rule_with_their_source() -> None:
    found = collect_candidates(DocumentContext.build([page(INVOICE)]))
    assert set(found) == set(RANKED_FIELDS)
    numbers = {(c.value, c.source) for c in found["invoice_number"]}
    assert ("INV-2024-17", "labelled") in numbers
    assert {c.value for c in found["total"]} == {Decimal("119.00")}
    assert {c.value for c in found["issue_date"]} >= {date(2024, 4, 3)}
    sellers = {c.value for c in found["seller.name"]}
    assert "ACME Trading GmbH" in sellers
    # Unlabelled blocks are proposed for both parties: the ranker decides which is which.
    assert "Beispiel Kunde AG" in {c.value for c in found["buyer.name"]}
    labelled = next(c for c in found["invoice_number"] if c.source == "labelled")
    assert labelled.label_box is not None and labelled.where == "right"


def test_features_describe_each_candidate() -> None:
    ctx = DocumentContext.build([page(INVOICE)])
    found = collect_candidates(ctx)
    rows = field_features(ctx, "seller.name", found["seller.name"], found)
    assert len(rows) == len(found["seller.name"])
    assert all(len(r) == len(FEATURES) for r in rows)
    named = dict(
        zip(
            FEATURES,
            rows[[c.value for c in found["seller.name"]].index("ACME Trading GmbH")],
            strict=True,
        )
    )
    assert named["field=seller.name"] == 1.0 and named["kind=name"] == 1.0
    assert named["legal_form"] == 1.0
    assert named["y"] < 0.1  # the letterhead stands at the top
    totals = dict(
        zip(FEATURES, field_features(ctx, "total", found["total"], found)[0], strict=True)
    )
    assert totals["kind=amount"] == 1.0 and totals["where_right"] == 1.0
    assert totals["label_dx"] > 0  # the value stands right of its label


def _model(trees: tuple[object, ...], threshold: float = 0.9) -> RankerModel:
    return RankerModel(FEATURES, trees, ok_threshold=threshold)  # type: ignore[arg-type]


def test_trees_sum_leaves_then_logistic() -> None:
    rule = FEATURES.index("rule_score")
    model = _model(([rule, 0.5, -1.0, 2.0], 0.5))
    low, high = [0.0] * len(FEATURES), [0.0] * len(FEATURES)
    high[rule] = 0.9
    assert model.probability(low) == pytest.approx(1 / (1 + 2.718281828**0.5), rel=1e-6)
    assert model.probability(high) == pytest.approx(1 / (1 + 2.718281828**-2.5), rel=1e-6)


def test_model_file_round_trips_and_refuses_other_features() -> None:
    model = RankerModel(
        FEATURES, ([0, 0.5, -1.0, 1.0],), {"total": Calibration((0.0, 0.5), (0.1, 0.8))}, 0.93
    )
    again = RankerModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model
    data = model.to_json()
    data["features"] = ["something", "else"]
    with pytest.raises(ValueError, match="other features"):
        RankerModel.from_json(data)


def test_the_packaged_model_loads() -> None:
    model = active_model()
    assert model is not None and len(model.trees) > 10
    assert 0.5 <= model.ok_threshold < 1.0


def test_platt_calibration_is_monotone_and_follows_the_data() -> None:
    # Raw 0.9 right 60% of the time, raw 0.3 right 20%: overconfident scores get pulled down.
    points = [(0.9, i < 6) for i in range(10)] * 5 + [(0.3, i < 2) for i in range(10)] * 5
    cal = platt(points)
    assert list(cal.ys) == sorted(cal.ys)
    assert cal(0.9) == pytest.approx(0.6, abs=0.06)
    assert cal(0.3) == pytest.approx(0.2, abs=0.06)


def test_seller_and_buyer_are_chosen_as_a_pair_of_different_names() -> None:
    def cand(name: str, score: float) -> Candidate[str]:
        return Candidate(name, [Word(name, 0, 0, 10, 10)], score)

    seller, buyer = _pair_parties(
        [cand("ACME GmbH", 0.9), cand("Kunde AG", 0.5)],
        [cand("ACME GmbH", 0.8), cand("Kunde AG", 0.7)],
    )
    assert (seller and seller.value, buyer and buyer.value) == ("ACME GmbH", "Kunde AG")


def test_totals_that_add_up_are_calibrated_apart() -> None:
    inv = Invoice(file="x", subtotal=Decimal("100"), tax_total=Decimal("19"), total=Decimal("119"))
    assert calibration_key("total", inv) == "total+"
    inv.total = Decimal("120")
    assert calibration_key("total", inv) == "total-"
    assert calibration_key("invoice_number", inv) == "invoice_number"


def _at(bbox: tuple[float, float, float, float], page: int = 1) -> Evidence:
    return Evidence(page=page, bbox=bbox, text="x", confidence=0.9)


def test_a_party_name_whose_own_vat_id_stands_in_its_block_is_calibrated_apart() -> None:
    inv = Invoice(file="x")
    inv.evidence["seller.name"] = _at((50, 80, 150, 90))
    # "N° TVA : FR 11 123 456 782" five lines under the name, the id after its label.
    inv.evidence["seller.vat_id"] = _at((95, 130, 190, 140))
    assert calibration_key("seller.name", inv) == "seller.name+"
    # The buyer's name has no VAT id of its own: not the seller's, printed in another block.
    inv.evidence["buyer.name"] = _at((320, 80, 400, 90))
    assert calibration_key("buyer.name", inv) == "buyer.name-"
    inv.evidence["buyer.vat_id"] = inv.evidence["seller.vat_id"]  # the seller's column
    assert calibration_key("buyer.name", inv) == "buyer.name-"
    for far in ((95, 400, 190, 410), (95, 130, 190, 140)):  # in the footer; on another page
        inv.evidence["seller.vat_id"] = _at(far, page=2 if far[1] == 130 else 1)
        assert calibration_key("seller.name", inv) == "seller.name-"


def test_a_split_key_with_few_examples_falls_back_to_its_own_field() -> None:
    field, pooled = Calibration((0.0,), (0.5,)), Calibration((0.0,), (0.99,))
    cals = {"seller.name": field, "*": pooled}
    assert calibration_for(cals, "seller.name+") is field
    assert calibration_for(cals, "total-") is pooled
    model = RankerModel(FEATURES, (), cals)
    assert model.calibrated("seller.name-", 0.9) == 0.5


def _evidence(confidence: float) -> Evidence:
    return Evidence(page=1, bbox=(0, 0, 1, 1), text="x", confidence=confidence)


def test_low_confidence_needs_review_and_a_confirmation_clears_it() -> None:
    inv = Invoice.model_validate(
        {
            "file": "x",
            "invoice_number": "INV-1",
            "issue_date": "2024-03-05",
            "seller": {"name": "ACME GmbH"},
            "buyer": {"name": "Kunde AG"},
            "total": "10",
        }
    )
    inv.evidence = {"invoice_number": _evidence(0.99), "total": _evidence(0.4)}
    with using_model(_model((0.0,), threshold=0.9)):
        checked = validate(inv)
        assert checked.status.value == "needs_review"
        assert any(w.startswith("UNCERTAIN: total (0.40)") for w in checked.warnings)
        checked.evidence["total"].confidence = 1.0  # what the store does for a correction
        again = validate(strip_check_warnings(checked))
    assert again.status.value == "ok" and again.warnings == []


def test_compiled_trees_equal_walking_them() -> None:
    import random

    from invoice_extractor.extract.embedded.ranker import compile_trees, leaf_sum

    model = active_model()
    assert model is not None
    rng = random.Random(7)
    function = compile_trees(model.trees)
    for _ in range(200):
        row = [rng.choice((0.0, 1.0, rng.random(), rng.uniform(-2, 40))) for _ in FEATURES]
        assert function(row) == pytest.approx(leaf_sum(model.trees, row), abs=1e-9)
    assert compile_trees(())([0.0] * len(FEATURES)) == 0.0


def test_platt_does_not_overshoot_into_a_step_where_right_and_wrong_mix() -> None:
    """Wrong readings among the highest raw scores: the fit is a gentle slope near the share
    right (about 0.9), never a step that calls every score above 0.5 certain (a full Newton
    step from the flat start once overshot there, to a higher loss)."""
    right = [0.3, 0.42] + [0.45 + 0.01 * i for i in range(30)] + [0.95] * 10 + [1.0] * 21
    wrong = [0.21, 0.52, 0.85, 0.92, 0.98, 1.0]
    calibration = platt([(x, True) for x in right] + [(x, False) for x in wrong])
    upper = [calibration(x / 100) for x in range(50, 101)]
    assert all(0.8 < y < 0.97 for y in upper)
    assert upper == sorted(upper)


def test_cached_trees_are_neither_written_nor_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI process finds the trees' code under the trees themselves: it does not write their
    source (thousands of lines) to find it. Another writer of the source is another entry."""
    from invoice_extractor.extract.embedded import ranker

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    trees = ([0, 0.5, 1.0, [1, 2.0, -1.0, 0.25]], 0.125)
    row = [0.7, 3.0] + [0.0] * (len(FEATURES) - 2)
    expected = ranker.leaf_sum(trees, row)
    assert ranker.compile_trees(trees)(row) == expected

    def no_source(*_: object) -> str:
        raise AssertionError("the cached code should have been read")

    monkeypatch.setattr(ranker, "_trees_source", no_source)
    assert ranker.compile_trees(trees)(row) == expected
    monkeypatch.setattr(ranker, "_writer", lambda: "another writer")
    with pytest.raises(AssertionError, match="cached code"):
        ranker.compile_trees(trees)
