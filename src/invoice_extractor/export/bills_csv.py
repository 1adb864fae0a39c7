"""Bills (supplier invoices) as CSV in the column layouts QuickBooks Online and Xero import.

One row per line item (an invoice without line items gives one row of its net total); the
header fields repeat on every row of a bill, as both importers group rows by bill number and
supplier. Amounts are tax-exclusive (choose "tax exclusive" when importing into Xero), with a
dot as decimal separator; dates in ``date_format`` (the organisation's region decides what the
importer expects: ``%d/%m/%Y`` or ``%m/%d/%Y``). ``account_code`` is the expense account every
line is booked to (Xero's AccountCode, QuickBooks' Account), ``None`` leaves it to the importer's
mapping step. Cells a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..model import DocumentType, Invoice
from .csv_export import neutralise
from .datev import single_rate

XERO_COLUMNS: tuple[str, ...] = (
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "*InvoiceDate",
    "*DueDate",
    "Total",
    "InventoryItemCode",
    "Description",
    "*Quantity",
    "*UnitAmount",
    "*AccountCode",
    "*TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
)
"""Xero's bill import template ("Business > Bills to pay > Import"), in its order."""

QUICKBOOKS_COLUMNS: tuple[str, ...] = (
    "Bill No",
    "Supplier",
    "Bill Date",
    "Due Date",
    "Terms",
    "Memo",
    "Account",
    "Line Description",
    "Line Amount",
    "Line Tax Code",
    "Line Tax Amount",
    "Currency",
)
"""QuickBooks Online's bill import ("New > Import data > Bills"), whose mapping step matches
these names."""

LAYOUTS = {"xero": XERO_COLUMNS, "quickbooks": QUICKBOOKS_COLUMNS}
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class _Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    rate: Decimal | None


def _lines(invoice: Invoice) -> Iterator[_Line]:
    sign = Decimal(-1) if invoice.document_type is DocumentType.CREDIT_NOTE else Decimal(1)
    items = [i for i in invoice.line_items if i.amount is not None]
    if items:
        for item in items:
            assert item.amount is not None
            quantity = item.quantity if item.quantity else Decimal(1)
            price = item.unit_price if item.unit_price is not None else item.amount / quantity
            yield _Line(
                item.description or invoice.invoice_number or "",
                quantity,
                price * sign,
                item.amount * sign,
                item.tax_rate if item.tax_rate is not None else single_rate(invoice),
            )
        return
    net = invoice.tax_exclusive_total or invoice.subtotal
    if net is None and invoice.total is not None:
        net = invoice.total - (invoice.tax_total or Decimal(0))
    if net is not None:
        label = f"Invoice {invoice.invoice_number}" if invoice.invoice_number else "Invoice"
        yield _Line(label, Decimal(1), net * sign, net * sign, single_rate(invoice))


def _tax(line: _Line) -> str:
    if line.rate is None:
        return ""
    return _money(line.amount * line.rate / 100)


def _money(value: Decimal) -> str:
    return format(value.quantize(_CENT), "f")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _xero_tax_type(rate: Decimal | None) -> str:
    """Xero's default purchase tax rate names (an organisation may rename them)."""
    if rate is None:
        return ""
    return "Zero Rated Expenses" if rate == 0 else f"{_plain(rate)}% (VAT on Expenses)"


def bills_to_csv(
    invoices: Sequence[Invoice],
    layout: str,
    *,
    date_format: str = "%d/%m/%Y",
    account_code: str | None = None,
) -> str:
    """The bills of ``invoices`` in ``layout`` (``xero`` or ``quickbooks``)."""
    columns = LAYOUTS[layout]
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF line ends, quoting where needed
    writer.writerow(columns)
    for invoice in invoices:
        issued = invoice.issue_date.strftime(date_format) if invoice.issue_date else ""
        due = invoice.due_date.strftime(date_format) if invoice.due_date else issued
        for line in _lines(invoice):
            if layout == "xero":
                address = (invoice.seller.address or "")[:500]
                row = [
                    invoice.seller.name,
                    invoice.seller.email,
                    address,
                    *[""] * 6,
                    invoice.seller.country,
                    invoice.invoice_number,
                    issued,
                    due,
                    _money(invoice.total) if invoice.total is not None else "",
                    "",
                    line.description,
                    _plain(line.quantity),
                    _money(line.unit_price)
                    if line.unit_price == line.unit_price.quantize(_CENT)
                    else _plain(line.unit_price),
                    account_code,
                    _xero_tax_type(line.rate),
                    _tax(line),
                    *[""] * 4,
                    invoice.currency,
                ]
            else:
                row = [
                    invoice.invoice_number,
                    invoice.seller.name,
                    issued,
                    due,
                    invoice.payment.terms,
                    invoice.po_number and f"PO {invoice.po_number}",
                    account_code,
                    line.description,
                    _money(line.amount),
                    f"{_plain(line.rate)}%" if line.rate is not None else "",
                    _tax(line),
                    invoice.currency,
                ]
            writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
