"""OASIS UBL 2.1 Invoice and CreditNote (XRechnung UBL, Peppol BIS Billing 3.0)."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from ...ids import normalize_iban, normalize_vat_id
from ...model import AllowanceCharge, DocumentType, Invoice, LineItem, Party, Payment, TaxLine
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
        delivery_date=iso_date(root, "Delivery/ActualDeliveryDate"),
        delivery_country=text(root, "Delivery/DeliveryLocation/Address/Country/IdentificationCode"),
        invoicing_period_start=iso_date(root, "InvoicePeriod/StartDate"),
        invoicing_period_end=iso_date(root, "InvoicePeriod/EndDate"),
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
        allowance_charges=[_allowance_charge(node) for node in find_all(root, "AllowanceCharge")],
    )


def _allowance_charge(node: Element) -> AllowanceCharge:
    """A document-level ``cac:AllowanceCharge`` (BG-20 / BG-21)."""
    return AllowanceCharge(
        charge=(text(node, "ChargeIndicator") or "").lower() == "true",
        amount=amount(node, "Amount"),
        base=amount(node, "BaseAmount"),
        percentage=amount(node, "MultiplierFactorNumeric"),
        reason=text(node, "AllowanceChargeReason"),
        reason_code=text(node, "AllowanceChargeReasonCode"),
        tax_category=text(node, "TaxCategory/ID"),
        tax_rate=amount(node, "TaxCategory/Percent"),
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
    identification = find(node, "PartyIdentification/ID")
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
        identifier=text(node, "PartyIdentification/ID"),
        identifier_scheme=identification.get("schemeID") if identification is not None else None,
        legal_registration_id=text(node, "PartyLegalEntity/CompanyID"),
    )


def _normalized(normalize: Callable[[str], str], value: str | None) -> str | None:
    return normalize(value) if value else None


def _tax(node: Element) -> TaxLine:
    return TaxLine(
        rate=amount(node, "TaxCategory/Percent"),
        base=amount(node, "TaxableAmount"),
        amount=amount(node, "TaxAmount"),
        category=text(node, "TaxCategory/ID"),
        exemption_reason=text(node, "TaxCategory/TaxExemptionReason"),
        exemption_reason_code=text(node, "TaxCategory/TaxExemptionReasonCode"),
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
        tax_category=text(node, "Item/ClassifiedTaxCategory/ID"),
        allowances=allowances,
        charges=charges,
    )
