"""Rows of an items table, and the description lines without an amount that continue them.

A multi-line item prints its amount on one of its lines; the others continue its description. Which
row a continuation belongs to is read from the table's geometry, not from the nearest amount alone:
lines of one item stand closer together than one line height, and the lines between two rows part
at the widest blank between them. Where the blanks are alike, the table's layout decides: if no
continuation stands right above the first row but some stand right below rows, the amount line
leads each item (the continuations go up to it: a service period, a contract reference); if none
stands below the last row but some above rows, the amount line ends each item. Otherwise, and for
lines out of reach of these chains, a continuation goes to the nearest row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from ...ingest.document import Word

ITEM_LINE_GAP = 1.0  # the widest blank between two lines of one item, in line heights
GAP_TOLERANCE = 0.25  # gaps closer than this (in line heights) are alike


@dataclass(slots=True)
class Number:
    value: Decimal
    words: list[Word]
    money: bool

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass(slots=True)
class Row:
    """A line with an amount under the amount column."""

    amount: Number
    y0: float
    y1: float
    desc: list[Word] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)

    @property
    def height(self) -> float:
        return self.amount.words[0].height


@dataclass(slots=True)
class Continuation:
    """A line of the table with description words but no amount."""

    y0: float
    y1: float
    height: float
    words: list[Word]  # none for a line of price details: it only holds the item's block together
    numbers: list[Number]


def _gap(upper: Row | Continuation, lower: Row | Continuation) -> float:
    return lower.y0 - upper.y1


def _adjacent(upper: Row | Continuation, lower: Row | Continuation) -> bool:
    size = max(min(upper.height, lower.height), 4.0)
    return _gap(upper, lower) <= size * ITEM_LINE_GAP


def _layout(entries: list[Row | Continuation]) -> bool | None:
    """True if the amount line leads every item, False if it ends it, None if unclear."""
    positions = [n for n, e in enumerate(entries) if isinstance(e, Row)]
    first, last = positions[0], positions[-1]

    def joined(upper: int, lower: int) -> bool:
        if upper < 0 or lower >= len(entries):
            return False
        pair = entries[upper], entries[lower]
        return isinstance(pair[0], Row) != isinstance(pair[1], Row) and _adjacent(*pair)

    above_first = joined(first - 1, first)
    if not above_first and any(joined(n, n + 1) for n in positions):
        return True
    if not joined(last, last + 1) and any(joined(n - 1, n) for n in positions):
        return False
    return None


def _split(block: list[Row | Continuation], rows_lead: bool | None) -> int | None:
    """Where the lines between two rows part: at the widest gap, or (gaps alike) where the
    table's layout says. The index of the first line of the lower item; None if undecided."""
    gaps = [_gap(a, b) for a, b in pairwise(block)]
    tolerance = max(block[0].height, 4.0) * GAP_TOLERANCE
    widest = [n for n, g in enumerate(gaps) if g >= max(gaps) - tolerance]
    if len(widest) > 1 and rows_lead is None:
        return None
    cut = widest[-1] if len(widest) == 1 or rows_lead else widest[0]
    return cut + 1


def _owners(entries: list[Row | Continuation]) -> dict[int, Row]:
    """Continuations joined, by adjacent lines, to the row of their item (by ``id``)."""
    rows_lead = _layout(entries)
    owners: dict[int, Row] = {}

    def chain(lines: list[Row | Continuation], limit: int | None = None) -> int:
        """``lines[0]`` is a row, the others lead away from it: each joins while adjacent (and
        while fewer than ``limit`` have). How many joined."""
        row = lines[0]
        assert isinstance(row, Row)
        joined = 0
        for near, far in pairwise(lines):
            upper, lower = (near, far) if far.y0 > near.y0 else (far, near)
            if not _adjacent(upper, lower) or joined == limit:
                break
            owners[id(far)] = row
            joined += 1
        return joined

    positions = [n for n, e in enumerate(entries) if isinstance(e, Row)]
    longest: int | None = None  # the most lines an item between two rows has on the layout's side
    for a, b in pairwise(positions):
        block = entries[a : b + 1]
        cut = _split(block, rows_lead)
        if cut is not None:
            below, above = chain(block[:cut]), chain(block[cut:][::-1])
            longest = max(longest or 0, below if rows_lead else above)
    # The first item's lines above its amount line, or the last item's below it, are bounded
    # by the longest item between rows: past them stand the table's headings or notes.
    first, last = positions[0], positions[-1]
    if rows_lead is False:
        chain(entries[: first + 1][::-1], longest)
    if rows_lead:
        chain(entries[last:], longest)
    return owners


def attach_continuations(rows: list[Row], extra: list[Continuation]) -> None:
    """Add every continuation line's words to the description of the row it belongs to."""
    if not rows or not extra:
        return
    owners = _owners(sorted([*rows, *extra], key=lambda e: e.y0))
    for line in extra:
        row = owners.get(id(line)) or _nearest(rows, line)
        if row is None or not line.words:
            continue
        row.desc = line.words + row.desc if line.y0 < row.y0 else row.desc + line.words
        row.numbers += line.numbers


def _nearest(rows: list[Row], line: Continuation) -> Row | None:
    y = line.y0
    nearest = min(rows, key=lambda r: (abs(r.y0 - y), r.y0 > y))
    size = max(min(line.height, nearest.height), 4.0)
    if abs(nearest.y0 - y) > size * (3.5 if y < nearest.y0 else 4):
        return None  # too far from any row: a running head or foot, not a description
    return nearest
