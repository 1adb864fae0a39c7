"""Document-level allowances (BT-107), charges (BT-108) and the amount prepaid (BT-113) that
arithmetic settles.

A summary block reads top-down: the line sum (BT-106), the allowances and charges, the net total
(BT-109); further down the total (BT-112), what was paid already, the amount due (BT-115). When
both ends of such a step were read and differ, the amounts printed on the lines between them are
what makes the difference: each signed so that BT-106 - BT-107 + BT-108 = BT-109 (BR-CO-13), or
taken off so that BT-112 - BT-113 = BT-115 (BR-CO-16). No label list decides which is which: an
amount printed negative is an allowance, and the others take the one sign assignment that closes
the sum; two assignments that both close it settle nothing. A credit note prints every amount
negated, so its sums are solved on the magnitudes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from ...ingest.document import Word
from ...model import Evidence, Invoice
from .amounts import find_amounts
from .derived import evidence_of
from .fields import PageIndex
from .values import is_money, words_in_span

_CENT = Decimal("0.01")
MAX_TERMS = 4  # a summary prints a few adjustments; more lines between are no summary block
# An adjustment is as sure as the two totals it closes, a little less.
_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class _Solved:
    sure: float  # the confidence of the terms: that of the two totals, a little less
    sign: int  # -1 where the sums were solved on a credit note's negated amounts


@dataclass(frozen=True, slots=True)
class _Term:
    magnitude: Decimal
    allowance_only: bool  # printed negative: it can only be taken off
    words: list[Word]


def settle_adjustments(
    invoice: Invoice,
    indexes: list[PageIndex],
    decimal_sep: str | None,
    evidence: dict[str, Evidence],
) -> None:
    """Fill ``allowances`` and ``charges`` from the amounts printed between BT-106 and BT-109,
    and ``prepaid`` from those between BT-112 and BT-115, where one reading closes the sum."""
    if invoice.allowances is None and invoice.charges is None:
        step = _step(invoice, indexes, decimal_sep, evidence, "subtotal", "tax_exclusive_total")
        if step is not None:
            terms, signs, solved = step
            for wanted, field_name in ((-1, "allowances"), (1, "charges")):
                chosen = [t for t, s in zip(terms, signs, strict=True) if s == wanted]
                if chosen:  # null, not 0, when none is printed
                    _put(invoice, evidence, field_name, chosen, solved)
    if invoice.prepaid is None:
        step = _step(invoice, indexes, decimal_sep, evidence, "total", "amount_due", only=-1)
        if step is not None:
            terms, _, solved = step
            _put(invoice, evidence, "prepaid", terms, solved)


def _step(
    invoice: Invoice,
    indexes: list[PageIndex],
    decimal_sep: str | None,
    evidence: dict[str, Evidence],
    start: str,
    end: str,
    only: int | None = None,
) -> tuple[list[_Term], tuple[int, ...], _Solved] | None:
    """The terms printed between two read totals that differ, with their one closing signing
    and how sure the result is (``only``: the one sign every term must take)."""
    first, last = invoice.get_path(start), invoice.get_path(end)
    if not isinstance(first, Decimal) or not isinstance(last, Decimal):
        return None
    if abs(first - last) <= _CENT:
        return None
    sign = -1 if first < 0 and last <= 0 else 1
    first, last = sign * first, sign * last
    first_ev, last_ev = evidence.get(start), evidence.get(end)
    if first_ev is None or last_ev is None or first_ev.page != last_ev.page:
        return None
    terms = _terms_between(indexes, first_ev, last_ev, decimal_sep)
    if not terms or len(terms) > MAX_TERMS:
        return None
    signs = _closing_signs(first, last, terms, only)
    if signs is None:
        return None
    return terms, signs, _Solved(min(first_ev.confidence, last_ev.confidence) * _SHARE, sign)


def _put(
    invoice: Invoice,
    evidence: dict[str, Evidence],
    field_name: str,
    terms: list[_Term],
    solved: _Solved,
) -> None:
    setattr(invoice, field_name, solved.sign * sum((t.magnitude for t in terms), Decimal(0)))
    evidence[field_name] = evidence_of([w for t in terms for w in t.words], solved.sure)


def _terms_between(
    indexes: list[PageIndex], first: Evidence, second: Evidence, decimal_sep: str | None
) -> list[_Term]:
    """The last amount printed on each line strictly between the two totals' lines."""
    top, bottom = sorted((first.bbox, second.bbox), key=lambda box: box[1])
    index = next((i for i in indexes if i.page.number == first.page), None)
    if index is None:
        return []
    terms = []
    for n, line in enumerate(index.page.lines):
        if line.y0 >= top[3] - 0.5 and line.y1 <= bottom[1] + 0.5:
            term = _last_amount(index, n, decimal_sep)
            if term is not None and term.magnitude:  # "Zuschläge 0,00" changes no sum
                terms.append(term)
    return terms


def _last_amount(index: PageIndex, line_index: int, decimal_sep: str | None) -> _Term | None:
    line = index.page.lines[line_index]
    text, starts = index.joined(line_index)
    amounts = [m for m in find_amounts(text, decimal_sep) if is_money(m.value, m.currency)]
    if not amounts:
        return None
    m = amounts[-1]
    words = words_in_span(line.words, starts, m.start, m.end)
    negative = m.value < 0 or text[: m.start].rstrip().endswith(("-", "−"))
    return _Term(abs(m.value), negative, words)


def _closing_signs(
    first: Decimal, last: Decimal, terms: list[_Term], only: int | None
) -> tuple[int, ...] | None:
    """The one assignment of -1 (taken off) or +1 (added) to the terms that makes
    first + sum = last; None when none or several do."""
    options = [
        (only,) if only is not None else (-1,) if t.allowance_only else (-1, 1) for t in terms
    ]
    closing = []
    for signs in itertools.product(*options):
        moved = sum((s * t.magnitude for s, t in zip(signs, terms, strict=True)), Decimal(0))
        if abs(first + moved - last) <= _CENT:
            closing.append(signs)
    return closing[0] if len(closing) == 1 else None
