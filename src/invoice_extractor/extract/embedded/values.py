"""Value parsers over words: each returns the value and the words it was read from (evidence)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from datetime import date
from decimal import Decimal

from ...ingest.document import Word
from .amounts import find_amounts
from .dates import DateOrder, find_dates
from .text import fold, pair_heights

_ID_FILLERS = frozenset(
    [
        "no",
        "no.",
        "nr",
        "nr.",
        "n°",
        "nº",
        "n",
        "#:",
        "#",
        ":",
        "number",
        "nummer",
        "num",
        "num.",
        "numero",
        "número",
        "de",
        "du",
        "of",
        "-",
        "–",
        "ref",
        "ref.",
    ]
)
_ID_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]*[A-Za-z0-9]$|^[0-9]$")
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_AMOUNT_LIKE = re.compile(r"^-?\d{1,3}([.,' ]\d{3})*[.,]\d{2}$")
_MAX_JOIN = 8  # words read after a label: enough for "31. März 2024", "EUR 1 234,56"


def joined(words: list[Word], glue_commas: bool = False) -> tuple[str, list[int]]:
    """Words joined by spaces, with the start offset of each word.

    A wide gap (another column) becomes two spaces, so "1   197.28" in a quantity and a price
    column is never read as the grouped number 1 197.28. With ``glue_commas`` a lone "," sticks
    to the word before it ("August 3 , 2014").
    """
    if not words:
        return "", []
    parts = [words[0].text]
    length = len(parts[0])
    starts = [0]
    for prev, word, size in zip(words, words[1:], pair_heights(words), strict=False):
        text = word.text
        if not (glue_commas and text == ","):
            if word.x0 - prev.x1 > size * 0.6:
                parts.append("  ")
                length += 2
            else:
                parts.append(" ")
                length += 1
        starts.append(length)
        parts.append(text)
        length += len(text)
    return "".join(parts), starts


def words_in_span(words: list[Word], starts: list[int], start: int, end: int) -> list[Word]:
    """The words of ``joined``'s text that overlap [start, end). Its word starts ascend and its
    words do not overlap, so only the words from the last one starting at or before ``start``
    to the last one starting before ``end`` can: found by bisection, not by a walk of the line
    (every amount, date and id match asks)."""
    if len(words) != len(starts):
        raise ValueError("words_in_span: one start per word")
    lo = max(bisect_right(starts, start) - 1, 0)
    hi = bisect_left(starts, end, lo)
    return [
        w
        for w, s in zip(words[lo:hi], starts[lo:hi], strict=True)
        if s < end and s + len(w.text) > start
    ]


def parse_id(words: list[Word]) -> tuple[str, list[Word]] | None:
    """An identifier (invoice or order number): the first token with a digit after fillers."""
    for word in words[:4]:
        text = word.text.strip(",;:()[]")
        if fold(text) in _ID_FILLERS or not text:
            continue
        text = text.lstrip("#:").removeprefix("N°").removeprefix("Nº")
        if (
            any(c.isdigit() for c in text)
            and _ID_TOKEN.match(text)
            and len(text) <= 40
            and not _DATE_LIKE.match(text)
            and not _AMOUNT_LIKE.match(text)
        ):
            return text, [word]
        return None  # the value must follow the label (and its fillers) directly
    return None


def parse_date_words(words: list[Word], order: DateOrder | None) -> tuple[date, list[Word]] | None:
    head = words[:_MAX_JOIN]
    text, starts = joined(head, glue_commas=True)
    for match in find_dates(text, order):
        if match.start > 12:  # the date must follow the label, not sit far down the line
            return None
        return match.value, words_in_span(head, starts, match.start, match.end)
    return None


def is_money(value: Decimal, currency: str | None) -> bool:
    """Printed totals carry decimals or a currency; a bare ``19`` or ``12345`` is something else."""
    exponent = value.as_tuple().exponent
    return currency is not None or (isinstance(exponent, int) and exponent < 0)


def parse_amount_words(
    words: list[Word], decimal_sep: str | None, *, last: bool = True
) -> tuple[Decimal, list[Word]] | None:
    """The money amount on these words: the last one (the value column) or the first."""
    text, starts = joined(words)
    matches = [m for m in find_amounts(text, decimal_sep) if is_money(m.value, m.currency)]
    if not matches:
        return None
    match = matches[-1] if last else matches[0]
    return match.value, words_in_span(words, starts, match.start, match.end)
