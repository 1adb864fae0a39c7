"""Line items: the table under a header row.

Columns come from the header words (description, quantity, unit price, amount); a row is a line
with a number under the amount column, and lines without one are description continuations, given
to the nearest row. ``quantity x unit price = amount`` confirms the columns where the page has both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ...ingest.document import Line, Word
from .amounts import find_amounts
from .fields import PageIndex
from .labels import LABEL_RES
from .text import fold
from .values import joined

_HEADERS: dict[str, re.Pattern[str]] = {
    kind: re.compile(r"^(?:" + "|".join(words) + r")[:.]?$")
    for kind, words in {
        "desc": [
            r"description", r"beschreibung", r"bezeichnung", r"artikel(?:bezeichnung)?",
            r"produkt", r"product", r"leistung", r"item", r"items", r"designation",
            r"libelle", r"article", r"descripcion", r"concepto", r"descrizione",
            r"omschrijving", r"service", r"details", r"artikelbeschreibung", r"text",
        ],
        "qty": [
            r"qty", r"quantity", r"menge", r"anzahl", r"qte", r"quantite", r"cantidad",
            r"cant", r"quantita", r"qta", r"aantal", r"hours", r"stunden", r"stk", r"units?",
        ],
        "price": [
            r"price", r"unit\s*price", r"preis", r"einzelpreis", r"nettopreis", r"e-preis",
            r"ep", r"p\.?u\.?", r"prix", r"precio", r"prezzo", r"prijs", r"rate",
            r"stuckpreis", r"netto-preis", r"unit\s*cost",
        ],
        "amount": [
            r"amount", r"total", r"gesamt", r"gesamtpreis", r"betrag", r"nettobetrag",
            r"pos-betrag", r"gp", r"montant", r"importe", r"importo", r"bedrag", r"summe",
            r"line\s*total", r"totaal", r"net",
        ],
    }.items()
}
_ATTRIBUTE = re.compile(r"^[^:]{1,40}\s?:\s?\S")  # "Bruttopreis: 4,00", "Art-Nr-Kunde: X"
_STOP_FIELDS = ("total", "tax_total", "amount_due", "subtotal", "tax_exclusive_total")


@dataclass(slots=True)
class Column:
    kind: str
    x0: float
    x1: float


@dataclass(slots=True)
class Row:
    amount: Decimal
    amount_word: list[Word]
    y: float
    desc: list[Word] = field(default_factory=list)
    quantity: Decimal | None = None
    unit_price: Decimal | None = None


@dataclass(slots=True)
class FoundItem:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    words: list[Word]
    amount_words: list[Word]


def _header(line: Line) -> list[Column] | None:
    columns: list[Column] = []
    for word in line.words:
        key = fold(word.text).strip("()")
        for kind, pattern in _HEADERS.items():
            if pattern.match(key):
                columns.append(Column(kind, word.x0, word.x1))
                break
    kinds = {c.kind for c in columns}
    if "amount" in kinds and len(kinds) >= 2 and ("desc" in kinds or "qty" in kinds):
        return columns
    return None


def _is_stop(index: PageIndex, line_index: int) -> bool:
    text = index.folded[line_index]
    for name in _STOP_FIELDS:
        m = LABEL_RES[name].search(text)
        if m is not None and m.start() <= 2:
            return True
    return False


def _amount_column(columns: list[Column]) -> Column:
    return max((c for c in columns if c.kind == "amount"), key=lambda c: c.x1)


def _numbers(line: Line, decimal_sep: str | None) -> list[tuple[Decimal, list[Word], float]]:
    text, starts = joined(line.words)
    result = []
    for m in find_amounts(text, decimal_sep):
        used = [w for w, s in zip(line.words, starts, strict=True) if s < m.end and s + len(w.text) > m.start]
        if used:
            result.append((m.value, used, used[-1].x1))
    return result


def _nearest(columns: list[Column], kind: str, x1: float, tolerance: float) -> bool:
    return any(c.kind == kind and c.x0 - tolerance <= x1 <= c.x1 + tolerance for c in columns)


def extract_items(indexes: list[PageIndex], decimal_sep: str | None) -> list[FoundItem]:
    items: list[FoundItem] = []
    columns: list[Column] | None = None
    for index in indexes:
        rows: list[Row] = []
        extra: list[tuple[float, list[Word]]] = []
        in_table = False
        for i, line in enumerate(index.lines):
            header = _header(line)
            if header is not None:
                columns, in_table = header, True
                continue
            if not in_table or columns is None:
                continue
            if _is_stop(index, i):
                if rows:
                    in_table = False
                continue
            amount_col = _amount_column(columns)
            size = max(line.words[0].height, 4.0)
            numbers = _numbers(line, decimal_sep)
            amount = next(
                (n for n in reversed(numbers) if abs(n[2] - amount_col.x1) <= size * 3
                 or amount_col.x0 - size <= n[2] <= amount_col.x1 + size * 3),
                None,
            )
            number_words = {id(w) for n in numbers for w in n[1]}
            first_num_x = min((n[1][0].x0 for n in numbers), default=line.x1 + 1)
            desc = [w for w in line.words if id(w) not in number_words and w.x1 <= first_num_x + 1]
            if amount is None:
                text = " ".join(w.text for w in desc)
                if desc and not _ATTRIBUTE.match(text):
                    extra.append((line.y0, desc))
                continue
            row = Row(amount[0], amount[1], line.y0, desc)
            for value, used, x1 in numbers:
                if used is amount[1]:
                    continue
                if row.quantity is None and _nearest(columns, "qty", x1, size * 2):
                    row.quantity = value
                elif row.unit_price is None and _nearest(columns, "price", x1, size * 2):
                    row.unit_price = value
            rows.append(row)
        _attach(rows, extra)
        items.extend(_finish(row) for row in rows)
    return [i for i in items if i.description]


def _attach(rows: list[Row], extra: list[tuple[float, list[Word]]]) -> None:
    """Continuation lines go to the nearest row; ties to the row above (top-aligned cells)."""
    if not rows:
        return
    for y, words in extra:
        nearest = min(rows, key=lambda r: (abs(r.y - y), r.y > y))
        if y < nearest.y:
            nearest.desc = words + nearest.desc
        else:
            nearest.desc = nearest.desc + words
    for row in rows:
        row.desc.sort(key=lambda w: (round(w.y0), w.x0))


def _finish(row: Row) -> FoundItem:
    words = [w for w in row.desc if not _is_position(w, row)]
    text = " ".join(w.text for w in words).strip(" -–:")
    return FoundItem(text, row.quantity, row.unit_price, row.amount, words, row.amount_word)


def _is_position(word: Word, row: Row) -> bool:
    # A leading position number ("1", "2.") is not part of the description.
    return bool(row.desc) and word is row.desc[0] and word.text.rstrip(".").isdigit()
