"""Invoices as CSV: one row per invoice, or one row per line item.

Columns come from the model (``HEADER_FIELDS``, ``LineItem``'s fields), so a field added to the
model shows up here without an edit. Values are taken from the JSON form of the invoice, so amounts,
dates and enums read exactly as in the JSON export. Cells a spreadsheet would run as a formula are
defused. Given the review state of each invoice (``Review``), the rows also carry ``reviewed``,
``reviewed_at`` and the corrected field paths.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
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

REVIEW_COLUMNS: tuple[str, ...] = ("reviewed", "reviewed_at", "corrected_fields")
"""Appended to both row kinds when the review state is given (the web app's exports)."""

MATCH_COLUMNS: tuple[str, ...] = ("po_match", "po_matched", "payment_status", "paid_on")
"""Before the review columns of invoice rows when the review state is given: the purchase-order
match status and order number, and the payment state and booking date (the matcher's)."""

WARNING_SEPARATOR = " | "
CORRECTED_SEPARATOR = " "  # field paths hold no spaces


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's work on one invoice: marked reviewed (and when), and the corrected paths."""

    reviewed: bool = False
    reviewed_at: datetime | None = None
    corrected: tuple[str, ...] = ()
    po_match: str | None = None  # matched | partial | over_invoiced | no_po
    po_matched: str | None = None  # the purchase order's number
    payment_status: str | None = None  # paid | unpaid
    paid_on: str | None = None  # ISO date the paying transaction was booked


def invoice_columns(reviews: Sequence[Review] | None = None) -> tuple[str, ...]:
    return INVOICE_COLUMNS + (MATCH_COLUMNS + REVIEW_COLUMNS if reviews is not None else ())


def line_item_columns(reviews: Sequence[Review] | None = None) -> tuple[str, ...]:
    return LINE_ITEM_COLUMNS + (REVIEW_COLUMNS if reviews is not None else ())


# Spreadsheets evaluate a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def invoice_rows(
    invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None
) -> list[list[Any]]:
    """One row per invoice (in ``invoice_columns(reviews)`` order), values as in the JSON form;
    ``reviewed`` is a bool, ``reviewed_at`` a datetime and ``corrected_fields`` a tuple."""
    rows = []
    for index, invoice in enumerate(invoices):
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
        cells = [row[column] for column in INVOICE_COLUMNS]
        if reviews is not None:
            review = reviews[index]
            cells += [review.po_match, review.po_matched, review.payment_status, review.paid_on]
            cells += [review.reviewed, review.reviewed_at, review.corrected]
        rows.append(cells)
    return rows


def line_item_rows(
    invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None
) -> list[list[Any]]:
    """One row per line item (in ``line_item_columns(reviews)`` order), numbered from 1 per
    invoice; its ``corrected_fields`` are the invoice's corrected paths within that line."""
    rows = []
    for index, invoice in enumerate(invoices):
        for number, item in enumerate(invoice.line_items, start=1):
            data = item.model_dump(mode="json")
            cells = [invoice.file, invoice.invoice_number, number, *data.values()]
            if reviews is not None:
                review = reviews[index]
                prefix = f"line_items.{number - 1}."
                mine = tuple(path for path in review.corrected if path.startswith(prefix))
                cells += [review.reviewed, review.reviewed_at, mine]
            rows.append(cells)
    return rows


def invoices_to_csv(invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None) -> str:
    """One row per invoice: identity columns, every header field path, warnings and error (and
    the review columns when ``reviews`` is given, one per invoice)."""
    return _write(invoice_columns(reviews), invoice_rows(invoices, reviews))


def line_items_to_csv(invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None) -> str:
    """One row per line item, numbered from 1 within its invoice."""
    return _write(line_item_columns(reviews), line_item_rows(invoices, reviews))


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


def review_text(value: Any) -> Any:
    """A review cell as text: ``true`` / ``false``, an ISO timestamp, paths joined by spaces."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return CORRECTED_SEPARATOR.join(value)
    return value


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _write(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF line ends, quoting where needed
    writer.writerow(columns)
    writer.writerows([neutralise(review_text(cell)) for cell in row] for row in rows)
    return buffer.getvalue()
