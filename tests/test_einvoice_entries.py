"""Document-level allowances and charges (BG-20 / BG-21), VAT exemption reasons (BT-120 / BT-121),
party identifiers (BT-29 / BT-30), delivery (BT-72 / BT-80) and the invoicing period (BG-14):
read from e-invoices, written back in CII and UBL, valid against the XSD and the official
EN 16931 schematron, and checked by ``validate`` (BR-CO-11 / -12 / -13)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor.export.cii import invoice_to_cii
from invoice_extractor.export.en16931_rules import completed, rule_errors, rules_engine
from invoice_extractor.export.facturx import Syntax, convert, missing_mandatory, validate_xml
from invoice_extractor.export.ubl import invoice_to_ubl
from invoice_extractor.extract.einvoice import read_invoice_xml
from invoice_extractor.model import AllowanceCharge, Invoice, LineItem, Party, Payment, TaxLine
from invoice_extractor.validate import validate

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
WRITERS = {"cii": invoice_to_cii, "ubl": invoice_to_ubl}
needs_schematron = pytest.mark.skipif(
    rules_engine() != "schematron", reason="saxonche (the rules extra) is not installed"
)


def three_rates() -> Invoice:
    """19 % and 7 % lines and an exempt one; an allowance at each standard rate, freight at 19 %.

    BT-109 = 160.00 - 15.00 + 4.00; the 19 % base is 100 - 10 + 4, the 7 % base 50 - 5.
    """
    return Invoice(
        file="three-rates.pdf",
        invoice_number="2024-077",
        issue_date=date(2024, 3, 31),
        due_date=date(2024, 4, 30),
        currency="EUR",
        seller=Party(
            name="ACME GmbH",
            vat_id="DE123456789",
            address="Hauptstr. 1, 10115 Berlin",
            country="DE",
            identifier="4000001123452",
            identifier_scheme="0088",
            legal_registration_id="HRB 12345",
        ),
        buyer=Party(name="Kunde AG", country="DE", identifier="K-1001"),
        payment=Payment(iban="DE02120300000000202051", terms="30 days net"),
        delivery_date=date(2024, 3, 28),
        delivery_country="DE",
        invoicing_period_start=date(2024, 3, 1),
        invoicing_period_end=date(2024, 3, 31),
        subtotal=D("160.00"),
        allowances=D("15.00"),
        charges=D("4.00"),
        tax_exclusive_total=D("149.00"),
        tax_total=D("21.01"),
        total=D("170.01"),
        amount_due=D("170.01"),
        tax_lines=[
            TaxLine(rate=D("19"), base=D("94.00"), amount=D("17.86"), category="S"),
            TaxLine(rate=D("7"), base=D("45.00"), amount=D("3.15"), category="S"),
            TaxLine(
                rate=D("0"),
                base=D("10.00"),
                amount=D("0.00"),
                category="E",
                exemption_reason="Steuerfrei nach § 4 Nr. 10 UStG",
                exemption_reason_code="VATEX-EU-132",
            ),
        ],
        line_items=[
            LineItem(
                description="Tool",
                quantity=D("1"),
                unit="C62",
                unit_price=D("100"),
                amount=D("100.00"),
                tax_rate=D("19"),
                tax_category="S",
            ),
            LineItem(
                description="Book",
                quantity=D("2"),
                unit="C62",
                unit_price=D("25"),
                amount=D("50.00"),
                tax_rate=D("7"),
                tax_category="S",
            ),
            LineItem(
                description="Insurance",
                quantity=D("1"),
                unit="C62",
                unit_price=D("10"),
                amount=D("10.00"),
                tax_rate=D("0"),
                tax_category="E",
            ),
        ],
        allowance_charges=[
            AllowanceCharge(
                amount=D("10.00"),
                base=D("100.00"),
                percentage=D("10"),
                reason="Rabatt",
                reason_code="95",
                tax_category="S",
                tax_rate=D("19"),
            ),
            AllowanceCharge(
                amount=D("5.00"), reason="Treuerabatt", tax_category="S", tax_rate=D("7")
            ),
            AllowanceCharge(
                charge=True,
                amount=D("4.00"),
                reason="Fracht",
                reason_code="FC",
                tax_category="S",
                tax_rate=D("19"),
            ),
        ],
    )


_NEW_FIELDS = (
    "allowance_charges",
    "tax_lines",
    "delivery_date",
    "delivery_country",
    "invoicing_period_start",
    "invoicing_period_end",
)


def _carried(invoice: Invoice) -> dict[str, Any]:
    parties = {
        f"{role}.{name}": getattr(getattr(invoice, role), name)
        for role in ("seller", "buyer")
        for name in ("identifier", "identifier_scheme", "legal_registration_id")
    }
    lines = [(item.tax_category, item.tax_rate) for item in invoice.line_items]
    return {**invoice.model_dump(include=set(_NEW_FIELDS)), **parties, "lines": lines}


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_entries_reasons_and_identifiers_are_written_and_read_back(syntax: Syntax) -> None:
    invoice = three_rates()
    xml = WRITERS[syntax](invoice)
    assert validate_xml(xml, syntax) == [] and missing_mandatory(invoice) == []
    assert _carried(read_invoice_xml(xml, f"written.{syntax}.xml")) == _carried(invoice)


@needs_schematron
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_an_invoice_with_entries_and_an_exempt_rate_passes_the_en16931_schematron(
    syntax: Syntax,
) -> None:
    invoice = three_rates()
    assert rule_errors(WRITERS[syntax](invoice), syntax, invoice) == []


@needs_schematron
def test_without_its_entries_or_exemption_reason_the_same_invoice_fails_the_rules() -> None:
    """What the model could not carry before: the official rules name each loss."""
    invoice = three_rates()
    invoice.allowance_charges = []
    invoice.tax_lines[2].exemption_reason = invoice.tax_lines[2].exemption_reason_code = None
    errors = " ".join(rule_errors(invoice_to_cii(invoice), "cii", invoice))
    assert "BR-CO-11" in errors and "BR-E-10" in errors


@needs_schematron
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_sums_without_entries_on_a_single_rate_get_one_entry_each(syntax: Syntax) -> None:
    invoice = Invoice(
        file="sums.pdf",
        invoice_number="9",
        issue_date=date(2024, 1, 2),
        due_date=date(2024, 2, 1),
        currency="EUR",
        seller=Party(name="S", vat_id="DE123456789", country="DE"),
        buyer=Party(name="B", country="DE"),
        subtotal=D("100.00"),
        allowances=D("10.00"),
        charges=D("5.00"),
        tax_exclusive_total=D("95.00"),
        tax_total=D("18.05"),
        total=D("113.05"),
        amount_due=D("113.05"),
        tax_lines=[TaxLine(rate=D("19"), base=D("95.00"), amount=D("18.05"), category="S")],
        line_items=[
            LineItem(description="X", quantity=D("1"), unit_price=D("100"), amount=D("100.00"))
        ],
    )
    xml = WRITERS[syntax](invoice)
    assert rule_errors(xml, syntax, invoice) == []
    entries = read_invoice_xml(xml, "written.xml").allowance_charges
    assert [(e.charge, e.amount, e.reason_code, e.tax_rate) for e in entries] == [
        (False, D("10.00"), "95", D("19")),
        (True, D("5.00"), "ZZZ", D("19")),
    ]


def test_entries_that_do_not_add_up_to_the_sums_are_br_co_11_and_12() -> None:
    invoice = three_rates()
    invoice.allowances, invoice.charges = D("12.00"), D("6.00")
    warnings = validate(invoice).warnings
    assert (
        "BR-CO-11: sum of allowance_charges allowance amounts != allowances (15.00 != 12.00)"
        in (warnings)
    )
    assert "BR-CO-12: sum of allowance_charges charge amounts != charges (4.00 != 6.00)" in warnings


def test_br_co_13_takes_the_entries_sums_when_the_invoice_has_none() -> None:
    invoice = three_rates()
    invoice.allowances = invoice.charges = None
    assert not [w for w in validate(invoice).warnings if w.startswith("BR-CO-1")]
    invoice.tax_exclusive_total = D("160.00")  # as if there were no allowances
    assert any(
        w.startswith("BR-CO-13: subtotal - allowances + charges")
        for w in (validate(invoice).warnings)
    )
    # Written back, the totals are the entries' sums (BT-107 / BT-108 are then present).
    filled = completed(three_rates().model_copy(update={"allowances": None, "charges": None}))
    assert (filled.allowances, filled.charges) == (D("15.00"), D("4.00"))


_WARENRECHNUNG = CORPUS / "zugferd-csharp" / "EXTENDED_Warenrechnung.embedded.xml"


@pytest.mark.corpus
@pytest.mark.skipif(not _WARENRECHNUNG.is_file(), reason="corpus not found")
def test_a_corpus_invoice_with_discounts_and_freight_is_read_and_written_back_valid() -> None:
    invoice = read_invoice_xml(_WARENRECHNUNG.read_bytes(), _WARENRECHNUNG.name)
    reasons = [(e.charge, e.reason, e.tax_rate) for e in invoice.allowance_charges]
    assert (False, "Rechnungsrabatt 1", D("19.00")) in reasons
    assert (True, "Transportkosten", D("19.00")) in reasons  # a logistics service charge
    for target in ("cii", "ubl"):
        result = convert(invoice, target)
        assert result.xsd_errors == [] and result.rule_errors == [], target
