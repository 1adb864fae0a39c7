"""Tax breakdown lines (BG-23): a rate, a taxable base and a tax amount on one line.

A line counts only when its numbers prove it: amount = base x rate / 100 (to the cent), or a zero
rate with a zero amount. That needs no header words, so it reads any language's VAT table.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ...ingest.document import Word
from .amounts import AmountMatch, find_amounts
from .fields import PageIndex
from .values import is_money, words_in_span

# A rate starts with a bare digit so the regex engine can skip the other positions in C; "not
# inside a number" looks behind that first digit (as ``dates`` does).
_PERCENT = re.compile(r"(\d(?<![\d.,]\d)\d?(?:[.,]\d{1,3})?)\s?%")
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
            if "%" not in line.text:  # the words of the joined text: no rate, no tax line
                continue
            text, starts = index.joined(i)
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


MAX_LINES = 14  # a breakdown prints a few rates; the subsets of more lines are not tried


def adding_up(
    taxes: list[FoundTax], tax_total: Decimal | None, net: Decimal | None
) -> list[FoundTax]:
    """The breakdown whose amounts add up to BT-110 (BR-CO-14) and, where the net total is
    known, whose bases add up to BT-109. A line proved by its own numbers may still be no tax
    line ("5,00% sur 100,00 EUR -5,00" is an allowance): where all the lines do not add up and
    exactly one subset of them does, that subset is the breakdown; otherwise every line stays
    and the check says what does not fit."""
    if tax_total is None or not taxes or len(taxes) > MAX_LINES or _adds_up(taxes, tax_total, net):
        return taxes
    fitting = [
        subset
        for size in range(1, len(taxes))
        for subset in itertools.combinations(taxes, size)
        if _adds_up(subset, tax_total, net)
    ]
    return list(fitting[0]) if len(fitting) == 1 else taxes


def _adds_up(taxes: Sequence[FoundTax], tax_total: Decimal, net: Decimal | None) -> bool:
    amounts = sum((t.amount for t in taxes), Decimal(0))
    bases = sum((t.base for t in taxes), Decimal(0))
    return abs(amounts - tax_total) <= _CENT and (net is None or abs(bases - net) <= _CENT)
