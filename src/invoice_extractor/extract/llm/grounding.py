"""Trust an LLM's value only as far as the page confirms it.

Every value that must be printed on the invoice (amounts, quantities, rates, dates, numbers and
ids) is looked up in the words of the invoice's pages with ``PageText``. Found: it gets the
evidence box of the printed words (confidence ``FOUND``). Not found: a warning
``not found on page: invoice_number 'INV-9'`` and evidence of confidence ``NOT_FOUND`` whose box
is the whole first page and whose text is empty (the value is on no particular spot). Names and
line descriptions get evidence when found, and no warning otherwise: LLMs rightly normalise them.
Currency, country, address, terms, units and categories are not looked up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from ...ingest.document import Page
from ...model import Evidence, Invoice
from ..embedded.text import union_bbox
from ..embedded.values import joined, words_in_span
from ..grounding import PageText
from .schema import BOOKKEEPING

FOUND = 0.9
NOT_FOUND = 0.3
WARNING_PREFIX = "not found on page: "

_IDS = frozenset(
    {"invoice_number", "po_number", "buyer_reference", "vat_id", "tax_id", "iban", "bic", "email"}
)
_NAMES = frozenset({"name", "description"})
_RATES = frozenset({"rate", "tax_rate"})
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,4})?)\s?%")


def ground(
    invoice: Invoice, pages: list[Page], *, only: Callable[[str], bool] | None = None
) -> Invoice:
    """A copy of ``invoice`` with evidence for every value found on ``pages`` and a warning for
    every printed value that is not; ``only`` limits the work to the paths it accepts."""
    out = invoice.model_copy(deep=True)
    text = PageText(pages)
    for path, value in leaves(out):
        if only is not None and not only(path):
            continue
        field = path.rsplit(".", 1)[-1]
        evidence = _lookup(text, pages, field, value)
        if evidence is not None:
            out.evidence[path] = evidence.model_copy(update={"confidence": FOUND})
        elif field not in _NAMES and _is_printed(field, value) and pages:
            out.evidence[path] = _unlocated(pages[0])
            warning = f"{WARNING_PREFIX}{path} '{_show(value)}'"
            if warning not in out.warnings:
                out.warnings.append(warning)
    return out


def leaves(invoice: Invoice) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of every value the invoice holds, outside the bookkeeping fields."""

    def walk(node: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
        for name in type(node).model_fields:
            if not prefix and name in BOOKKEEPING:
                continue
            value = getattr(node, name)
            if isinstance(value, BaseModel):
                yield from walk(value, f"{prefix}{name}.")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        yield from walk(item, f"{prefix}{name}.{i}.")
            elif value is not None:
                yield f"{prefix}{name}", value

    return walk(invoice, "")


def _is_printed(field: str, value: Any) -> bool:
    return isinstance(value, Decimal | date) or (isinstance(value, str) and field in _IDS)


def _lookup(text: PageText, pages: list[Page], field: str, value: Any) -> Evidence | None:
    if isinstance(value, Decimal):
        if field in _RATES:
            return _percent(pages, value) or text.amount(value)
        return text.amount(value)
    if isinstance(value, date):
        return text.date(value)
    if isinstance(value, str) and field in _IDS:
        return text.identifier(value)
    if isinstance(value, str) and field in _NAMES:
        return text.name(value)
    return None


def _percent(pages: list[Page], value: Decimal) -> Evidence | None:
    """A rate printed with its percent sign ("19 %", "7,5%"), which amounts never match."""
    for page in pages:
        for line in page.lines:
            line_text, starts = joined(line.words)
            for match in _PERCENT.finditer(line_text):
                try:
                    found = Decimal(match.group(1).replace(",", "."))
                except InvalidOperation:
                    continue
                if found == value:
                    words = words_in_span(line.words, starts, match.start(), match.end())
                    if words:
                        return Evidence(
                            page=words[0].page,
                            bbox=union_bbox(words),
                            text=" ".join(w.text for w in words),
                            confidence=FOUND,
                        )
    return None


def _unlocated(page: Page) -> Evidence:
    return Evidence(
        page=page.number, bbox=(0.0, 0.0, page.width, page.height), text="", confidence=NOT_FOUND
    )


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
