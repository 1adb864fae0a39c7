"""OASIS UBL 2.1 Invoice and CreditNote (XRechnung UBL, Peppol BIS Billing 3.0)."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from ...ids import normalize_iban, normalize_vat_id
from ...model import DocumentType, Invoice, LineItem, Party, Payment, TaxLine
from .xmltree import (
    allowances_and_charges,
    amount,
    find,
    find_all,
    iso_date,
    local,
    one_line_address,
    text,
)

UBL_ROOTS = ("Invoice", "CreditNote")


def is_ubl(root: Element) -> bool:
    return local(root.tag) in UBL_ROOTS and root.tag.startswith(
        "{urn:oasis:names:specification:ubl"
    )


def profile(root: Element) -> str | None:
    return text(root, "CustomizationID")


def read_ubl(root: Element, name: str) -> Invoice:
    credit = local(root.tag) == "CreditNote"
    currency = text(root, "DocumentCurrencyCode")
    totals = find(root, "LegalMonetaryTotal")
    tax_total = next(
        (t for t in find_all(root, "TaxTotal") if _in_currency(t, currency)), find(root, "TaxTotal")
    )
    means = find(root, "PaymentMeans")
    line_tag = "CreditNoteLine" if credit else "InvoiceLine"
    return Invoice(
        file=name,
        extractor="einvoice",
        document_type=DocumentType.CREDIT_NOTE
        if credit or text(root, "InvoiceTypeCode") == "381"
        else DocumentType.INVOICE,
        invoice_number=text(root, "ID"),
        issue_date=iso_date(root, "IssueDate"),
        due_date=iso_date(root, "DueDate") or iso_date(means, "PaymentDueDate"),
        currency=currency,
        po_number=text(root, "OrderReference/ID"),
        buyer_reference=text(root, "BuyerReference"),
        seller=_party(find(root, "AccountingSupplierParty/Party")),
        buyer=_party(find(root, "AccountingCustomerParty/Party")),
        payment=Payment(
            iban=_normalized(normalize_iban, text(means, "PayeeFinancialAccount/ID")),
            bic=text(means, "PayeeFinancialAccount/FinancialInstitutionBranch/ID"),
            terms=text(root, "PaymentTerms/Note"),
        ),
        subtotal=amount(totals, "LineExtensionAmount"),
        allowances=amount(totals, "AllowanceTotalAmount"),
        charges=amount(totals, "ChargeTotalAmount"),
        tax_exclusive_total=amount(totals, "TaxExclusiveAmount"),
        tax_total=amount(tax_total, "TaxAmount"),
        total=amount(totals, "TaxInclusiveAmount"),
        prepaid=amount(totals, "PrepaidAmount"),
        amount_due=amount(totals, "PayableAmount"),
        tax_lines=[_tax(t) for t in find_all(tax_total, "TaxSubtotal")],
        line_items=[_line(li, credit) for li in find_all(root, line_tag)],
    )


def _in_currency(node: Element, currency: str | None) -> bool:
    value = find(node, "TaxAmount")
    return value is not None and value.get("currencyID") in (None, currency)


def _party(node: Element | None) -> Party:
    if node is None:
        return Party()
    schemes = {
        text(scheme, "TaxScheme/ID") or "VAT": text(scheme, "CompanyID")
        for scheme in reversed(find_all(node, "PartyTaxScheme"))
    }
    vat = schemes.get("VAT")
    address = find(node, "PostalAddress")

    return Party(
        name=text(node, "PartyName/Name") or text(node, "PartyLegalEntity/RegistrationName"),
        vat_id=_normalized(normalize_vat_id, vat),
        tax_id=schemes.get("FC"),
        address=one_line_address(
            [
                text(address, "StreetName"),
                text(address, "AdditionalStreetName"),
                text(address, "AddressLine/Line"),
            ],
            text(address, "PostalZone"),
            text(address, "CityName"),
        ),
        country=text(address, "Country/IdentificationCode"),
        email=text(node, "Contact/ElectronicMail") or text(node, "EndpointID"),
    )


def _normalized(normalize: Callable[[str], str], value: str | None) -> str | None:
    return normalize(value) if value else None


def _tax(node: Element) -> TaxLine:
    return TaxLine(
        rate=amount(node, "TaxCategory/Percent"),
        base=amount(node, "TaxableAmount"),
        amount=amount(node, "TaxAmount"),
        category=text(node, "TaxCategory/ID"),
    )


def _line(node: Element, credit: bool) -> LineItem:
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    quantity = find(node, quantity_tag)
    allowances, charges = allowances_and_charges(
        find_all(node, "AllowanceCharge"), "ChargeIndicator", "Amount"
    )
    return LineItem(
        description=text(node, "Item/Name"),
        quantity=amount(node, quantity_tag),
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=amount(node, "Price/PriceAmount"),
        amount=amount(node, "LineExtensionAmount"),
        tax_rate=amount(node, "Item/ClassifiedTaxCategory/Percent"),
        allowances=allowances,
        charges=charges,
    )
