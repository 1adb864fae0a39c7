"""An invoice as EN 16931 CII D16B XML (``rsm:CrossIndustryInvoice``, Factur-X profile EN16931).

The writer puts down what the invoice holds and derives only what EN 16931 fixes unambiguously:
the VAT category ``S`` of a tax line with a positive rate, the rate 0 of a Z/E/AE/K/G line, a
line's VAT category (and, with a single tax rate, its rate) from the tax breakdown, the unit
``C62`` of a quantity without one, and a single ``S`` breakdown line from ``tax_total`` /
``tax_exclusive_total`` when the invoice has none. A mandatory value that is missing stays
missing: the element is left out, so the XSD check and ``facturx.missing_mandatory`` name it.

The helpers here (number formats, address split, tax breakdown) are shared with ``ubl.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from ..model import DocumentType, Invoice, LineItem, Party, TaxLine
from .document_charges import document_allowance_charges, write_cii_entries
from .xml_values import LINE_REASON_CODES, fmt_amount, fmt_decimal, sub

__all__ = [
    "DEFAULT_UNIT",
    "GUIDELINE_ID",
    "LINE_REASON_CODES",
    "RAM",
    "RSM",
    "UDT",
    "Address",
    "fmt_amount",
    "fmt_decimal",
    "invoice_to_cii",
    "line_tax",
    "split_address",
    "sub",
    "tax_breakdown",
    "type_code",
]

GUIDELINE_ID = "urn:cen.eu:en16931:2017"
"""BT-24: the EN 16931 specification identifier (Factur-X profile EN16931)."""

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

DEFAULT_UNIT = "C62"  # UN/ECE rec 20 "one": the unit of a quantity given without one

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_ZERO_RATED = frozenset({"Z", "E", "AE", "K", "G"})  # categories whose rate is 0 (BR-Z-5 ...)
_Element = etree._Element


# --- shared with ubl.py: formats, address, tax breakdown ------------------------------------


def type_code(invoice: Invoice) -> str:
    """BT-3: UNTDID 1001 ``380`` commercial invoice or ``381`` credit note."""
    return "381" if invoice.document_type == DocumentType.CREDIT_NOTE else "380"


@dataclass(frozen=True)
class Address:
    """A one-line address taken apart: up to three address lines, post code and city."""

    lines: list[str] = field(default_factory=list)
    postcode: str | None = None
    city: str | None = None


# "10115 Berlin", "D-10115 Berlin", "1012 AB Amsterdam", "00-950 Warszawa", "114 55 Stockholm"
_POSTCODE_CITY = re.compile(
    r"^(?P<postcode>\d{4} ?[A-Z]{2}|(?:[A-Z]{1,2}-)?\d{4,5}|\d{2}-\d{3}|\d{3} \d{2})"
    r"\s+(?P<city>[^\d,].*)$"
)


def split_address(address: str | None) -> Address:
    """``"Hauptstr. 1, 10115 Berlin"`` -> lines ``["Hauptstr. 1"]``, ``10115``, ``Berlin``.

    The comma-separated parts become address lines; a last part that reads "post code city" is
    split into the two. Joining lines, then "postcode city", with ", " gives the input back.
    """
    parts = [part.strip() for part in (address or "").split(",") if part.strip()]
    postcode = city = None
    if parts and (match := _POSTCODE_CITY.match(parts[-1])):
        postcode, city = match["postcode"], match["city"].strip()
        parts.pop()
    if len(parts) > 3:  # CII has three address lines: keep the rest together in the third
        parts = [*parts[:2], ", ".join(parts[2:])]
    return Address(parts, postcode, city)


def tax_breakdown(invoice: Invoice) -> list[TaxLine]:
    """BG-23 as written: the invoice's tax lines, completed where EN 16931 fixes a value (a
    positive rate is category ``S``; Z, E, AE, K and G have rate 0); with no tax lines, one
    ``S`` line derived from ``tax_total`` over ``tax_exclusive_total`` when both are known and
    the tax is positive."""
    if invoice.tax_lines:
        return [_completed(line) for line in invoice.tax_lines]
    base, tax = invoice.tax_exclusive_total, invoice.tax_total
    if base is None or tax is None or base <= _ZERO or tax <= _ZERO:
        return []
    return [TaxLine(rate=_rate_of(base, tax), base=base, amount=tax, category="S")]


def line_tax(item: LineItem, breakdown: list[TaxLine]) -> tuple[str | None, Decimal | None]:
    """BT-151 and BT-152 of a line: category and rate, from the line's rate and the breakdown.

    A line's own category stands (with rate 0 for Z/E/AE/K/G when it has none); a line without
    a rate takes the only breakdown line's; a category the breakdown does not settle is ``S``
    for a positive rate and unknown (``None``) otherwise.
    """
    if item.tax_category is not None:
        if item.tax_rate is not None or item.tax_category == "O":
            return item.tax_category, item.tax_rate
        if item.tax_category in _ZERO_RATED:
            return item.tax_category, _ZERO
        rates = {line.rate for line in breakdown if line.category == item.tax_category}
        return item.tax_category, rates.pop() if len(rates) == 1 else None
    if item.tax_rate is None:
        if len(breakdown) == 1:
            return breakdown[0].category, breakdown[0].rate
        return None, None
    categories = {line.category for line in breakdown if line.rate == item.tax_rate}
    categories.discard(None)
    if len(categories) == 1:
        return categories.pop(), item.tax_rate
    return _category_of(item.tax_rate), item.tax_rate


def _completed(line: TaxLine) -> TaxLine:
    """A tax line with what EN 16931 fixes: ``S`` for a positive rate, 0 % for Z/E/AE/K/G."""
    category = line.category or _category_of(line.rate)
    rate = _ZERO if line.rate is None and category in _ZERO_RATED else line.rate
    return line.model_copy(update={"category": category, "rate": rate})


def _category_of(rate: Decimal | None) -> str | None:
    return "S" if rate is not None and rate > _ZERO else None


def _rate_of(base: Decimal, tax: Decimal) -> Decimal:
    """The coarsest rate (whole, then 1 or 2 decimals) that gives ``tax`` on ``base``."""
    exact = tax * 100 / base
    for step in (Decimal(1), Decimal("0.1"), _CENT):
        rate = exact.quantize(step, rounding=ROUND_HALF_UP)
        if (base * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP) == tax:
            return rate
    return exact.quantize(_CENT, rounding=ROUND_HALF_UP)


# --- the CII document -----------------------------------------------------------------------


def invoice_to_cii(invoice: Invoice) -> bytes:
    """The invoice as Factur-X EN16931 CII XML (UTF-8, with declaration), in XSD order."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=_NSMAP)
    context = sub(root, "rsm:ExchangedDocumentContext")
    sub(sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_ID)

    document = sub(root, "rsm:ExchangedDocument")
    sub(document, "ram:ID", invoice.invoice_number)
    sub(document, "ram:TypeCode", type_code(invoice))
    _date(document, "ram:IssueDateTime", invoice.issue_date)

    transaction = sub(root, "rsm:SupplyChainTradeTransaction")
    breakdown = tax_breakdown(invoice)
    for number, item in enumerate(invoice.line_items, start=1):
        _line_item(transaction, number, item, breakdown)

    agreement = sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    sub(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", invoice.seller)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer)
    if invoice.po_number:
        order = sub(agreement, "ram:BuyerOrderReferencedDocument")
        sub(order, "ram:IssuerAssignedID", invoice.po_number)
    delivery = sub(transaction, "ram:ApplicableHeaderTradeDelivery")  # required, may be empty
    if invoice.delivery_country:  # BT-80
        ship_to = sub(delivery, "ram:ShipToTradeParty")
        sub(sub(ship_to, "ram:PostalTradeAddress"), "ram:CountryID", invoice.delivery_country)
    if invoice.delivery_date:  # BT-72
        event = sub(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", invoice.delivery_date)
    _settlement(sub(transaction, "ram:ApplicableHeaderTradeSettlement"), invoice, breakdown)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line_item(parent: _Element, number: int, item: LineItem, breakdown: list[TaxLine]) -> None:
    line = sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    sub(sub(line, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
    sub(sub(line, "ram:SpecifiedTradeProduct"), "ram:Name", item.description)
    price = sub(sub(line, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    sub(price, "ram:ChargeAmount", _dec(item.unit_price))
    delivery = sub(line, "ram:SpecifiedLineTradeDelivery")
    quantity = sub(delivery, "ram:BilledQuantity", _dec(item.quantity))
    if quantity is not None:
        quantity.set("unitCode", item.unit or DEFAULT_UNIT)
    settlement = sub(line, "ram:SpecifiedLineTradeSettlement")
    category, rate = line_tax(item, breakdown)
    _trade_tax(settlement, category=category, rate=rate)
    for charge, value in ((False, item.allowances), (True, item.charges)):
        if value is not None:  # BG-27 / BG-28, with a reason code (BR-42 / BR-44)
            node = sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
            sub(sub(node, "ram:ChargeIndicator"), "udt:Indicator", "true" if charge else "false")
            sub(node, "ram:ActualAmount", fmt_amount(value))
            sub(node, "ram:ReasonCode", LINE_REASON_CODES[charge])
    summation = sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    sub(summation, "ram:LineTotalAmount", _amount(item.amount))


def _party(parent: _Element, tag: str, party: Party) -> None:
    node = sub(parent, tag)
    if party.identifier and party.identifier_scheme:  # BT-29 with its scheme: a GlobalID
        sub(node, "ram:GlobalID", party.identifier).set("schemeID", party.identifier_scheme)
    else:
        sub(node, "ram:ID", party.identifier)
    sub(node, "ram:Name", party.name)
    if party.legal_registration_id:  # BT-30 / BT-47
        legal = sub(node, "ram:SpecifiedLegalOrganization")
        sub(legal, "ram:ID", party.legal_registration_id)
    if party.email:
        contact = sub(node, "ram:DefinedTradeContact")
        sub(sub(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.email)
    if party.address or party.country:
        address = split_address(party.address)
        postal = sub(node, "ram:PostalTradeAddress")
        sub(postal, "ram:PostcodeCode", address.postcode)
        for tag_name, text in zip(("LineOne", "LineTwo", "LineThree"), address.lines, strict=False):
            sub(postal, f"ram:{tag_name}", text)
        sub(postal, "ram:CityName", address.city)
        sub(postal, "ram:CountryID", party.country)  # required: left out when unknown
    if party.email:  # BT-34 electronic address too: readers take the email from either place
        uri = sub(sub(node, "ram:URIUniversalCommunication"), "ram:URIID", party.email)
        uri.set("schemeID", "EM")
    for scheme, value in (("VA", party.vat_id), ("FC", party.tax_id)):
        if value:
            sub(sub(node, "ram:SpecifiedTaxRegistration"), "ram:ID", value).set("schemeID", scheme)


def _settlement(node: _Element, invoice: Invoice, breakdown: list[TaxLine]) -> None:
    sub(node, "ram:InvoiceCurrencyCode", invoice.currency)
    payment = invoice.payment
    means = sub(node, "ram:SpecifiedTradeSettlementPaymentMeans")
    sub(means, "ram:TypeCode", "58" if payment.iban else "1")  # SEPA credit transfer / any
    if payment.iban:
        account = sub(means, "ram:PayeePartyCreditorFinancialAccount")
        sub(account, "ram:IBANID", payment.iban)
    if payment.bic:
        institution = sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        sub(institution, "ram:BICID", payment.bic)
    for line in breakdown:
        _trade_tax(node, category=line.category, rate=line.rate, line=line)
    if invoice.invoicing_period_start or invoice.invoicing_period_end:  # BG-14
        period = sub(node, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", invoice.invoicing_period_start)
        _date(period, "ram:EndDateTime", invoice.invoicing_period_end)
    write_cii_entries(node, document_allowance_charges(invoice, breakdown))
    if payment.terms or invoice.due_date:
        terms = sub(node, "ram:SpecifiedTradePaymentTerms")
        sub(terms, "ram:Description", payment.terms)
        _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = sub(node, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    sub(totals, "ram:LineTotalAmount", _amount(invoice.subtotal))
    sub(totals, "ram:ChargeTotalAmount", _amount(invoice.charges))
    sub(totals, "ram:AllowanceTotalAmount", _amount(invoice.allowances))
    sub(totals, "ram:TaxBasisTotalAmount", _amount(invoice.tax_exclusive_total))
    tax_total = sub(totals, "ram:TaxTotalAmount", _amount(invoice.tax_total))
    if tax_total is not None and invoice.currency:
        tax_total.set("currencyID", invoice.currency)
    sub(totals, "ram:GrandTotalAmount", _amount(invoice.total))
    sub(totals, "ram:TotalPrepaidAmount", _amount(invoice.prepaid))
    sub(totals, "ram:DuePayableAmount", _amount(invoice.amount_due))


def _trade_tax(
    parent: _Element,
    *,
    category: str | None,
    rate: Decimal | None,
    line: TaxLine | None = None,
) -> None:
    """A ``ram:ApplicableTradeTax``: a breakdown ``line`` with its amounts and exemption
    reasons, or a line item's category and rate alone."""
    tax = sub(parent, "ram:ApplicableTradeTax")
    sub(tax, "ram:CalculatedAmount", _amount(line.amount if line else None))
    sub(tax, "ram:TypeCode", "VAT")
    sub(tax, "ram:ExemptionReason", line.exemption_reason if line else None)
    sub(tax, "ram:BasisAmount", _amount(line.base if line else None))
    sub(tax, "ram:CategoryCode", category)
    sub(tax, "ram:ExemptionReasonCode", line.exemption_reason_code if line else None)
    if category != "O":  # "not subject to VAT" carries no rate (BR-O-05)
        sub(tax, "ram:RateApplicablePercent", _dec(rate))


# --- small builders ------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else fmt_amount(value)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else fmt_decimal(value)


def _date(parent: _Element, tag: str, value: date | None) -> None:
    if value is not None:
        node = sub(sub(parent, tag), "udt:DateTimeString", value.strftime("%Y%m%d"))
        node.set("format", "102")
