"""Items listed without a table heading: a run of lines, each a name and an amount, whose amounts
add up to the invoice total.

Some invoices (cloud and utility statements) list their services as lines of a name and a charge,
perhaps with indented breakdown lines between them, and print no heading row. Only read when no
items table is found, on text pages (OCR misreads would make a sum by chance). The arithmetic is
the evidence: lines at one indentation and size, their amounts right-aligned, distinct names, in
one unbroken run, summing exactly to the total. Totals and tax lines break a run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ...ingest.document import Word
from .fields import PageIndex
from .item_rows import Continuation, Number, Row, attach_continuations
from .items import FoundItem, Table, is_stop, line_numbers

MIN_LINES = 2
ALIGN = 3.0  # points: how far apart right-aligned amounts (and indents) may stand
CONTINUATION_REACH = 6  # lines below the run read for a wrapped last name


@dataclass(slots=True)
class _Listed:
    order: int  # line order over the pages
    words: list[Word]
    amount: Number
    height: float
    index: PageIndex
    line: int


def _listed(index: PageIndex, i: int, order: int, decimal_sep: str | None) -> _Listed | None:
    """A line of a name and an amount at its right end, or None."""
    line = index.lines[i]
    money = [n for n in line_numbers(index, i, decimal_sep) if n.money]
    if not money or money[-1].words[-1] is not line.words[-1]:
        return None
    amount = money[-1]
    used = {id(w) for n in money for w in n.words}
    words = [w for w in line.words if id(w) not in used and w.x1 <= amount.x0]
    if not any(c.isalpha() for w in words for c in w.text):
        return None
    return _Listed(order, words, amount, line.words[0].height, index, i)


def _key(entry: _Listed) -> tuple[int, int, int]:
    return (round(entry.words[0].x0 / ALIGN), round(entry.amount.x1 / ALIGN), round(entry.height))


def listed_items(indexes: list[PageIndex], decimal_sep: str | None, totals: set[Decimal]) -> Table:
    """The run of name-and-amount lines that adds up to one of ``totals`` (the invoice's net or
    gross total); an empty table if none, or if several do."""
    if any(index.ocr for index in indexes):
        return Table()
    groups: dict[tuple[int, int, int], list[_Listed]] = defaultdict(list)
    stops: list[tuple[int, float]] = []  # (line order, indent) of totals and tax lines
    order = 0
    for index in indexes:
        for i, line in enumerate(index.lines):
            order += 1
            if is_stop(index, i):
                stops.append((order, line.words[0].x0))
                continue
            entry = _listed(index, i, order, decimal_sep)
            if entry is not None:
                groups[_key(entry)].append(entry)
    found = [run for group in groups.values() for run in _runs(group, stops, totals)]
    if len(found) != 1:
        return Table()  # none, or several alike: nothing to tell them apart
    return Table(items=[_item(e, desc) for e, desc in _described(found[0], decimal_sep)])


def _item(entry: _Listed, words: list[Word]) -> FoundItem:
    text = " ".join(w.text for w in words)
    return FoundItem(text, None, None, entry.amount.value, words, entry.amount.words)


def _described(run: list[_Listed], decimal_sep: str | None) -> list[tuple[_Listed, list[Word]]]:
    """Each listed line with its description, continued on the lines without an amount that
    stand at its indentation or deeper (a name wrapped over several lines)."""
    result = []
    for index in {id(e.index): e.index for e in run}.values():
        entries = [e for e in run if e.index is index]
        rows = {e.line: Row(e.amount, *_span(index, e.line), list(e.words)) for e in entries}
        indent = entries[0].words[0].x0 - ALIGN
        right = min(e.amount.x0 for e in entries)
        first, last = entries[0].line, entries[-1].line
        extra = []
        for i in range(first, len(index.lines)):  # a name wraps down; above stand headings
            if i > last + CONTINUATION_REACH or (i > last and is_stop(index, i)):
                break
            if i in rows or any(n.money for n in line_numbers(index, i, decimal_sep)):
                continue
            words = [w for w in index.lines[i].words if w.x0 >= indent and w.x1 <= right]
            if any(c.isalpha() for w in words for c in w.text):
                extra.append(Continuation(*_span(index, i), words[0].height, words, []))
        attach_continuations(list(rows.values()), extra)
        result += [(e, rows[e.line].desc) for e in entries]  # lines joined top to bottom
    return result


def _span(index: PageIndex, i: int) -> tuple[float, float]:
    return index.lines[i].y0, index.lines[i].y1


def _runs(
    group: list[_Listed], stops: list[tuple[int, float]], totals: set[Decimal]
) -> list[list[_Listed]]:
    """Unbroken runs of the group, of distinct names, whose amounts add up to a total. A total
    or tax line at the group's indentation or left of it breaks a run; one indented deeper is a
    breakdown of the line above."""
    indent = group[0].words[0].x0 + ALIGN
    runs: list[list[_Listed]] = [[]]
    for entry in group:
        last = runs[-1][-1].order if runs[-1] else -1
        if any(last < at < entry.order and x0 <= indent for at, x0 in stops):
            runs.append([])
        runs[-1].append(entry)
    return [
        run
        for run in runs
        if len(run) >= MIN_LINES
        and sum((e.amount.value for e in run), Decimal(0)) in totals
        and len({" ".join(w.text.casefold() for w in e.words) for e in run}) == len(run)
    ]
