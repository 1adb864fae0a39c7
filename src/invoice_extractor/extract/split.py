"""Several invoices in one PDF: cut the pages where a new invoice starts.

A new invoice starts on a page that says "page 1 of N" (Seite 1 von N, Page 1 / N, ...), on the
page after one that said "page N of N", or on a page whose invoice number (in the page head)
differs from the one of the invoice being read. Pages without text stay with the invoice before.
"""

from __future__ import annotations

import re

from ..ingest.document import Document
from .embedded.fields import PageIndex
from .embedded.numbers import page_number

_PAGE_OF = re.compile(
    r"(?i)\b(?:page|seite|pagina|página|blad|feuille|p\.)\s*:?\s*(\d{1,3})\s*"
    r"(?:of|von|/|de|di|van|sur|aus)\s*(\d{1,3})\b"
)


def _page_marker(text: str) -> tuple[int, int] | None:
    m = _PAGE_OF.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def split_invoices(document: Document) -> list[list[int]]:
    if len(document.pages) == 1:  # nothing to cut: skip reading its number and markers
        return [[document.pages[0].number]]
    groups: list[list[int]] = []
    current_number: str | None = None
    previous_was_last = False
    for page in document.pages:
        if not page.words:
            if groups:
                groups[-1].append(page.number)
            else:
                groups.append([page.number])
            continue
        index = PageIndex.build(page)
        marker = _page_marker(page.text)
        number_cand = page_number(index)
        # Only a number in the page head counts: the body may cite other invoices' numbers.
        in_head = number_cand is not None and number_cand.words[0].y0 < page.height * 0.35
        number = number_cand.value if number_cand and in_head else None
        starts_new = bool(groups) and (
            (marker is not None and marker[0] == 1)
            or previous_was_last
            or (number is not None and current_number is not None and number != current_number)
        )
        previous_was_last = marker is not None and marker[0] == marker[1]
        if not groups or starts_new:
            groups.append([page.number])
            current_number = number
        else:
            groups[-1].append(page.number)
            current_number = current_number or number
    return groups or [[1]]
