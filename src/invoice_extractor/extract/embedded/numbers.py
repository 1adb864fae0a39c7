"""The invoice number of a page: labelled ("Invoice No", "Rechnungsnummer", "N° de facture"), or
printed after the document title ("Invoice INV/2023/03/0008", "Rechnung AC-2023-1234")."""

from __future__ import annotations

import re

from .fields import Candidate, PageIndex, best, find_labelled
from .lexicon import CREDIT_TITLES, DOCUMENT_TITLES, alternation
from .values import parse_id

_TITLE_WORD = re.compile(rf"(?i)^{alternation((*DOCUMENT_TITLES, *CREDIT_TITLES))}$")


def labelled_number(index: PageIndex) -> Candidate[str] | None:
    return best(find_labelled(index, "invoice_number", parse_id))


def titled_number(index: PageIndex) -> Candidate[str] | None:
    return best(titled_numbers(index))


def titled_numbers(index: PageIndex) -> list[Candidate[str]]:
    """A title word in the page head followed by the number, or with the number under it."""
    found: list[Candidate[str]] = []
    lines = index.lines
    head = index.page.height * 0.4
    for i, line in enumerate(lines):
        if line.y0 > head:
            break
        cell_starts = {id(cell.words[0]) for cell in index.cells[i]}
        for k, word in enumerate(line.words):
            # A title heads its cell: "in Rechnung zu stellen" is a sentence, not a title.
            if id(word) not in cell_starts or not _TITLE_WORD.match(word.text.rstrip(":")):
                continue
            parsed = parse_id(line.words[k + 1 :])
            if parsed is None and i + 1 < len(lines):
                below = [w for w in lines[i + 1].words if w.x1 >= word.x0 and w.x0 <= word.x1]
                parsed = parse_id(below)
            if parsed is not None and len(parsed[0]) >= 3:
                box = (word.x0, word.y0, word.x1, word.y1)
                found.append(Candidate(parsed[0], parsed[1], 0.6, word.text, "title", box))
    return found


def page_number(index: PageIndex) -> Candidate[str] | None:
    """The invoice number printed on this page, labelled first."""
    return labelled_number(index) or titled_number(index)
