"""Document-level allowances and charges (BG-20 / BG-21) as CII and UBL write them.

The entries written are the invoice's own (``allowance_charges``), each completed where EN 16931
fixes a value: the VAT category and rate of an entry without them from a single-rate breakdown
(``S`` for a positive rate), and a reason code where the entry has neither reason nor code
(BR-33 / BR-38: ``95`` discount, ``ZZZ`` mutually defined). An invoice that has only the sums
(BT-107 / BT-108, as the page engines read them) gets one entry per sum when its breakdown has a
single rate, so that the sums equal their entries (BR-CO-11 / BR-CO-12); with several rates
the split is not known and nothing is invented.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ..model import AllowanceCharge, Invoice, TaxLine
from .xml_values import LINE_REASON_CODES, fmt_amount, fmt_decimal, sub

__all__ = ["document_allowance_charges", "write_cii_entries", "write_ubl_entries"]

_Element = etree._Element
_ZERO = Decimal(0)


def document_allowance_charges(invoice: Invoice, breakdown: list[TaxLine]) -> list[AllowanceCharge]:
    """The BG-20 / BG-21 entries to write, completed as the module says."""
    entries = list(invoice.allowance_charges)
    if not entries:
        for charge, total in ((False, invoice.allowances), (True, invoice.charges)):
            if total is not None and total != _ZERO and len(breakdown) == 1:
                entries.append(AllowanceCharge(charge=charge, amount=total))
    return [_completed(entry, breakdown) for entry in entries]


def _completed(entry: AllowanceCharge, breakdown: list[TaxLine]) -> AllowanceCharge:
    update: dict[str, object] = {}
    if entry.tax_category is None:
        if entry.tax_rate is not None:
            same_rate = {line.category for line in breakdown if line.rate == entry.tax_rate}
            same_rate.discard(None)
            category = same_rate.pop() if len(same_rate) == 1 else None
            update["tax_category"] = category or ("S" if entry.tax_rate > _ZERO else None)
        elif len(breakdown) == 1:
            update["tax_category"] = breakdown[0].category
            update["tax_rate"] = breakdown[0].rate
    if entry.reason is None and entry.reason_code is None:
        update["reason_code"] = LINE_REASON_CODES[entry.charge]
    return entry.model_copy(update=update) if update else entry


def write_cii_entries(settlement: _Element, entries: list[AllowanceCharge]) -> None:
    """``ram:SpecifiedTradeAllowanceCharge`` per entry, in the XSD's element order."""
    for entry in entries:
        node = sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
        indicator = "true" if entry.charge else "false"
        sub(sub(node, "ram:ChargeIndicator"), "udt:Indicator", indicator)
        sub(node, "ram:CalculationPercent", _decimal(entry.percentage))
        sub(node, "ram:BasisAmount", _amount(entry.base))
        sub(node, "ram:ActualAmount", _amount(entry.amount))
        sub(node, "ram:ReasonCode", entry.reason_code)
        sub(node, "ram:Reason", entry.reason)
        tax = sub(node, "ram:CategoryTradeTax")
        sub(tax, "ram:TypeCode", "VAT")
        sub(tax, "ram:CategoryCode", entry.tax_category)
        if entry.tax_category != "O":  # "not subject to VAT" carries no rate (BR-O-05)
            sub(tax, "ram:RateApplicablePercent", _decimal(entry.tax_rate))


def write_ubl_entries(root: _Element, entries: list[AllowanceCharge], currency: str | None) -> None:
    """``cac:AllowanceCharge`` per entry, in the UBL 2.1 XSD's element order."""
    for entry in entries:
        node = sub(root, "cac:AllowanceCharge")
        sub(node, "cbc:ChargeIndicator", "true" if entry.charge else "false")
        sub(node, "cbc:AllowanceChargeReasonCode", entry.reason_code)
        sub(node, "cbc:AllowanceChargeReason", entry.reason)
        sub(node, "cbc:MultiplierFactorNumeric", _decimal(entry.percentage))
        for tag, value in (("cbc:Amount", entry.amount), ("cbc:BaseAmount", entry.base)):
            money = sub(node, tag, _amount(value))
            if money is not None and currency:
                money.set("currencyID", currency)
        category = sub(node, "cac:TaxCategory")
        sub(category, "cbc:ID", entry.tax_category)
        if entry.tax_category != "O":
            sub(category, "cbc:Percent", _decimal(entry.tax_rate))
        sub(sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else fmt_amount(value)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else fmt_decimal(value)
