"""Text helpers shared by the engine's rules: matching keys and cells (word groups on a line)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from ...ingest.document import Line, Word
from .code_cache import compile_regex

# Unicode hyphens and dashes (hyphen, non-breaking hyphen, figure dash, en and em dash, minus)
# read as "-": "Rechnungs‐Nr." is "Rechnungs-Nr.". One character each, so offsets are kept.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table that deletes combining marks and keeps every other character,
    filled in as characters are met (there are a million code points, a page uses a few)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_DROP_COMBINING = _CombiningMarks()


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-, accent- and dash-insensitive key: ``Rechnungsempfänger`` -> ``rechnungsempfanger``."""
    if text.isascii():  # no dash, accent or case rule beyond lower case applies: the fast path
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_DASHES))
    return decomposed.translate(_DROP_COMBINING)


# Quote marks OCR reads into a word from specks and accents ("USt-Id.‚-Nr."). One between
# digits is kept: "1'250.00" is a Swiss amount; so is an apostrophe between letters, a French
# or Italian elision ("d'échéance", "dell'ordine") that the text layer keeps too.
_MARKS = "[\u201a\u201e\u2018\u2019\u201c\u201d'`\u00b4\"]"
_STRAY_MARKS = compile_regex(
    f"(?P<elision>(?<=[^\\W\\d_])['\u2019](?=[^\\W\\d_]))|(?<![0-9]){_MARKS}|{_MARKS}(?![0-9])"
)


def _drop_stray(match: re.Match[str]) -> str:
    return match.group() if match.group("elision") else ""


@lru_cache(maxsize=65536)
def fold_ocr(text: str) -> str:
    """``fold`` of a word read by OCR, without the stray quote marks OCR puts in words."""
    return fold(_STRAY_MARKS.sub(_drop_stray, text))


DIGIT = re.compile(r"\d")


def holds_digit(text: str) -> bool:
    """``any(c.isdigit() for c in text)``, searched in C: every decimal digit (``\\d``) is a
    digit, and only a text beyond ASCII may hold another (a superscript, a circled one)."""
    return DIGIT.search(text) is not None or (not text.isascii() and any(c.isdigit() for c in text))


@dataclass(slots=True)
class Cell(Line):
    """Words of one line that sit together: separated from the next cell by a wide gap."""

    line_index: int = 0


def split_cells(line: Line, line_index: int, gap_factor: float = 1.2) -> list[Cell]:
    """Cut a line where the gap between two words is wider than ``gap_factor`` x text height."""
    words = line.words
    if not words:
        return []
    cells: list[Cell] = []
    current = [words[0]]
    for prev, word, size in zip(words, words[1:], pair_heights(words), strict=False):
        if word.x0 - prev.x1 > size * gap_factor:
            cells.append(Cell(current, line_index))
            current = [word]
        else:
            current.append(word)
    cells.append(Cell(current, line_index))
    return cells


def pair_heights(words: list[Word]) -> list[float]:
    """Per two neighbouring words, the smaller of their heights, at least 1: the text size a
    gap between them is measured in. Compared inline, as this runs on every word of a page."""
    sizes = []
    for prev, word in pairwise(words):
        size = prev.y1 - prev.y0
        height = word.y1 - word.y0
        if height < size:
            size = height
        sizes.append(size if size >= 1.0 else 1.0)
    return sizes


def union_bbox(words: list[Word]) -> tuple[float, float, float, float]:
    """The box around all words, in points rounded to 0.01 (finer is noise in JSON)."""
    return (
        round(min(w.x0 for w in words), 2),
        round(min(w.y0 for w in words), 2),
        round(max(w.x1 for w in words), 2),
        round(max(w.y1 for w in words), 2),
    )
