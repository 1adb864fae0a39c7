"""The stages that make a reading honest about itself: allowances, charges and prepaid amounts
settled by the sum rules, a confidence discounted by a rival reading, the mandatory fields a
reading must have, and the ``ok`` threshold chosen on the readings rather than the printed ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from invoice_extractor.extract.embedded.engine import contested
from invoice_extractor.extract.embedded.fields import Candidate
from invoice_extractor.extract.embedded.taxes import FoundTax, adding_up
from invoice_extractor.findings import explain
from invoice_extractor.scoring import CaseScore, FieldResult
from invoice_extractor.training.crossval import CrossValidation, HeldOut
from test_engine import HEAD, assert_evidence_on_page, extract_one, stack

if TYPE_CHECKING:
    from conftest import MakePdf


def test_adjustments_between_the_line_sum_and_the_net_total_close_br_co_13(
    make_pdf: MakePdf,
) -> None:
    # No label names them: the amount printed negative is taken off, the other added.
    page = HEAD + stack(
        300,
        ("Subtotal", "180.76 EUR"),
        ("Shipping and packing", "5.80 EUR"),
        ("Loyalty programme", "-9.07 EUR"),
        ("Net total", "177.49 EUR"),
        ("VAT", "20.16 EUR"),
        ("Grand total", "197.65 EUR"),
    )
    invoice = extract_one(make_pdf([page], "adjusted.pdf"))
    assert (invoice.subtotal, invoice.tax_exclusive_total) == (Decimal("180.76"), Decimal("177.49"))
    assert (invoice.allowances, invoice.charges) == (Decimal("9.07"), Decimal("5.80"))
    assert invoice.evidence["allowances"].text == "-9.07 EUR"
    assert not [w for w in invoice.warnings if w.startswith("BR-CO-13")]
    assert_evidence_on_page(invoice)


def test_an_amount_paid_before_between_the_total_and_the_amount_due_closes_br_co_16(
    make_pdf: MakePdf,
) -> None:
    page = HEAD + stack(
        300,
        ("Subtotal", "100.00 EUR"),
        ("VAT 20%", "20.00 EUR"),
        ("Total", "120.00 EUR"),
        ("Voucher 2024-17", "20.00 EUR"),
        ("Amount due", "100.00 EUR"),
    )
    invoice = extract_one(make_pdf([page], "voucher.pdf"))
    assert (invoice.total, invoice.prepaid, invoice.amount_due) == (
        Decimal("120.00"),
        Decimal("20.00"),
        Decimal("100.00"),
    )
    assert not [w for w in invoice.warnings if w.startswith("BR-CO-16")]


def test_a_credit_note_settles_its_allowance_on_the_negated_amounts(make_pdf: MakePdf) -> None:
    page = HEAD + stack(
        300,
        ("Subtotal", "-7.90 EUR"),
        ("Rebate", "0.23 EUR"),
        ("Net total", "-7.67 EUR"),
        ("VAT", "-1.12 EUR"),
        ("Grand total", "-8.79 EUR"),
    )
    invoice = extract_one(make_pdf([page], "credit.pdf"))
    assert (invoice.subtotal, invoice.allowances, invoice.tax_exclusive_total) == (
        Decimal("-7.90"),
        Decimal("-0.23"),
        Decimal("-7.67"),
    )
    assert not [w for w in invoice.warnings if w.startswith("BR-CO-13")]


def test_amounts_that_close_the_sum_in_two_ways_settle_nothing(make_pdf: MakePdf) -> None:
    # 100 + 10 + 5 - 5 and 100 + 10 - 5 + 5 both make 110: which is the allowance is unknown.
    page = HEAD + stack(
        300,
        ("Subtotal", "100.00 EUR"),
        ("Freight", "10.00 EUR"),
        ("Handling", "5.00 EUR"),
        ("Packing", "5.00 EUR"),
        ("Net total", "110.00 EUR"),
        ("VAT", "0.00 EUR"),
        ("Grand total", "110.00 EUR"),
    )
    invoice = extract_one(make_pdf([page], "ambiguous.pdf"))
    assert (invoice.subtotal, invoice.tax_exclusive_total) == (Decimal("100.00"), Decimal("110.00"))
    assert invoice.allowances is None and invoice.charges is None


def _candidate(value: object, score: float) -> Candidate[object]:
    return Candidate(value, [], score)


def test_a_rival_reading_of_another_value_discounts_the_confidence() -> None:
    chosen = _candidate("2013-471331", 0.99)
    alone = contested(chosen, [chosen])
    rivalled = contested(chosen, [chosen, _candidate("2018-471331", 0.9)])
    assert alone == 0.99
    assert abs(rivalled - 0.099) < 1e-9


def test_the_same_value_read_twice_is_no_rival() -> None:
    chosen = _candidate("ACME  GmbH", 0.95)
    assert contested(chosen, [chosen, _candidate("Acme GmbH", 0.9)]) == 0.95


def test_missing_fields_are_explained_on_their_fields() -> None:
    finding = explain("MISSING: invoice_number, buyer.name not found")
    assert finding.code == "MISSING"
    assert finding.fields == ("invoice_number", "buyer.name")
    assert "not found" in finding.message.lower()


def _held_out(fold: int, raw: float, right: bool, warnings: list[str]) -> HeldOut:
    score = CaseScore(f"doc-{fold}-{raw}-{right}", [FieldResult("total", "1", "1", right)])
    return HeldOut(fold, score, {"total": ("total", raw)}, warnings, {"total": right})


def test_the_ok_threshold_is_chosen_on_readings_with_the_printed_ids_set_aside() -> None:
    cv = CrossValidation(2)
    for fold in (0, 1):
        # Right readings whose document prints a placeholder VAT id, and wrong ones below 0.7.
        cv.held_out += [_held_out(fold, 0.95, True, ["VAT: seller.vat_id DE1 fails"])] * 20
        cv.held_out += [_held_out(fold, 0.6, False, [])] * 5
    with_ids = {t: (n_ok, n_right) for t, n_ok, n_right, _ in cv.ok_curve()}
    readings = {t: (n_ok, n_right) for t, n_ok, n_right, _ in cv.ok_curve(printed_ids=False)}
    threshold = cv.ok_threshold()
    assert with_ids[threshold] == (0, 0)  # the documents' own ids keep them needs_review
    assert readings[threshold] == (40, 40) and threshold < 0.99


def test_a_split_key_is_calibrated_on_its_field_too() -> None:
    cv = CrossValidation(2)
    score = CaseScore("doc", [FieldResult("seller_name", "A", "A", True)])
    cv.held_out.append(HeldOut(0, score, {"seller.name": ("seller.name+", 0.9)}, [], {}))
    cv.held_out[0].scored_right["seller.name"] = True
    points = cv.points()
    assert points["seller.name+"] == points["seller.name"] == points["*"] == [(0.9, True)]


def _tax(rate: str, base: str, amount: str) -> FoundTax:
    return FoundTax(Decimal(rate), Decimal(base), Decimal(amount), [])


def test_the_tax_lines_that_add_up_are_the_breakdown() -> None:
    # "2,00% sur 100,00 EUR -2,00" proves itself like a tax line, but the breakdown is the set
    # whose amounts make BT-110 and whose bases make BT-109.
    allowance = _tax("2.00", "100.00", "2.00")
    breakdown = [
        _tax("20.00", "11.00", "2.20"),
        _tax("0", "62.00", "0"),
        _tax("10.00", "27.00", "2.70"),
    ]
    kept = adding_up([allowance, *breakdown], Decimal("4.90"), Decimal("100.00"))
    assert kept == breakdown


def test_tax_lines_that_add_up_in_two_ways_are_all_kept() -> None:
    found = [
        _tax("10.00", "10.00", "1.00"),
        _tax("10.00", "10.00", "1.00"),
        _tax("5", "20", "1.00"),
    ]
    assert adding_up(found, Decimal("1.00"), None) == found
    assert adding_up(found, None, None) == found  # no total to add up to


def test_a_qualifier_in_brackets_after_a_label_is_part_of_it(make_pdf: MakePdf) -> None:
    # "(inkl. USt.)" holds a tax label of its own; the value after it is the label's total.
    rows = (
        ("Rechnungssumme Netto (exkl. USt.)", "193,83"),
        ("Summe Umsatzsteuer", "21,31"),
        ("Rechnungssumme Brutto (inkl. USt.)", "215,14"),
    )
    page = HEAD + [
        item
        for n, (label, value) in enumerate(rows)
        for item in ((60, 300 + 16 * n, label, 10), (480, 300 + 16 * n, value, 10))
    ]
    invoice = extract_one(make_pdf([page], "qualified.pdf"))
    assert invoice.total == Decimal("215.14")
    assert invoice.evidence["total"].text == "215,14"
