"""A seller's own labels: a confirmed value that no rule proposed ("Wir erwarten Ihre Überweisung
bis 04.04.2024", a total under a heading the lexicon lacks) is found on the page, and the words
before it (or the heading above it) become that seller's label for the field. On the seller's
next invoices the label is looked up again and the value read after it becomes a candidate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...ingest.document import Word
from .context import DocumentContext
from .fields import Candidate, PageIndex
from .seller_layout import Spot, value_shape
from .text import fold
from .values import parse_amount_words, parse_date_words, parse_id

Parse = Callable[[list[Word]], "tuple[Any, list[Word]] | None"]

SOURCE = "memory"
PLACED = "memory_place"  # read at the confirmed place, its label printed otherwise
_PLACE_POINTS = 12.0
_LABEL_WORDS = 4  # a seller's label is at most the last four words before its value
_MAX_LABEL_CHARS = 60
_KINDS = {"invoice_number": "id", "po_number": "id", "issue_date": "date", "due_date": "date"}


def parser(ctx: DocumentContext, path: str) -> Parse | None:
    """How the field's values are read (names are not: a name line has no shape to parse)."""
    kind = _KINDS.get(path, "name" if path.endswith(".name") else "amount")
    if kind == "id":
        return parse_id
    if kind == "date":
        return lambda words: parse_date_words(words, ctx.date_order)
    if kind == "amount":
        return lambda words: parse_amount_words(words, ctx.decimal_sep, last=False)
    return None


def printed_candidate(
    ctx: DocumentContext, path: str, same: Callable[[Any], bool], taken: frozenset[int]
) -> Candidate[Any] | None:
    """The first place on the pages where a value ``same`` accepts is printed, as a candidate
    labelled by the words before it (or the heading above it). Words another field's rules
    read (``taken``, by id) are that field's: an amount due equal to the total is derived from
    the total, not read after the total's label."""
    parse = parser(ctx, path)
    if parse is None:
        return None
    for index in ctx.indexes:
        for n, line in enumerate(index.lines):
            for i, word in enumerate(line.words):
                parsed = parse(line.words[i : i + 6])
                if parsed is None or parsed[1][0] is not word or not same(parsed[0]):
                    continue
                if id(word) in taken:
                    return None
                label = _label_before(index, n, i) or _label_above(index, n, word)
                if label is not None:
                    words, where = label
                    return _candidate(parsed, words, where)
    return None


def seller_candidates(
    ctx: DocumentContext, path: str, label: str, where: str
) -> Iterator[Candidate[Any]]:
    """Every value printed after (or under) the seller's own ``label`` on these pages."""
    parse = parser(ctx, path)
    if parse is None or not label:
        return
    for index in ctx.indexes:
        for n, folded in enumerate(index.folded):
            at = folded.find(label)
            if at < 0:
                continue
            first, last = index.word_range(n, at, at + len(label))
            words = index.lines[n].words
            label_words = words[first:last]
            if where == "right":
                parsed = parse(words[last : last + 6])
            else:
                parsed = next(
                    (p for p in map(parse, _under(index, n, label_words)) if p is not None), None
                )
            if parsed is not None:
                yield _candidate(parsed, label_words, where)


def _candidate(parsed: tuple[Any, list[Word]], label: list[Word], where: str) -> Candidate[Any]:
    value, used = parsed
    box = (
        min(w.x0 for w in label),
        min(w.y0 for w in label),
        max(w.x1 for w in label),
        max(w.y1 for w in label),
    )
    text = fold(" ".join(w.text for w in label))
    return Candidate(value, used, 0.5, text, where, box, SOURCE)


def _label_before(index: PageIndex, n: int, i: int) -> tuple[list[Word], str] | None:
    """The words before the value in its cell, else the cell just before it on the line."""
    line = index.lines[n].words
    cells = index.cells[n]
    at = next((k for k, c in enumerate(cells) if line[i] in c.words), None)
    if at is None:
        return None
    cell = cells[at].words
    before = cell[: cell.index(line[i])]
    if not before and at > 0:
        before = cells[at - 1].words
    return _usable(before[-_LABEL_WORDS:], "right")


def _label_above(index: PageIndex, n: int, word: Word) -> tuple[list[Word], str] | None:
    """A heading on the line above, over the value (a column of label over value)."""
    if n == 0:
        return None
    above = [w for w in index.lines[n - 1].words if w.x1 >= word.x0 - 4 and w.x0 <= word.x1 + 4]
    return _usable(above[:_LABEL_WORDS], "below")


def _usable(words: list[Word], where: str) -> tuple[list[Word], str] | None:
    text = fold(" ".join(w.text for w in words))
    if not words or not any(c.isalpha() for c in text) or len(text) > _MAX_LABEL_CHARS:
        return None
    return words, where


def _under(index: PageIndex, n: int, label: list[Word]) -> Iterator[list[Word]]:
    x0, x1 = label[0].x0, label[-1].x1
    for line in index.lines[n + 1 : n + 3]:
        words = [w for w in line.words if w.x1 >= x0 - 4 and w.x0 <= x1 + 40]
        if words:
            yield words


def placed_candidate(ctx: DocumentContext, path: str, spot: Spot) -> Candidate[Any] | None:
    """The value printed where the confirmed one stood, in the same shape, when its label reads
    differently this time (a template that varies its wording, an OCR slip in the label)."""
    parse = parser(ctx, path)
    if parse is None or not ctx.pages:
        return None
    at = min(spot.page, len(ctx.pages) - 1) if not spot.last_page else len(ctx.pages) - 1
    index = ctx.indexes[at]
    x, y = spot.x * index.page.width, spot.y * index.page.height
    for line in index.lines:
        for i, word in enumerate(line.words):
            if abs(word.x0 - x) > _PLACE_POINTS or abs(word.y0 - y) > _PLACE_POINTS / 2:
                continue
            parsed = parse(line.words[i : i + 6])
            if parsed is None or parsed[1][0] is not word:
                continue
            text = " ".join(w.text for w in parsed[1])
            if value_shape(text) == spot.shape:
                return Candidate(parsed[0], parsed[1], 0.5, spot.label, spot.where, None, PLACED)
    return None
