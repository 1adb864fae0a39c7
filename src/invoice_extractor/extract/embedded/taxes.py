"""Tax breakdown lines (BG-23): a rate, a taxable base and a tax amount on one line.

A line counts only when its numbers prove it: amount = base x rate / 100 (to the cent), or a zero
rate with a zero amount. That needs no header words, so it reads any language's VAT table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ...ingest.document import Word
from .amounts import AmountMatch, find_amounts
from .fields import PageIndex
from .values import is_money, words_in_span

_PERCENT = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%")
_CENT = Decimal("0.01")


@dataclass(slots=True)
class FoundTax:
    rate: Decimal
    base: Decimal
    amount: Decimal
    words: list[Word]  # the tax amount as printed


def _matches(base: Decimal, rate: Decimal, amount: Decimal) -> bool:
    if rate == 0:
        return amount == 0
    expected = (base * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    return abs(expected - amount) <= _CENT and base != amount


def find_tax_lines(indexes: list[PageIndex], decimal_sep: str | None) -> list[FoundTax]:
    found: list[FoundTax] = []
    seen: set[tuple[Decimal, Decimal, Decimal]] = set()
    for index in indexes:
        for i, line in enumerate(index.lines):
            text, starts = index.joined(i)
            if "%" not in text:
                continue
            rates = [Decimal(m.group(1).replace(",", ".")) for m in _PERCENT.finditer(text)]
            money = [m for m in find_amounts(text, decimal_sep) if is_money(m.value, m.currency)]
            money = [m for m in money if not text[m.end : m.end + 2].lstrip().startswith("%")]
            hit = _first_match(rates, money)
            if hit is None:
                continue
            rate, base, amount = hit
            key = (rate, base.value, amount.value)
            if key in seen:
                continue
            seen.add(key)
            used = words_in_span(line.words, starts, amount.start, amount.end)
            found.append(FoundTax(rate, base.value, amount.value, used))
    return found


def _first_match(
    rates: list[Decimal], money: list[AmountMatch]
) -> tuple[Decimal, AmountMatch, AmountMatch] | None:
    for rate in rates:
        for i, base in enumerate(money):
            for amount in money[i + 1 :]:
                if _matches(base.value, rate, amount.value):
                    return rate, base, amount
    return None
