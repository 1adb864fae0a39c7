"""An invoice as EN 16931 UBL 2.1 XML: an ``Invoice``, or a ``CreditNote`` for credit notes.

Same content and the same derivations as the CII writer (``cii.py``): values the invoice lacks
are left out, never guessed. Element order follows the UBL 2.1 XSD sequences.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from ..model import DocumentType, Invoice, LineItem, Party, TaxLine
from .cii import (
    DEFAULT_UNIT,
    GUIDELINE_ID,
    LINE_REASON_CODES,
    fmt_amount,
    fmt_decimal,
    line_tax,
    split_address,
    sub,
    tax_breakdown,
    type_code,
)
from .document_charges import document_allowance_charges, write_ubl_entries

__all__ = ["CAC", "CBC", "invoice_to_ubl"]

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_ROOT_NS = "urn:oasis:names:specification:ubl:schema:xsd:{}-2"
_Element = etree._Element


def invoice_to_ubl(invoice: Invoice) -> bytes:
    """The invoice as UBL 2.1 XML (UTF-8, with declaration), CustomizationID EN 16931."""
    credit = invoice.document_type == DocumentType.CREDIT_NOTE
    kind = "CreditNote" if credit else "Invoice"
    namespace = _ROOT_NS.format(kind)
    # A None prefix is lxml's default namespace (the stubs allow only str keys).
    nsmap = {None: namespace, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{namespace}}}{kind}", nsmap=nsmap)  # type: ignore[arg-type]
    currency = invoice.currency
    sub(root, "cbc:CustomizationID", GUIDELINE_ID)
    sub(root, "cbc:ID", invoice.invoice_number)
    sub(root, "cbc:IssueDate", _iso(invoice.issue_date))
    if not credit:  # a credit note carries its due date in the payment means (BT-9)
        sub(root, "cbc:DueDate", _iso(invoice.due_date))
    sub(root, f"cbc:{kind}TypeCode", type_code(invoice))
    sub(root, "cbc:DocumentCurrencyCode", currency)
    sub(root, "cbc:BuyerReference", invoice.buyer_reference)
    if invoice.invoicing_period_start or invoice.invoicing_period_end:  # BG-14
        period = sub(root, "cac:InvoicePeriod")
        sub(period, "cbc:StartDate", _iso(invoice.invoicing_period_start))
        sub(period, "cbc:EndDate", _iso(invoice.invoicing_period_end))
    if invoice.po_number:
        sub(sub(root, "cac:OrderReference"), "cbc:ID", invoice.po_number)
    _party(sub(root, "cac:AccountingSupplierParty"), invoice.seller)
    _party(sub(root, "cac:AccountingCustomerParty"), invoice.buyer)
    if invoice.delivery_date or invoice.delivery_country:
        delivery = sub(root, "cac:Delivery")
        sub(delivery, "cbc:ActualDeliveryDate", _iso(invoice.delivery_date))  # BT-72
        if invoice.delivery_country:  # BT-80
            address = sub(sub(delivery, "cac:DeliveryLocation"), "cac:Address")
            country = sub(address, "cac:Country")
            sub(country, "cbc:IdentificationCode", invoice.delivery_country)
    _payment(root, invoice, due_date=invoice.due_date if credit else None)
    if invoice.payment.terms:
        sub(sub(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment.terms)
    breakdown = tax_breakdown(invoice)
    write_ubl_entries(root, document_allowance_charges(invoice, breakdown), currency)
    _tax_total(root, invoice, breakdown)

    totals = sub(root, "cac:LegalMonetaryTotal")
    for tag, value in (
        ("LineExtensionAmount", invoice.subtotal),
        ("TaxExclusiveAmount", invoice.tax_exclusive_total),
        ("TaxInclusiveAmount", invoice.total),
        ("AllowanceTotalAmount", invoice.allowances),
        ("ChargeTotalAmount", invoice.charges),
        ("PrepaidAmount", invoice.prepaid),
        ("PayableAmount", invoice.amount_due),
    ):
        _money(totals, f"cbc:{tag}", value, currency)
    for number, item in enumerate(invoice.line_items, start=1):
        _line(root, kind, number, item, breakdown, currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(parent: _Element, party: Party) -> None:
    node = sub(parent, "cac:Party")
    if party.identifier:  # BT-29 / BT-46
        identifier = sub(sub(node, "cac:PartyIdentification"), "cbc:ID", party.identifier)
        if party.identifier_scheme:
            identifier.set("schemeID", party.identifier_scheme)
    if party.address or party.country:
        address = split_address(party.address)
        lines = iter(address.lines)
        postal = sub(node, "cac:PostalAddress")
        sub(postal, "cbc:StreetName", next(lines, None))
        sub(postal, "cbc:AdditionalStreetName", next(lines, None))
        sub(postal, "cbc:CityName", address.city)
        sub(postal, "cbc:PostalZone", address.postcode)
        if (third := next(lines, None)) is not None:
            sub(sub(postal, "cac:AddressLine"), "cbc:Line", third)
        if party.country:
            sub(sub(postal, "cac:Country"), "cbc:IdentificationCode", party.country)
    for scheme, value in (("VAT", party.vat_id), ("FC", party.tax_id)):
        if value:
            tax_scheme = sub(node, "cac:PartyTaxScheme")
            sub(tax_scheme, "cbc:CompanyID", value)
            sub(sub(tax_scheme, "cac:TaxScheme"), "cbc:ID", scheme)
    if party.name is not None or party.legal_registration_id:
        legal = sub(node, "cac:PartyLegalEntity")
        sub(legal, "cbc:RegistrationName", party.name)
        sub(legal, "cbc:CompanyID", party.legal_registration_id)  # BT-30 / BT-47
    if party.email:
        sub(sub(node, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _payment(root: _Element, invoice: Invoice, *, due_date: date | None) -> None:
    payment = invoice.payment
    means = sub(root, "cac:PaymentMeans")
    sub(means, "cbc:PaymentMeansCode", "58" if payment.iban else "1")  # SEPA transfer / any
    sub(means, "cbc:PaymentDueDate", _iso(due_date))
    if payment.iban or payment.bic:
        account = sub(means, "cac:PayeeFinancialAccount")
        sub(account, "cbc:ID", payment.iban)
        if payment.bic:
            sub(sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", payment.bic)


def _tax_total(root: _Element, invoice: Invoice, breakdown: list[TaxLine]) -> None:
    """``cac:TaxTotal``: BT-110 and the breakdown; BT-110 is the sum of the breakdown's amounts
    when the invoice has none (UBL needs a ``TaxAmount`` wherever it has a breakdown)."""
    tax = invoice.tax_total
    if tax is None and breakdown and all(line.amount is not None for line in breakdown):
        tax = sum((line.amount for line in breakdown if line.amount is not None), Decimal(0))
    if tax is None and not breakdown:
        return
    total = sub(root, "cac:TaxTotal")
    _money(total, "cbc:TaxAmount", tax, invoice.currency)
    for line in breakdown:
        subtotal = sub(total, "cac:TaxSubtotal")
        _money(subtotal, "cbc:TaxableAmount", line.base, invoice.currency)
        _money(subtotal, "cbc:TaxAmount", line.amount, invoice.currency)
        _category(subtotal, "cac:TaxCategory", line.category, line.rate, exemption=line)


def _line(
    root: _Element,
    kind: str,
    number: int,
    item: LineItem,
    breakdown: list[TaxLine],
    currency: str | None,
) -> None:
    line = sub(root, f"cac:{kind}Line")
    sub(line, "cbc:ID", str(number))
    quantity_tag = "cbc:CreditedQuantity" if kind == "CreditNote" else "cbc:InvoicedQuantity"
    quantity = sub(line, quantity_tag, _dec(item.quantity))
    if quantity is not None:
        quantity.set("unitCode", item.unit or DEFAULT_UNIT)
    _money(line, "cbc:LineExtensionAmount", item.amount, currency)
    for charge, value in ((False, item.allowances), (True, item.charges)):
        if value is not None:  # BG-27 / BG-28, with a reason code (BR-42 / BR-44)
            node = sub(line, "cac:AllowanceCharge")
            sub(node, "cbc:ChargeIndicator", "true" if charge else "false")
            sub(node, "cbc:AllowanceChargeReasonCode", LINE_REASON_CODES[charge])
            _money(node, "cbc:Amount", value, currency)
    product = sub(line, "cac:Item")
    sub(product, "cbc:Name", item.description)
    _category(product, "cac:ClassifiedTaxCategory", *line_tax(item, breakdown))
    if item.unit_price is not None:
        price = sub(sub(line, "cac:Price"), "cbc:PriceAmount", fmt_decimal(item.unit_price))
        if currency:
            price.set("currencyID", currency)


def _category(
    parent: _Element,
    tag: str,
    category: str | None,
    rate: Decimal | None,
    exemption: TaxLine | None = None,
) -> None:
    """A tax category; in the breakdown with the line's exemption reasons (BT-120 / BT-121)."""
    node = sub(parent, tag)
    sub(node, "cbc:ID", category)
    if category != "O":  # "not subject to VAT" carries no rate (BR-O-05)
        sub(node, "cbc:Percent", _dec(rate))
    if exemption is not None:
        sub(node, "cbc:TaxExemptionReasonCode", exemption.exemption_reason_code)
        sub(node, "cbc:TaxExemptionReason", exemption.exemption_reason)
    sub(sub(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _money(parent: _Element, tag: str, value: Decimal | None, currency: str | None) -> None:
    """An amount with its ``currencyID`` (required by UBL: left off only when BT-5 is unknown)."""
    if value is not None:
        node = sub(parent, tag, fmt_amount(value))
        if currency:
            node.set("currencyID", currency)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else fmt_decimal(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
