"""Find a value on the pages: is the amount, date or id the XML (or an LLM) gave printed there?

A value found gets its evidence box; one that is not found stays unconfirmed. The e-invoice
cross-check and the LLM backends use this to trust a value only as far as the page confirms it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ..ingest.document import Page, Word
from ..model import Evidence
from .embedded.amounts import find_amounts
from .embedded.context import DocumentContext
from .embedded.dates import DateOrder, find_dates
from .embedded.text import fold, union_bbox
from .embedded.values import joined, words_in_span

_NON_ALNUM = re.compile(r"[^0-9a-z]")


class PageText:
    """The pages of one invoice, prepared once for many lookups."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = pages
        # The engine's reading of the same pages: one decimal separator and date order for both.
        ctx = DocumentContext.build(pages)
        self.decimal_sep = ctx.decimal_sep
        self.date_order: DateOrder = ctx.date_order
        self._lines = [(line.words, *joined(line.words)) for page in pages for line in page.lines]

    def amount(self, value: Decimal) -> Evidence | None:
        for words, text, starts in self._lines:
            for match in find_amounts(text, self.decimal_sep):
                if match.value == value or (value < 0 and match.value == -value):
                    return _evidence(words_in_span(words, starts, match.start, match.end))
        return None

    def date(self, value: date) -> Evidence | None:
        for words, text, starts in self._lines:
            for match in find_dates(text, self.date_order):
                if match.value == value:
                    return _evidence(words_in_span(words, starts, match.start, match.end))
        return None

    def identifier(self, value: str) -> Evidence | None:
        """An id printed with or without spaces, in any case ("DE 123 456 789")."""
        target = _NON_ALNUM.sub("", fold(value))
        if len(target) < 2:
            return None
        for words, _, _ in self._lines:
            compact = [_NON_ALNUM.sub("", fold(w.text)) for w in words]
            for start in range(len(words)):
                acc = ""
                for end in range(start, len(words)):
                    acc += compact[end]
                    if acc == target:
                        return _evidence(words[start : end + 1])
                    if not target.startswith(acc):
                        break
        return None

    def name(self, value: str) -> Evidence | None:
        target = " ".join(fold(value).split())
        for words, text, starts in self._lines:
            folded = fold(text)
            at = folded.find(target)
            if at >= 0 and len(folded) == len(text):
                return _evidence(words_in_span(words, starts, at, at + len(target)))
        return None


def _evidence(words: list[Word]) -> Evidence | None:
    if not words:
        return None
    return Evidence(
        page=words[0].page,
        bbox=union_bbox(words),
        text=" ".join(w.text for w in words),
        confidence=1.0,
    )
