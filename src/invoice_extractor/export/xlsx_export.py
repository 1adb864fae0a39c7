"""Invoices as an Excel workbook: an "Invoices" sheet and a "Line items" sheet.

Same columns and values as the CSV export; amounts become numbers and dates real dates, so the
sheet sums and sorts. Text cells that a spreadsheet would run as formulas are defused.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook

from ..model import DATE_FIELDS, TOTAL_FIELDS, Invoice
from .csv_export import (
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    invoice_rows,
    line_item_rows,
    neutralise,
)

_AMOUNT_COLUMNS = frozenset({*TOTAL_FIELDS, "quantity", "unit_price", "amount", "tax_rate"})
_DATE_COLUMNS = frozenset(DATE_FIELDS)


def invoices_to_xlsx(invoices: Sequence[Invoice]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Invoices"
    _fill(sheet, INVOICE_COLUMNS, invoice_rows(invoices))
    _fill(book.create_sheet("Line items"), LINE_ITEM_COLUMNS, line_item_rows(invoices))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Any, columns: Sequence[str], rows: list[list[Any]]) -> None:
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(column, value) for column, value in zip(columns, row, strict=True)])
    sheet.freeze_panes = "A2"


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _AMOUNT_COLUMNS:
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
