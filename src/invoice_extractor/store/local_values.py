"""A reviewer's typed value in the invoice's own notation, made canonical where unambiguous:
``1.234,56`` -> ``1234.56`` and ``31.08.2023`` -> ``2023-08-31`` on a German invoice. A value
that could mean two things (``1,234`` on an invoice whose decimal mark is unknown, ``03/04/2024``
without a known date order) is refused with a message rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..extract.embedded.amounts import parse_amount
from ..extract.embedded.dates import DateOrder, parse_date
from ..model import DATE_FIELDS, TOTAL_FIELDS

_AMOUNT_KEYS = frozenset(
    {*TOTAL_FIELDS, "quantity", "unit_price", "amount", "tax_rate", "rate", "base"}
)
_CANONICAL_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_CANONICAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL_MARK = re.compile(r"\d([.,])\d{1,2}(?!\d)")
_ONE_GROUP = re.compile(r"-?\d{1,3}[.,]\d{3}")  # "1,234": thousands or decimals?
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})")
_MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "PW"})


@dataclass(frozen=True, slots=True)
class Notation:
    """How the invoice writes numbers and dates, where its evidence or seller tells."""

    decimal_sep: str | None
    date_order: DateOrder | None


def notation(data: dict[str, Any]) -> Notation:
    """The notation of an invoice (its SCHEMA object): decimal mark by majority of the printed
    amounts, date order from printed dates, else from the seller's country."""
    evidence = data.get("evidence") or {}
    marks: Counter[str] = Counter()
    order: DateOrder | None = None
    for path, ev in evidence.items():
        text = ev.get("text", "") if isinstance(ev, dict) else ""
        key = path.rsplit(".", 1)[-1]
        if key in _AMOUNT_KEYS:
            marks.update(_DECIMAL_MARK.findall(text))
        elif key in DATE_FIELDS:
            if "." in text:
                order = "DMY"
            elif (m := _NUMERIC_DATE.search(text)) and order is None:
                first, second = int(m.group(1)), int(m.group(2))
                order = "DMY" if first > 12 else "MDY" if second > 12 else None
    decimal = marks.most_common(1)[0][0] if marks else None
    if order is None:
        country = ((data.get("seller") or {}).get("country") or "").upper()
        if country:
            order = "MDY" if country in _MONTH_FIRST_COUNTRIES else "DMY"
    return Notation(decimal, order)


def field_kind(path: str) -> str:
    """``amount``, ``date`` or ``text``, from the field path."""
    key = path.rsplit(".", 1)[-1]
    if key in DATE_FIELDS and "." not in path:
        return "date"
    return "amount" if key in _AMOUNT_KEYS else "text"


def canonical(path: str, value: str, style: Notation) -> str:
    """The canonical form of ``value`` for ``path``; ValueError with a reviewer's message."""
    kind = field_kind(path)
    text = value.strip()
    if kind == "amount":
        return _amount(text, style)
    if kind == "date":
        return _date(text, style)
    return value


def _amount(text: str, style: Notation) -> str:
    bare = text.replace(" ", "").replace("\u00a0", "")
    if _CANONICAL_AMOUNT.fullmatch(bare) and not _ONE_GROUP.fullmatch(bare):
        return bare
    if _ONE_GROUP.fullmatch(bare) and style.decimal_sep is None:
        raise ValueError(f"{text} is ambiguous on this invoice: write 1234 or 1.234")
    parsed = parse_amount(bare, style.decimal_sep)
    if parsed is None:
        raise ValueError(
            "not an amount: write it in plain decimal notation (1234.56) or as printed (1.234,56)"
        )
    return format(parsed, "f")


def _date(text: str, style: Notation) -> str:
    if _CANONICAL_DATE.fullmatch(text):
        return text
    numeric = _NUMERIC_DATE.fullmatch(text)
    if numeric and "." not in text and style.date_order is None:
        first, second = int(numeric.group(1)), int(numeric.group(2))
        if first <= 12 and second <= 12 and first != second:
            raise ValueError(f"{text} is ambiguous here: write the date as YYYY-MM-DD")
    # A dotted date is day first wherever it is written (31.08.2023).
    order: DateOrder | None = "DMY" if "." in text else style.date_order
    parsed = parse_date(text, order)
    if parsed is None:
        raise ValueError("not a date: write it like 2024-03-31 or 31.03.2024")
    return parsed.isoformat()
