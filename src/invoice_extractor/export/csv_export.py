"""Invoices as CSV: one row per invoice, or one row per line item.

Columns come from the model (``HEADER_FIELDS``, ``LineItem``'s fields), so a field added to the
model shows up here without an edit. Values are taken from the JSON form of the invoice, so amounts,
dates and enums read exactly as in the JSON export. Cells a spreadsheet would run as a formula are
defused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..model import HEADER_FIELDS, Invoice, LineItem

INVOICE_COLUMNS: tuple[str, ...] = (
    "file",
    "pages",
    "status",
    "extractor",
    "document_type",
    *HEADER_FIELDS,
    "warnings",
    "error",
)
LINE_ITEM_COLUMNS: tuple[str, ...] = ("file", "invoice_number", "line", *LineItem.model_fields)

WARNING_SEPARATOR = " | "

# Spreadsheets evaluate a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def invoice_rows(invoices: Iterable[Invoice]) -> list[list[Any]]:
    """One row per invoice (in ``INVOICE_COLUMNS`` order), values as in the JSON form."""
    rows = []
    for invoice in invoices:
        data = invoice.to_json_dict()
        row: dict[str, Any] = {path: _lookup(data, path) for path in HEADER_FIELDS}
        row.update(
            file=invoice.file,
            pages=format_pages(invoice.pages),
            status=data["status"],
            extractor=invoice.extractor,
            document_type=data["document_type"],
            warnings=WARNING_SEPARATOR.join(invoice.warnings),
            error=invoice.error,
        )
        rows.append([row[column] for column in INVOICE_COLUMNS])
    return rows


def line_item_rows(invoices: Iterable[Invoice]) -> list[list[Any]]:
    """One row per line item (in ``LINE_ITEM_COLUMNS`` order), numbered from 1 per invoice."""
    rows = []
    for invoice in invoices:
        for number, item in enumerate(invoice.line_items, start=1):
            data = item.model_dump(mode="json")
            rows.append([invoice.file, invoice.invoice_number, number, *data.values()])
    return rows


def invoices_to_csv(invoices: Iterable[Invoice]) -> str:
    """One row per invoice: identity columns, every header field path, warnings and error."""
    return _write(INVOICE_COLUMNS, invoice_rows(invoices))


def line_items_to_csv(invoices: Iterable[Invoice]) -> str:
    """One row per line item, numbered from 1 within its invoice."""
    return _write(LINE_ITEM_COLUMNS, line_item_rows(invoices))


def format_pages(pages: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3,5"``: runs of consecutive pages as ranges."""
    parts: list[str] = []
    ordered = sorted(set(pages))
    start = 0
    for i, page in enumerate(ordered):
        if i + 1 == len(ordered) or ordered[i + 1] != page + 1:
            first = ordered[start]
            parts.append(str(first) if first == page else f"{first}-{page}")
            start = i + 1
    return ",".join(parts)


def neutralise(value: Any) -> str:
    """The cell text, with a leading ``'`` if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _write(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF line ends, quoting where needed
    writer.writerow(columns)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue()
