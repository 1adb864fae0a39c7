"""Line items: the table under a header row.

Columns come from the header words (description, quantity, unit, unit price, amount), possibly
over several header lines. A row is a line with a money amount under the amount column; lines
without one are description continuations, given to the nearest row. Rows that are document-level
allowances or charges, and lines of ``key: value`` attributes, are not items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from ...ingest.document import Line, Word
from .amounts import find_amounts
from .code_cache import compile_regex
from .fields import PageIndex
from .item_rows import Continuation, Number, Row, attach_continuations
from .labels import label_res, look_alike_key
from .lexicon import TABLE_HEADINGS
from .text import fold, holds_digit
from .values import is_money, words_in_span

_HEADER_WORDS = TABLE_HEADINGS
_KIND_OF = {word: kind for kind, words in _HEADER_WORDS.items() for word in words}
# What stands before a space in a heading of several words: "unit" of "unit price".
_PAIR_HEADS = frozenset(w[:at] for w in _KIND_OF for at, c in enumerate(w) if c == " ")
# Heading words long enough to end a compound: "Zeilenbetrag" is a "Betrag", "VK-Preis" a "Preis".
_TAILS = {w: k for w, k in _KIND_OF.items() if len(w) >= 5 and w.isalpha() and k != "code"}
_COMPOUND = compile_regex(r"[a-z]{2,}-?(" + "|".join(sorted(_TAILS, key=len, reverse=True)) + r")")
_ATTRIBUTE = re.compile(r"^[^:]{1,40}\s?:(\s|\S)")  # "Bruttopreis: 4,00", "Art-Nr-Kunde: X"
_ADJUSTMENT = compile_regex(
    r"^(?:\W*\w{1,4}\s+)?(?:(?P<allowance>remise|rabais|rabatt|abschlag|nachlass|discount|"
    r"escompte|skonto|descuento|sconto|korting)|(?P<charge>zuschlag|charge|surcharge|"
    r"recargo|toeslag))\b"
)
_SECTION_END = compile_regex(
    r"(detail\s*(de\s*la\s*)?tva|recapitulatif\s*tva|umsatzsteueraufschlusselung|"
    r"steueraufschlusselung|zu-\s*und\s*abschlage|vat\s*(breakdown|summary)|tax\s*(breakdown|"
    r"summary)|belegsummen|zahlungsbedingungen|payment\s*terms|conditions\s*de\s*paiement)"
)
_MONEY_AFTER = re.compile(r"\d[.,]\d{2}\b")
_STOP_FIELDS = ("total", "tax_total", "amount_due", "subtotal", "tax_exclusive_total")


@dataclass(slots=True)
class Column:
    kind: str
    x0: float
    x1: float


@dataclass(slots=True)
class FoundItem:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    words: list[Word]
    amount_words: list[Word]
    kind: str = "item"  # "item", or "allowance" / "charge" rows of the document level


@dataclass(slots=True)
class Table:
    items: list[FoundItem] = field(default_factory=list)
    adjustments: list[FoundItem] = field(default_factory=list)  # allowances and charges


def _page_columns(index: PageIndex) -> list[list[Column]]:
    """Header words of every line, computed once per page (items, totals and parties ask)."""
    cached = index.page.cache.get("header_columns")
    if cached is None:
        cached = [_header_columns(line, index.ocr) for line in index.lines]
        index.page.cache["header_columns"] = cached
    return cached  # type: ignore[return-value]


def _header_columns(line: Line, ocr: bool = False) -> list[Column]:
    columns: list[Column] = []
    words = line.words
    heads = [_heading_word(word.text, ocr) for word in words]  # each read as key, pair, previous
    last = len(words) - 1
    for i, (key, _, kind) in enumerate(heads):
        # Two-word headings ("unit price") are sought only after a word that starts one.
        if i < last and key in _PAIR_HEADS:
            kind = _KIND_OF.get(key + " " + heads[i + 1][1]) or kind
        if kind is None:
            continue
        code = bool(columns) and columns[-1].kind == "code"
        if code and _KIND_OF.get(heads[i - 1][1] + " " + key) == "code":
            continue  # "CODE ARTICLE": the second word belongs to the code column
        word = words[i]
        columns.append(Column(kind, word.x0, word.x1))
    return columns


@lru_cache(maxsize=16384)
def _heading_word(text: str, ocr: bool) -> tuple[str, str, str | None]:
    """A word as a heading: its key, its key as the second word of a pair, and the column
    kind it names alone. Memoised: the same words head and fill every table."""
    folded = fold(text)
    key = folded.strip("()[],;:.#/")
    kind = _KIND_OF.get(key) or _compound_kind(key)
    if kind is None and ocr:
        kind = _ocr_heading_kind(key)
    return key, folded.strip("()[],;:."), kind


# A heading word as OCR may read it: with look-alike letters ("T0TAL"), or glued to the short
# qualifier after it when the space between them is lost ("TOTALHT", "MontantEUR").
_KIND_OF_ALIKE = {look_alike_key(w): k for w, k in _KIND_OF.items() if " " not in w}
_GLUED_HEADS = sorted((w for w in _KIND_OF_ALIKE if len(w) >= 4), key=len, reverse=True)
_GLUED_HEAD = compile_regex("(" + "|".join(map(re.escape, _GLUED_HEADS)) + ")[a-z]{1,3}")


@lru_cache(maxsize=4096)
def _ocr_heading_kind(key: str) -> str | None:
    alike = look_alike_key(key)
    glued = _GLUED_HEAD.fullmatch(alike)
    return _KIND_OF_ALIKE.get(alike) or (_KIND_OF_ALIKE[glued.group(1)] if glued else None)


@lru_cache(maxsize=4096)
def _compound_kind(key: str) -> str | None:
    """The column kind of a compound heading, from the heading word it ends with."""
    m = _COMPOUND.fullmatch(key)
    return _TAILS[m.group(1)] if m else None


def line_numbers(index: PageIndex, line_index: int, decimal_sep: str | None) -> list[Number]:
    if not index.has_digit(line_index):
        return []  # no amount without a digit
    line = index.lines[line_index]
    text, starts = index.joined(line_index)
    result = []
    for m in find_amounts(text, decimal_sep):
        used = words_in_span(line.words, starts, m.start, m.end)
        if used:
            result.append(Number(m.value, used, is_money(m.value, m.currency)))
    return result


class _Table:
    """Column geometry of one items table."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = sorted(columns, key=lambda c: c.x0)
        self.amount = max((c for c in columns if c.kind == "amount"), key=lambda c: c.x1)
        desc = [c for c in self.columns if c.kind == "desc"]
        # Headings are often centred over their column: the description column starts where
        # the heading on its left ends (or at the page edge), not at its own heading.
        left = [c.x1 for c in self.columns if desc and c.x1 <= desc[0].x0]
        self.desc_x0 = max(left) + 1 if left else 0.0
        after = [c.x0 for c in self.columns if desc and c.kind != "desc" and c.x0 > desc[0].x1 + 1]
        numeric = [c.x0 for c in self.columns if c.kind not in ("desc", "code")]
        self.desc_x1 = min(after) if after else (min(numeric) if numeric else 1e9)

    def in_desc(self, word: Word, size: float) -> bool:
        return word.x0 >= self.desc_x0 and word.x0 < self.desc_x1 - size * 0.5

    def under(self, kind: str, number: Number, size: float) -> bool:
        return any(
            c.kind == kind and number.x1 >= c.x0 - size * 1.5 and number.x0 <= c.x1 + size * 2.5
            for c in self.columns
        )

    def amount_of(self, numbers: list[Number], size: float) -> Number | None:
        col = self.amount
        for number in reversed(numbers):
            if number.money and number.x1 >= col.x0 - size * 2 and number.x0 <= col.x1 + size * 3:
                return number
        return None


def _mostly_headings(line: Line, columns: list[Column]) -> bool:
    """A second header line holds headings, not a row: no digits, and mostly heading words."""
    if holds_digit(line.text):  # the words and the spaces between them
        return False
    return len(columns) >= 2 or len(columns) * 2 >= len(line.words)


def is_items_header(index: PageIndex, line_index: int) -> bool:
    """Whether a line is the heading row of an items table (description, quantity, amount...)."""
    return _is_header(_page_columns(index)[line_index])


def _is_header(columns: list[Column]) -> bool:
    kinds = {c.kind for c in columns}
    return "amount" in kinds and bool(kinds & {"desc", "qty"}) and len(kinds - {"code"}) >= 2


def is_stop(index: PageIndex, line_index: int) -> bool:
    text = index.folded[line_index]
    if _SECTION_END.search(text):
        return True
    for name in _STOP_FIELDS:
        if not index.may_hold_label(name, line_index):
            continue
        m = label_res(index.ocr)[name].search(text)
        # "Subtotal 120,00" ends the rows; so does "Prices incl. VAT  Invoice total 49,99".
        if m is not None and (m.start() <= 2 or _MONEY_AFTER.search(text, m.end())):
            return True
    return False


def extract_items(indexes: list[PageIndex], decimal_sep: str | None) -> Table:
    items = Table()
    table: _Table | None = None
    for index in indexes:
        rows: list[Row] = []
        extra: list[Continuation] = []
        lines = index.lines
        page_columns = _page_columns(index)
        header: list[Column] = []
        header_y, header_line = -1e9, -2
        for i, line in enumerate(lines):
            if table is None and not page_columns[i]:
                continue  # neither a row nor a heading: its numbers are not read
            size = max(line.words[0].height, 4.0)
            numbers = line_numbers(index, i, decimal_sep)
            columns = page_columns[i] if not any(n.money for n in numbers) else []
            in_band = (
                header_line == i - 1
                and line.y0 - header_y < size * 1.8
                and _mostly_headings(line, columns)
            )
            if columns and (table is None or in_band or _is_header(columns)):
                # Header words on consecutive lines form one header band; inside a table only
                # a complete header starts a new one ("Description" in a row is not a header).
                header = header + columns if in_band else columns
                header_y, header_line = line.y1, i
                if _is_header(header):
                    if table is None or not rows:
                        table = _Table(header)
                    else:
                        rows, extra = _flush(rows, extra, items, table), []
                        table = _Table(header)
                continue
            if table is None:
                continue
            if (
                header_line == i - 1
                and not rows
                and line.y0 - header_y < size * 1.8
                and not holds_digit(index.folded[i])
                and not _in_desc_column(line, header)
            ):
                header_y, header_line = line.y1, i  # a heading wraps: "VK-Preis / Ohne / MwSt."
                continue
            if is_stop(index, i):
                rows, extra = _flush(rows, extra, items, table), []
                table = None
                continue
            amount = table.amount_of(numbers, size)
            others = [n for n in numbers if n is not amount]
            # Numbers inside the description column stay in it ("Toner 3.000 Seiten").
            desc = [w for w in line.words if table.in_desc(w, size)]
            if amount is None:
                text = " ".join(w.text for w in desc)
                # On a page the table continues onto (no header of its own), what stands above
                # the first row is the page's running head, not a description.
                running_head = header_line < 0 and not rows
                if desc and not running_head:
                    # "Dienst: X" describes the item; "Bruttopreis: 4,00" is a price detail,
                    # kept only so the item's lines stay one block.
                    detail = bool(others) and _ATTRIBUTE.match(text) is not None
                    words, numbers = ([], []) if detail else (desc, others)
                    extra.append(Continuation(line.y0, line.y1, desc[0].height, words, numbers))
                continue
            desc = [w for w in desc if w not in amount.words]
            rows.append(Row(amount, line.y0, line.y1, desc, others))
        _flush(rows, extra, items, table)
    return items


def _in_desc_column(line: Line, header: list[Column]) -> bool:
    """Whether the line has words under the description heading (a description, not a
    heading that wraps)."""
    desc = [c for c in header if c.kind == "desc"]
    return bool(desc) and any(w.x0 <= desc[0].x1 for w in line.words)


def _flush(
    rows: list[Row],
    extra: list[Continuation],
    items: Table,
    table: _Table | None = None,
) -> list[Row]:
    """Attach continuation lines to their rows, then turn the rows into items."""
    attach_continuations(rows, extra)
    for row in rows:
        row.desc.sort(key=lambda w: (round(w.y0), w.x0))
        words = row.desc[1:] if row.desc and row.desc[0].text.rstrip(".").isdigit() else row.desc
        text = " ".join(w.text for w in words).strip(" -–:")
        if not text:
            continue
        quantity, unit_price = _qty_price(row, table)
        priced = (
            quantity is not None
            and unit_price is not None
            and abs(quantity * unit_price - row.amount.value) <= Decimal("0.02")
        )
        adjustment = None if priced else _ADJUSTMENT.match(fold(text))
        if adjustment is not None:
            kind = "allowance" if adjustment.group("allowance") else "charge"
            found = FoundItem(text, None, None, row.amount.value, words, row.amount.words, kind)
            items.adjustments.append(found)
            continue
        items.items.append(
            FoundItem(text, quantity, unit_price, row.amount.value, words, row.amount.words)
        )
    return []


def _qty_price(row: Row, table: _Table | None) -> tuple[Decimal | None, Decimal | None]:
    """Quantity and unit price from their columns, confirmed by quantity x price = amount."""
    amount = row.amount.value
    size = max(row.amount.words[0].height, 4.0)
    qty = price = None
    if table is not None:
        qty = next((n.value for n in row.numbers if table.under("qty", n, size)), None)
        price = next((n.value for n in row.numbers if table.under("price", n, size)), None)
    if qty is not None and price is not None and abs(qty * price - amount) <= Decimal("0.02"):
        return qty, price
    values = [n.value for n in row.numbers]
    for q in values:
        for p in values:
            if (
                q is not p
                and p != 0
                and abs(q * p - amount) <= Decimal("0.01")
                and q == q.to_integral()
            ):
                return q, p
    return qty, price
