"""OCR digit repair from arithmetic: a total the sums prove misread, read again and flagged.

OCR misreads digits in shapes it confuses: a dropped decimal point ("1290" for "12.90"), an 8
read as a 3, a 0 as an O, a 1 as an l, a 5 as an S. Where the chosen totals fail their sum
rules (net + tax = total; on a receipt, tendered - change = total) and exactly one printed value
differs from what the others require by such a confusion, the value the arithmetic requires is
proposed in its place, on the same words, and the engine flags it (``OCR-REPAIR``) so a person
looks. Only OCR pages are repaired: a text layer prints what it prints, and a sum that fails
there is a real error for the checks to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from .fields import Candidate, PageIndex
from .totals import Totals, paid_amounts
from .values import parse_amount_words

_CENT = Decimal("0.01")
# Digit pairs OCR confuses (their glyphs differ by one stroke or a closed loop).
_CONFUSED = frozenset(
    frozenset(p) for p in ("38", "08", "68", "98", "56", "58", "17", "06", "09", "35")
)
# Letters read for digits inside a number: "1O.00", "l2.50", "S.90", "B.20".
_LETTER_DIGITS = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "l": "1",
        "I": "1",
        "|": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
    }
)
_MIXED = re.compile(r"\d[OoDlI|SsBZ]|[OoDlI|SsBZ]\d|[OoDlI|SsBZ][.,]\d")


@dataclass(frozen=True, slots=True)
class Repair:
    field: str
    printed: str  # what OCR read, as printed
    value: Decimal  # what the arithmetic requires
    rule: str  # the sum rule that proves it
    how: str  # the kind of misreading


def misreading(printed: str, expected: Decimal) -> str | None:
    """How ``printed`` (an amount as OCR read it) can be ``expected`` misread, or None: a
    dropped decimal point, one confused digit, or letters read for digits."""
    if expected <= 0:
        return None
    # The number itself, without a currency beside it ("EUR 4290", "USD"'s D is no 0).
    printed = " ".join(t for t in printed.split() if any(c.isdigit() for c in t))
    digits = re.sub(r"\D", "", printed.translate(_LETTER_DIGITS))
    want = format(expected.quantize(_CENT), "f").replace(".", "")
    if printed.translate(_LETTER_DIGITS) != printed and digits.lstrip("0") == want.lstrip("0"):
        return "letters read as digits"
    plain = re.sub(r"\D", "", printed)
    if not re.search(r"[.,]\d{1,2}\s*\D*$", printed) and plain in (want, want.rstrip("0")):
        return "decimal point dropped"
    if len(plain) == len(want):
        diffs = [(a, b) for a, b in zip(plain, want, strict=True) if a != b]
        if len(diffs) == 1 and frozenset(diffs[0]) in _CONFUSED:
            return f"{diffs[0][1]} read as {diffs[0][0]}"
    return None


def _printed(cand: Candidate[Decimal]) -> str:
    return " ".join(w.text for w in cand.words)


def _expectations(
    chosen: dict[str, Candidate[Decimal]], payments: dict[str, list[Candidate[Decimal]]]
) -> list[tuple[str, Decimal, str]]:
    """(field, the value a failing sum rule requires of it, the rule)."""
    net = chosen.get("tax_exclusive_total") or chosen.get("subtotal")
    net_name = "tax_exclusive_total" if "tax_exclusive_total" in chosen else "subtotal"
    tax, total = chosen.get("tax_total"), chosen.get("total")
    out: list[tuple[str, Decimal, str]] = []
    roundings = [Decimal(0), *(c.value for c in payments.get("rounding", []))]
    if (
        net is not None
        and tax is not None
        and total is not None
        and all(abs(net.value + tax.value + r - total.value) > _CENT for r in roundings)
    ):
        rule = f"{net_name} + tax_total = total"
        out += [
            ("total", net.value + tax.value, rule),
            (net_name, total.value - tax.value, rule),
            ("tax_total", total.value - net.value, rule),
        ]
    # Cash and change only: a card line may pay part of a total.
    paid = sorted(paid_amounts(payments)) if payments.get("change") else []
    if total is not None and paid and not any(abs(p - total.value) <= _CENT for p in paid):
        out += [("total", p, "tendered - change = total") for p in paid]
    return out


def _tokens(indexes: list[PageIndex]) -> list[str]:
    return [w.text for index in indexes for w in index.page.words]


def repair_totals(
    chosen: dict[str, Candidate[Decimal]],
    payments: dict[str, list[Candidate[Decimal]]],
    tokens: list[str],
) -> list[Repair]:
    """The one repair the failing sum rules prove, or none when none or several fit. A value
    the page prints twice alike (a tax in the totals and again in the VAT summary) is two
    readings that agree: it is not the misread one, and nothing is repaired."""
    found: list[Repair] = []
    for field, expected, rule in _expectations(chosen, payments):
        cand = chosen.get(field)
        if cand is None or not cand.words:
            continue
        if any(tokens.count(w.text) > 1 for w in cand.words if any(c.isdigit() for c in w.text)):
            return []
        how = misreading(_printed(cand), expected)
        if how is not None:
            found.append(Repair(field, _printed(cand), expected.quantize(_CENT), rule, how))
    fields = {r.field for r in found}
    return found[:1] if len(fields) == 1 else []


def unread_amounts(
    indexes: list[PageIndex], decimal_sep: str | None, fields: tuple[str, ...]
) -> dict[str, list[Candidate[Decimal]]]:
    """Labelled values that did not parse because letters stand for digits ("TOTAL 1O.90"),
    read with the letters as digits: candidates only a sum rule can confirm."""
    found: dict[str, list[Candidate[Decimal]]] = {f: [] for f in fields}
    for index in indexes:
        for field in fields:
            for hit in index.labels(field):
                words = index.right_of(hit)
                if not words or not _MIXED.search(words[-1].text):
                    continue
                if parse_amount_words(words[-1:], decimal_sep) is not None:
                    continue
                last = words[-1]
                fixed = replace(last, text=last.text.translate(_LETTER_DIGITS))
                parsed = parse_amount_words([fixed], decimal_sep)
                if parsed is not None:
                    found[field].append(Candidate(parsed[0], words[-1:], 0.3, hit.text, "right"))
    return found


def apply_repairs(
    totals: Totals,
    unread: dict[str, list[Candidate[Decimal]]],
    payments: dict[str, list[Candidate[Decimal]]],
    indexes: list[PageIndex],
) -> list[Repair]:
    """Replace the misread totals in ``totals`` by their repaired values; what was repaired.
    A value read with letters as digits is chosen only where a sum rule makes it win."""
    repairs = [
        Repair(field, _printed(cand), cand.value, "the sum rules", "letters read as digits")
        for field, cand in totals.chosen.items()
        if any(cand is u for u in unread.get(field, []))
    ]
    for fix in repair_totals(totals.chosen, payments, _tokens(indexes)):
        old = totals.chosen[fix.field]
        totals.chosen[fix.field] = replace(old, value=fix.value)
        repairs.append(fix)
    return repairs


def warning(fix: Repair) -> str:
    """``OCR-REPAIR: total 12.90 read as '1290' (decimal point dropped; subtotal + tax_total =
    total)``."""
    return f"OCR-REPAIR: {fix.field} {fix.value} read as {fix.printed!r} ({fix.how}; {fix.rule})"
