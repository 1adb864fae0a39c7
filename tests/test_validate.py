"""Tests for the EN 16931 checks: each rule passing, failing, skipped, and its tolerance edges."""

from __future__ import annotations

import re
from typing import Any

import pytest

from invoice_extractor.model import Invoice, Status
from invoice_extractor.validate import RULES, validate


def make(**fields: Any) -> Invoice:
    return Invoice.model_validate({"file": "a.pdf", **fields})


def lines(*amounts: str | None) -> list[dict[str, Any]]:
    return [{"amount": a} for a in amounts]


def item(quantity: str, unit_price: str, amount: str) -> dict[str, str]:
    return {"quantity": quantity, "unit_price": unit_price, "amount": amount}


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # BR-CO-10: sum of line amounts = subtotal
    ("co10 pass", {"subtotal": "100.00", "line_items": lines("60.00", "40.00")}, []),
    ("co10 edge +0.01", {"subtotal": "100.00", "line_items": lines("60.00", "40.01")}, []),
    ("co10 edge -0.01", {"subtotal": "100.00", "line_items": lines("60.00", "39.99")}, []),
    (
        "co10 fail",
        {"subtotal": "100.00", "line_items": lines("60.00", "40.02")},
        ["BR-CO-10: sum of line_items amounts != subtotal (100.02 != 100.00)"],
    ),
    (
        "co10 own precision",
        {"subtotal": "100.00", "line_items": lines("60.5", "40")},
        ["BR-CO-10: sum of line_items amounts != subtotal (100.5 != 100.00)"],
    ),
    ("co10 line without amount", {"subtotal": "1.00", "line_items": lines("60.00", None)}, []),
    ("co10 no subtotal", {"line_items": lines("60.00", "40.00")}, []),
    ("co10 no lines", {"subtotal": "100.00"}, []),
    # BR-CO-13: tax_exclusive_total = subtotal - allowances + charges
    (
        "co13 pass",
        {
            "subtotal": "100.00",
            "allowances": "5.00",
            "charges": "2.50",
            "tax_exclusive_total": "97.50",
        },
        [],
    ),
    (
        "co13 fail",
        {
            "subtotal": "100.00",
            "allowances": "5.00",
            "charges": "2.50",
            "tax_exclusive_total": "95.00",
        },
        [
            "BR-CO-13: subtotal - allowances + charges != tax_exclusive_total "
            "(100.00 - 5.00 + 2.50 != 95.00)"
        ],
    ),
    (
        "co13 defaults to zero",
        {"subtotal": "100.00", "tax_exclusive_total": "90.00"},
        ["BR-CO-13: subtotal != tax_exclusive_total (100.00 != 90.00)"],
    ),
    ("co13 no tax_exclusive_total", {"subtotal": "100.00", "allowances": "5.00"}, []),
    # BR-CO-14: tax_total = sum of tax line amounts
    ("co14 pass", {"tax_total": "22.50", "tax_lines": lines("19.00", "3.50")}, []),
    (
        "co14 fail",
        {"tax_total": "22.00", "tax_lines": lines("19.00", "3.50")},
        ["BR-CO-14: sum of tax_lines amounts != tax_total (22.50 != 22.00)"],
    ),
    ("co14 tax line without amount", {"tax_total": "1.00", "tax_lines": lines("19.00", None)}, []),
    ("co14 no tax lines", {"tax_total": "19.00"}, []),
    # BR-CO-15: total = tax_exclusive_total + tax_total
    ("co15 pass", {"tax_exclusive_total": "100.00", "tax_total": "19.00", "total": "119.00"}, []),
    ("co15 edge", {"tax_exclusive_total": "100.00", "tax_total": "19.00", "total": "119.01"}, []),
    (
        "co15 fail",
        {"tax_exclusive_total": "100.00", "tax_total": "19.00", "total": "120.00"},
        ["BR-CO-15: tax_exclusive_total + tax_total != total (100.00 + 19.00 != 120.00)"],
    ),
    (
        "co15 just over tolerance",
        {"tax_exclusive_total": "100.00", "tax_total": "19.00", "total": "118.98"},
        ["BR-CO-15: tax_exclusive_total + tax_total != total (100.00 + 19.00 != 118.98)"],
    ),
    ("co15 no tax_total", {"tax_exclusive_total": "100.00", "total": "120.00"}, []),
    (
        "negative totals on an invoice are fine",
        {"tax_exclusive_total": "-100.00", "tax_total": "-19.00", "total": "-119.00"},
        [],
    ),
    # BR-CO-16: amount_due = total - prepaid
    ("co16 pass", {"total": "119.00", "prepaid": "19.00", "amount_due": "100.00"}, []),
    (
        "co16 fail",
        {"total": "119.00", "prepaid": "19.00", "amount_due": "90.00"},
        ["BR-CO-16: total - prepaid != amount_due (119.00 - 19.00 != 90.00)"],
    ),
    (
        "co16 prepaid defaults to zero",
        {"total": "119.00", "amount_due": "100.00"},
        ["BR-CO-16: total != amount_due (119.00 != 100.00)"],
    ),
    ("co16 no amount_due", {"total": "119.00", "prepaid": "19.00"}, []),
    # BR-CO-17: tax amount = base x rate / 100, rounded half-up
    ("co17 pass", {"tax_lines": [{"base": "100.00", "rate": "19", "amount": "19.00"}]}, []),
    # 0.50 x 5% = 0.025 -> 0.03 half-up (0.02 half-even): 0.04 is within 0.01 only if half-up.
    ("co17 half-up", {"tax_lines": [{"base": "0.50", "rate": "5", "amount": "0.04"}]}, []),
    (
        "co17 half-up fail",
        {"tax_lines": [{"base": "0.50", "rate": "5", "amount": "0.01"}]},
        ["BR-CO-17: tax_lines.0: base x rate / 100 != amount (0.50 x 5 / 100 != 0.01)"],
    ),
    (
        "co17 second line fails",
        {
            "tax_lines": [
                {"base": "100.00", "rate": "7", "amount": "7.00"},
                {"base": "100.00", "rate": "19.00", "amount": "17.00"},
            ]
        },
        ["BR-CO-17: tax_lines.1: base x rate / 100 != amount (100.00 x 19.00 / 100 != 17.00)"],
    ),
    ("co17 no base", {"tax_lines": [{"rate": "19", "amount": "1.00"}]}, []),
    # quantity x unit_price = amount
    ("line pass", {"line_items": [item("2", "25.00", "50.00")]}, []),
    ("line 4-decimal price", {"line_items": [item("3", "3.3333", "10.00")]}, []),
    ("line edge 0.01", {"line_items": [item("2", "5.005", "10.00")]}, []),
    ("line rounds to amount", {"line_items": [item("2", "5.006", "10.00")]}, []),
    ("line credit", {"line_items": [item("-2", "5.00", "-10.00")]}, []),
    ("line integer amount", {"line_items": [item("3", "3.3", "10")]}, []),
    (
        "line over tolerance",
        {"line_items": [item("2", "5.01", "10.00")]},
        ["line_items.0: quantity x unit_price != amount (2 x 5.01 != 10.00)"],
    ),
    (
        "line integer amount fail",
        {"line_items": [item("3", "3.1", "10")]},
        ["line_items.0: quantity x unit_price != amount (3 x 3.1 != 10)"],
    ),
    (
        "line index",
        {
            "line_items": [
                item("1", "1.00", "1.00"),
                item("1", "1.00", "1.00"),
                item("3", "3.50", "10.00"),
            ]
        },
        ["line_items.2: quantity x unit_price != amount (3 x 3.50 != 10.00)"],
    ),
    ("line no unit_price", {"line_items": [{"quantity": "3", "amount": "10.00"}]}, []),
    # identifiers
    ("iban valid", {"payment": {"iban": "DE89 3704 0044 0532 0130 00"}}, []),
    (
        "iban invalid",
        {"payment": {"iban": "DE89370400440532013001"}},
        ["IBAN: payment.iban DE89370400440532013001 fails its checksum"],
    ),
    ("vat valid", {"seller": {"vat_id": "DE136695976"}, "buyer": {"vat_id": "FR11123456782"}}, []),
    ("vat unknown country", {"seller": {"vat_id": "US123456789"}}, []),
    (
        "vat invalid",
        {"seller": {"vat_id": "DE123456789"}, "buyer": {"vat_id": "FR 12 123 456 782"}},
        [
            "VAT: seller.vat_id DE123456789 fails its checksum",
            "VAT: buyer.vat_id FR 12 123 456 782 fails its checksum",
        ],
    ),
    ("bic valid", {"payment": {"bic": "COBADEFFXXX"}}, []),
    (
        "bic invalid",
        {"payment": {"bic": "DEUTXXFF"}},
        ["BIC: payment.bic DEUTXXFF is not a valid BIC"],
    ),
    # dates
    ("dates pass", {"issue_date": "2024-02-01", "due_date": "2024-03-01"}, []),
    ("dates same day", {"issue_date": "2024-02-01", "due_date": "2024-02-01"}, []),
    (
        "dates fail",
        {"issue_date": "2024-02-01", "due_date": "2024-01-01"},
        ["BR-DATES: due_date 2024-01-01 is before issue_date 2024-02-01"],
    ),
    ("dates no issue_date", {"due_date": "2024-01-01"}, []),
    # absurd magnitudes: the check gives up instead of raising
    ("line overflow", {"line_items": [item("1E+30", "1E+30", "1")]}, []),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(fields: dict[str, Any], expected: list[str]) -> None:
    # Each rule on its own: these partial invoices lack mandatory fields (MISSING, tested below).
    result = validate(make(**fields))
    assert [w for w in result.warnings if not w.startswith("MISSING:")] == expected
    assert result.status is Status.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("document_type", "dropped", "expected"),
    [
        ("invoice", (), None),
        ("invoice", ("invoice_number",), "MISSING: invoice_number not found"),
        ("invoice", ("buyer",), "MISSING: buyer.name not found"),
        ("credit_note", ("issue_date", "total"), "MISSING: issue_date, total not found"),
        # A till receipt names no buyer and often no number; its date, seller and total it does.
        ("receipt", ("invoice_number", "buyer"), None),
        ("receipt", ("seller",), "MISSING: seller.name not found"),
    ],
)
def test_missing_mandatory_fields(
    document_type: str, dropped: tuple[str, ...], expected: str | None
) -> None:
    fields = {k: v for k, v in _full().items() if k not in dropped}
    result = validate(make(**fields, document_type=document_type))
    missing = [w for w in result.warnings if w.startswith("MISSING:")]
    assert missing == ([expected] if expected else [])
    assert result.status is (Status.NEEDS_REVIEW if expected else Status.OK)


def test_missing_is_not_reported_on_a_failed_file() -> None:
    assert validate(make(status=Status.FAILED, error="corrupt")).warnings == []


def _full() -> dict[str, Any]:
    return {
        "invoice_number": "2024-001",
        "issue_date": "2024-02-01",
        "due_date": "2024-03-01",
        "seller": {"name": "ACME GmbH", "vat_id": "DE136695976"},
        "buyer": {"name": "Kunde SARL", "vat_id": "FR40303265045"},
        "payment": {"iban": "DE89370400440532013000", "bic": "DEUTDEFF"},
        "line_items": [item("2", "25.00", "50.00"), item("1", "50.00", "50.00")],
        "subtotal": "100.00",
        "tax_exclusive_total": "100.00",
        "tax_lines": [{"base": "100.00", "rate": "19", "amount": "19.00"}],
        "tax_total": "19.00",
        "total": "119.00",
        "amount_due": "119.00",
    }


def test_consistent_invoice_is_ok() -> None:
    assert validate(make(**_full())).warnings == []


def test_several_failures_in_rule_order() -> None:
    fields = _full() | {"total": "120.00", "due_date": "2024-01-01"}
    fields["payment"] = {"iban": "DE89370400440532013001", "bic": "DEUTDEFF"}
    assert validate(make(**fields)).warnings == [
        "BR-CO-15: tax_exclusive_total + tax_total != total (100.00 + 19.00 != 120.00)",
        "BR-CO-16: total != amount_due (120.00 != 119.00)",
        "IBAN: payment.iban DE89370400440532013001 fails its checksum",
        "BR-DATES: due_date 2024-01-01 is before issue_date 2024-02-01",
    ]


@pytest.mark.parametrize(
    ("status", "fields", "warnings", "expected_status", "expected_warnings"),
    [
        (Status.OK, {}, [], Status.OK, []),
        (
            Status.OK,
            {"total": "120.00", "amount_due": "120.00"},
            [],
            Status.NEEDS_REVIEW,
            ["BR-CO-15"],
        ),
        (Status.NEEDS_REVIEW, {}, [], Status.OK, []),
        (Status.OK, {}, ["low confidence: total"], Status.NEEDS_REVIEW, ["low confidence"]),
        (Status.FAILED, {}, [], Status.FAILED, []),
        (
            Status.FAILED,
            {"total": "120.00", "amount_due": "120.00"},
            [],
            Status.FAILED,
            ["BR-CO-15"],
        ),
        (
            Status.OK,
            {"total": "120.00", "amount_due": "120.00"},
            ["low confidence: total"],
            Status.NEEDS_REVIEW,
            ["low confidence", "BR-CO-15"],
        ),
    ],
)
def test_status_transitions(
    status: Status,
    fields: dict[str, Any],
    warnings: list[str],
    expected_status: Status,
    expected_warnings: list[str],
) -> None:
    invoice = make(**(_full() | fields), status=status, warnings=warnings)
    result = validate(invoice)
    assert result.status is expected_status
    assert [w.split(":")[0] for w in result.warnings] == expected_warnings


def test_idempotent_and_keeps_existing_warnings() -> None:
    rule = "BR-CO-15: tax_exclusive_total + tax_total != total (100.00 + 19.00 != 120.00)"
    invoice = make(**(_full() | {"total": "120.00"}), warnings=["note", rule])
    once = validate(invoice)
    assert once.warnings == ["note", rule, "BR-CO-16: total != amount_due (120.00 != 119.00)"]
    assert validate(once) == once


def test_returns_a_copy() -> None:
    invoice = make(**(_full() | {"total": "120.00"}))
    result = validate(invoice)
    assert result is not invoice
    assert invoice.warnings == [] and invoice.status is Status.OK
    result.line_items[0].amount = None
    assert invoice.line_items[0].amount is not None


def test_rules_table() -> None:
    ids = [rule_id for rule_id, _ in RULES]
    assert len(ids) == len(set(ids))
    assert all(description.strip() for _, description in RULES)
    prefix = re.compile("|".join(re.escape(i).replace(r"\.N", r"\.\d+") + "$" for i in ids))
    for _, _, expected in CASES:
        for warning in expected:
            assert prefix.match(warning.split(":")[0]), warning
