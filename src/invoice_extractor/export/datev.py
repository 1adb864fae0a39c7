"""DATEV "Buchungsstapel" (EXTF format 700, category 21, version 13): the booking batch a German
tax advisor's DATEV imports.

Line 1 is the EXTF header (consultant and client number, fiscal year start, account length,
date range, chart of accounts); line 2 names the columns; then one booking per tax rate of each
invoice: the gross amount of that rate on the expense account (``Konto``, debit ``S``; a credit
note credits, ``H``) against the supplier's creditor account (``Gegenkonto``), with the tax key
(``BU-Schlüssel``) of the rate, so DATEV books the input VAT itself. Semicolons, decimal commas,
dates as ``TTMM`` (``Belegdatum``) and ``TTMMJJ`` (the due date in ``Belegfeld 2``), Windows-1252
text, CRLF line ends. Every row has all 125 columns of the layout (DATEV reads them by position);
beyond the first 14 the booking fills the seller's VAT id (``Beleginfo - Art/Inhalt 1``), the
delivery date (``Leistungsdatum``), the due date (``Fälligkeit``, ``TTMMJJJJ``) and the VAT rate
(``Steuersatz``); the others stay empty.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ..model import DocumentType, Invoice
from ..settings import Settings
from .datev_columns import BUCHUNGSSTAPEL_COLUMNS

COLUMNS: tuple[str, ...] = BUCHUNGSSTAPEL_COLUMNS
"""All 125 columns of the layout, in order (``datev_columns``)."""

# Input-VAT keys of DATEV's standard charts (SKR03 / SKR04) by (EN 16931 category, rate).
TAX_KEYS: Mapping[tuple[str, Decimal], str] = {
    ("S", Decimal(19)): "9",  # 19 % Vorsteuer
    ("S", Decimal(7)): "8",  # 7 % Vorsteuer
    ("K", Decimal(19)): "19",  # intra-community acquisition, 19 % VSt and USt
    ("K", Decimal(7)): "18",  # intra-community acquisition, 7 %
    ("AE", Decimal(19)): "94",  # reverse charge (section 13b UStG), 19 %
    ("AE", Decimal(7)): "91",  # reverse charge, 7 %
}
_BELEGFELD = re.compile(r"[^A-Za-z0-9$%&*+\-./ ]")


@dataclass(frozen=True, slots=True)
class DatevOptions:
    consultant: int = 1001  # Beraternummer
    client: int = 1  # Mandantennummer
    account_length: int = 4  # Sachkontenlänge
    chart: str = "03"  # SKR03 or SKR04
    expense_account: int = 3400  # Wareneingang (SKR03); 5400 in SKR04
    collective_supplier_account: int = 70000  # for invoices without a supplier of the list

    @classmethod
    def of(cls, settings: Settings) -> DatevOptions:
        return cls(
            consultant=settings.datev_consultant_number,
            client=settings.datev_client_number,
            account_length=settings.datev_account_length,
            chart=settings.datev_chart,
            expense_account=settings.datev_expense_account,
            collective_supplier_account=settings.datev_collective_supplier_account,
        )


def tax_key(category: str | None, rate: Decimal | None) -> str:
    """The BU key of a rate ("" where none applies: exempt, zero-rated, unknown)."""
    if rate is None:
        return ""
    return TAX_KEYS.get(((category or "S").upper(), rate.normalize()), "")


def single_rate(invoice: Invoice) -> Decimal | None:
    """The one VAT rate of an invoice: of its tax lines or line items, else the whole percent
    its tax total is of its net total (19.00 on 100.00: 19); None when there are several."""
    rates = {line.rate for line in invoice.tax_lines if line.rate is not None}
    rates |= {item.tax_rate for item in invoice.line_items if item.tax_rate is not None}
    if rates:
        return rates.pop() if len(rates) == 1 else None
    tax, total = invoice.tax_total, invoice.total
    if tax is None or total is None or total == tax:
        return None
    percent = tax / (total - tax) * 100
    whole = percent.quantize(Decimal(1))
    return whole if abs(percent - whole) < Decimal("0.05") else None


def invoices_to_datev(
    invoices: Sequence[Invoice],
    accounts: Sequence[int | None],
    options: DatevOptions,
    created: datetime,
) -> bytes:
    """The EXTF file of ``invoices``; ``accounts[i]`` is the creditor account of invoice i."""
    bookings = [
        row
        for invoice, account in zip(invoices, accounts, strict=True)
        for row in _bookings(invoice, account or options.collective_supplier_account, options)
    ]
    dates = [i.issue_date for i in invoices if i.issue_date is not None] or [created.date()]
    lines = [_header(options, created, min(dates), max(dates)), _row(list(COLUMNS)), *bookings]
    return _cp1252("\r\n".join(lines) + "\r\n")


def _cp1252(text: str) -> bytes:
    """Windows-1252, as DATEV reads it: a character it lacks becomes its base letters where it
    has them ("Ș" -> "S", "ő" -> "o"), else "?"."""
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("cp1252", errors="ignore")
            out += base or b"?"
    return bytes(out)


def _header(options: DatevOptions, created: datetime, first: date, last: date) -> str:
    fields: list[str | int] = [
        "EXTF",
        700,
        21,
        "Buchungsstapel",
        13,
        _Bare(created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}"),
        "",
        "RE",
        "",
        "",
        options.consultant,
        options.client,
        _Bare(f"{first.year}0101"),
        options.account_length,
        _Bare(first.strftime("%Y%m%d")),
        _Bare(last.strftime("%Y%m%d")),
        "Eingangsrechnungen",
        "",
        1,
        0,
        0,
        "EUR",
        "",
        "",
        "",
        "",
        options.chart,
        "",
        "",
        "",
        "",
    ]
    return _row(fields)


def _bookings(invoice: Invoice, account: int, options: DatevOptions) -> list[str]:
    """One booking per tax line (gross = base + tax), else one of the total."""
    parts: list[tuple[Decimal, str, Decimal | None]] = [
        (line.base + line.amount, tax_key(line.category, line.rate), line.rate)
        for line in invoice.tax_lines
        if line.base is not None and line.amount is not None
    ]
    if not parts and invoice.total is not None:
        rate = single_rate(invoice)
        parts = [(invoice.total, tax_key("S", rate), rate)]
    credit = invoice.document_type is DocumentType.CREDIT_NOTE
    rows = []
    for gross, key, rate in parts:
        if gross == 0:
            continue
        side = "H" if credit != (gross < 0) else "S"
        values: dict[str, str | int] = {
            "Umsatz (ohne Soll/Haben-Kz)": _amount(abs(gross)),
            "Soll/Haben-Kennzeichen": side,
            "WKZ Umsatz": (invoice.currency or "EUR").upper()[:3],
            "Konto": options.expense_account,
            "Gegenkonto (ohne BU-Schlüssel)": account,
            "BU-Schlüssel": _Bare(key),
            "Belegdatum": _date(invoice.issue_date, "%d%m"),
            "Belegfeld 1": _BELEGFELD.sub("", invoice.invoice_number or "")[:36],
            "Belegfeld 2": _date(invoice.due_date, "%d%m%y"),
            "Buchungstext": (invoice.seller.name or "")[:60],
            "Leistungsdatum": _date(invoice.delivery_date, "%d%m%Y"),
            "Fälligkeit": _date(invoice.due_date, "%d%m%Y"),
            "Steuersatz": _amount(rate) if rate is not None else "",
        }
        if invoice.seller.vat_id:
            values["Beleginfo - Art 1"] = "USt-IdNr. Lieferant"
            values["Beleginfo - Inhalt 1"] = invoice.seller.vat_id[:210]
        rows.append(_row([values.get(column, "") for column in COLUMNS]))
    return rows


def _date(value: date | None, layout: str) -> _Bare:
    return _Bare(value.strftime(layout) if value else "")


def _amount(value: Decimal) -> _Bare:
    return _Bare(format(value.quantize(Decimal("0.01")), "f").replace(".", ","))


class _Bare(str):
    """A number or date field written without quotes."""

    __slots__ = ()


def _row(fields: Sequence[str | int]) -> str:
    """Numbers and dates bare, text in double quotes (inner quotes doubled), as DATEV writes."""
    cells = []
    for value in fields:
        if isinstance(value, int | _Bare) or value == "":
            cells.append(str(value))
        else:
            flat = " ".join(value.split())
            cells.append('"' + flat.replace('"', '""') + '"')
    return ";".join(cells)
