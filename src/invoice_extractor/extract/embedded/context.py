"""One ``DocumentContext`` per invoice's pages: what every reader of those pages must agree on.

The engine, the splitter, the LLM grounding and the e-invoice cross-check all read amounts and
dates through it, so "03/04/2024" and "1.234" mean the same to each of them on the same page.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from ...ingest.document import Page
from .amounts import guess_decimal_separator
from .dates import DateOrder, guess_date_order
from .fields import PageIndex
from .language import detect_language
from .receipts import is_receipt


@dataclass(slots=True)
class DocumentContext:
    pages: list[Page]
    indexes: list[PageIndex]
    language: str | None
    decimal_sep: str | None
    date_order: DateOrder
    word_height: float  # the median word height: the body text size
    receipt: bool  # the first page with words is a till slip

    @classmethod
    def build(cls, pages: list[Page]) -> DocumentContext:
        """Built once per page range; later calls for the same pages return the same object."""
        key = "document_context:" + ",".join(str(p.number) for p in pages)
        if pages:
            cached = pages[0].cache.get(key)
            if isinstance(cached, DocumentContext):
                return cached
        indexes = [PageIndex.build(p) for p in pages]
        texts = [line.text for p in pages for line in p.lines]
        words = [w for p in pages for w in p.words]
        language = detect_language([w.text for w in words])
        first = next((i for i in indexes if i.page.words), indexes[0] if indexes else None)
        ctx = cls(
            pages,
            indexes,
            language,
            guess_decimal_separator(texts),
            guess_date_order(texts, language),
            statistics.median([w.y1 - w.y0 for w in words]) if words else 10.0,  # Word.height
            first is not None and is_receipt(first),
        )
        if pages:
            pages[0].cache[key] = ctx
        return ctx
