"""Invoices as an Excel workbook: an "Invoices" sheet and a "Line items" sheet.

Same columns and values as the CSV export; amounts become numbers shown with two decimals, dates
real dates and ``reviewed_at`` a date and time (UTC), so the sheet sums, sorts and filters. Each
sheet has a frozen header row, an autofilter and columns as wide as their content (within
bounds). Text cells that a spreadsheet would run as formulas are defused.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ..model import DATE_FIELDS, TOTAL_FIELDS, Invoice
from .csv_export import (
    Review,
    invoice_columns,
    invoice_rows,
    line_item_columns,
    line_item_rows,
    neutralise,
    review_text,
)

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MIN_WIDTH, MAX_WIDTH = 8, 50

_MONEY_COLUMNS = frozenset({*TOTAL_FIELDS, "unit_price", "amount"})
_NUMBER_COLUMNS = _MONEY_COLUMNS | {"quantity", "tax_rate"}
_DATE_COLUMNS = frozenset({*DATE_FIELDS, "paid_on"})


def invoices_to_xlsx(invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Invoices"
    _fill(sheet, invoice_columns(reviews), invoice_rows(invoices, reviews))
    items = book.create_sheet("Line items")
    _fill(items, line_item_columns(reviews), line_item_rows(invoices, reviews))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Any, columns: Sequence[str], rows: list[list[Any]]) -> None:
    sheet.append(list(columns))
    widths = [len(column) for column in columns]
    for row in rows:
        cells = [_cell(column, value) for column, value in zip(columns, row, strict=True)]
        sheet.append(cells)
        widths = [max(w, _shown_width(c)) for w, c in zip(widths, cells, strict=True)]
    for number, (column, width) in enumerate(zip(columns, widths, strict=True), start=1):
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
        number_format = _format_of(column)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def _format_of(column: str) -> str | None:
    if column in _MONEY_COLUMNS:
        return MONEY_FORMAT
    if column in _DATE_COLUMNS:
        return DATE_FORMAT
    if column == "reviewed_at":
        return DATETIME_FORMAT
    return None


def _shown_width(value: Any) -> int:
    """About how many characters the cell shows in its number format."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}")
    if isinstance(value, datetime):
        return len("2000-01-01 00:00:00")
    if isinstance(value, date):
        return len("2000-01-01")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):  # Excel has no time zones: the UTC time, naive
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, tuple):
        return neutralise(review_text(value))
    if column in _NUMBER_COLUMNS:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return neutralise(value)
    if column in _DATE_COLUMNS:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return neutralise(value)
    if isinstance(value, int):
        return value
    return neutralise(value)
