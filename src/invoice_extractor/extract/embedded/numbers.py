"""The invoice number of a page: labelled ("Invoice No", "Rechnungsnummer", "N° de facture"), or
printed after the document title ("Invoice INV/2023/03/0008", "Rechnung AC-2023-1234")."""

from __future__ import annotations

import re
from functools import lru_cache

from ...ingest.document import Word
from .code_cache import compile_regex
from .fields import Candidate, PageIndex, best, find_labelled
from .lexicon import CREDIT_TITLES, DOCUMENT_TITLES, alternation
from .lexicon._forms import NUMBER
from .text import fold
from .values import parse_id

_TITLE_WORD = compile_regex(rf"(?i)^{alternation((*DOCUMENT_TITLES, *CREDIT_TITLES))}$")
_MARKER = re.compile(rf"{NUMBER}(?::|(?<=[°º#.])|$)")
_EXTRA_WORDS = 3  # words a title may carry before its number sign


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
            if id(word) not in cell_starts or not _is_title(word.text):
                continue
            after = line.words[k + 1 :]
            parsed = parse_id(after) or after_marker(after)
            if parsed is None and i + 1 < len(lines):
                below = [w for w in lines[i + 1].words if w.x1 >= word.x0 and w.x0 <= word.x1]
                parsed = parse_id(below) or after_marker(_from(lines[i + 1].words, below))
            if parsed is not None and len(parsed[0]) >= 3:
                box = (word.x0, word.y0, word.x1, word.y1)
                found.append(Candidate(parsed[0], parsed[1], 0.6, word.text, "title", box))
    return found


@lru_cache(maxsize=8192)
def _is_title(text: str) -> bool:
    """A document title word ("Invoice", "Rechnung:"). Memoised: the splitter and the
    candidates read the same page heads."""
    return _TITLE_WORD.match(text.rstrip(":")) is not None


def after_marker(words: list[Word]) -> tuple[str, list[Word]] | None:
    """The id after a number sign a few words on: a title with extra words before its number
    ("FACTURE / AFFACTUREE N° 12", "Rechnung Korrektur Nr. 7", "Invoice (copy) # 5")."""
    for k, word in enumerate(words[: _EXTRA_WORDS + 1]):
        marker = _MARKER.match(fold(word.text))
        if marker is None:
            continue
        glued = word.text[marker.end() :].strip(":")
        if glued:  # "N°562044387": the value glued on the sign
            return parse_id([Word(glued, word.x0, word.y0, word.x1, word.y1, word.page)])
        return parse_id(words[k + 1 :])
    return None


def _from(words: list[Word], start: list[Word]) -> list[Word]:
    """The words of a line from the first of ``start`` on."""
    return words[words.index(start[0]) :] if start else []


def page_number(index: PageIndex) -> Candidate[str] | None:
    """The invoice number printed on this page, labelled first."""
    return labelled_number(index) or titled_number(index)
