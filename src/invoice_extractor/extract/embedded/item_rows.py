"""Rows of an items table, and the description lines without an amount that continue them.

A multi-line item prints its amount on one of its lines; the others continue its description. Which
row a continuation belongs to is read from the table's geometry: lines of one item stand closer
together than one line height, and a table prints the amount on the same line of every item. If
the first row has no continuation right above it but rows have some right below, the amount line
leads each item and a continuation belongs to the row above it, however many lines down (a
service period, a contract reference); if the last row has none below but the first has one above,
the amount line ends each item. Otherwise (amounts centred on their items, or nothing to tell) a
continuation goes to the nearest row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ...ingest.document import Word

ITEM_LINE_GAP = 1.0  # the widest blank between two lines of one item, in line heights


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


def _adjacent(upper: Row | Continuation, lower: Row | Continuation) -> bool:
    size = max(min(upper.height, lower.height), 4.0)
    return lower.y0 - upper.y1 <= size * ITEM_LINE_GAP


def _chained(
    entries: list[Row | Continuation], rows_lead: bool
) -> dict[int, Row]:  # id(continuation) -> its row
    """Continuations joined, line by adjacent line, to the row that leads (or ends) their item."""
    owners: dict[int, Row] = {}
    owner: Row | None = None
    previous: Row | Continuation | None = None
    for entry in entries if rows_lead else reversed(entries):
        if isinstance(entry, Row):
            owner = entry
        elif owner is not None and previous is not None:
            pair = (previous, entry) if rows_lead else (entry, previous)
            if _adjacent(*pair):
                owners[id(entry)] = owner
            else:
                owner = None
        previous = entry
    return owners


def _layout(entries: list[Row | Continuation]) -> bool | None:
    """True if the amount line leads every item, False if it ends it, None if unclear."""
    positions = [n for n, e in enumerate(entries) if isinstance(e, Row)]
    first, last = positions[0], positions[-1]

    def joined(upper: int, lower: int) -> bool:
        if upper < 0 or lower >= len(entries):
            return False
        pair = entries[upper], entries[lower]
        return isinstance(pair[0], Continuation) != isinstance(pair[1], Continuation) and _adjacent(
            *pair
        )

    above_first = joined(first - 1, first)
    below_last = joined(last, last + 1)
    below_any = any(joined(n, n + 1) for n in positions)
    above_any = any(joined(n - 1, n) for n in positions)
    if not above_first and below_any:
        return True
    if not below_last and above_any:
        return False
    return None


def attach_continuations(rows: list[Row], extra: list[Continuation]) -> None:
    """Add every continuation line's words to the description of the row it belongs to."""
    if not rows or not extra:
        return
    entries: list[Row | Continuation] = sorted([*rows, *extra], key=lambda e: e.y0)
    rows_lead = _layout(entries)
    owners = _chained(entries, rows_lead) if rows_lead is not None else {}
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
