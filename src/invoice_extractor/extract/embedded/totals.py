"""The document totals, chosen together so that subtotal + tax = total holds where the page allows.

Each total label on the pages yields candidates; the joint choice maximises the candidates' own
scores plus a bonus for every EN 16931 sum rule the chosen set satisfies.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from ...ingest.document import Word
from .fields import Candidate, LabelHit, PageIndex
from .items import is_items_header
from .receipts import is_receipt
from .text import holds_digit
from .values import parse_amount_words

AMOUNT_FIELDS = ("subtotal", "tax_exclusive_total", "tax_total", "total", "amount_due", "prepaid")
# A receipt's payment lines (the lexicon's ``tendered`` and ``change`` labels heading a line with
# an amount: "CASH 100.00", "BAR 50,00", "RÜCKGELD 7,10", "KARTE"). Its totals are printed above
# them; a "Total" further down belongs to a tax summary or a loyalty block.
PAYMENT_FIELDS = ("tendered", "change")
TILL_FIELDS = (*PAYMENT_FIELDS, "rounding")  # "Rounding Adj -0.01": cash totals round to 5 cents
_BELOW_PAYMENT = 0.5
_AFTER_ROUNDING = 0.3
_NET = re.compile(r"^nett?\b")
_TOLERANCE = Decimal("0.01")
_TOP_K = 4
_PAID_FIT = 0.8  # a total that is what was tendered less the change
_CARD_FIT = 0.3  # a total that is what was tendered, no change printed (a card payment)
_PAID_REACH = 3  # lines above the payment lines where an unlabelled total may stand
_HEADING_WRAP = 2  # lines a column heading may wrap onto below the heading row


@dataclass(slots=True)
class Totals:
    chosen: dict[str, Candidate[Decimal]]
    consistent: bool  # subtotal + tax = total held


def _resolve_overlaps(index: PageIndex) -> list[LabelHit]:
    """One label per place: where "Total Netto" and "Total" overlap, the longer label wins."""
    hits = [h for f in AMOUNT_FIELDS for h in index.labels(f)]
    hits.sort(key=lambda h: len(h.text), reverse=True)
    kept: list[LabelHit] = []
    for hit in hits:
        if any(
            k.line_index == hit.line_index and k.start < hit.end and hit.start < k.end for k in kept
        ):
            continue
        kept.append(hit)
    return kept


def collect(
    indexes: list[PageIndex], decimal_sep: str | None
) -> dict[str, list[Candidate[Decimal]]]:
    found: dict[str, list[Candidate[Decimal]]] = {f: [] for f in AMOUNT_FIELDS}
    last_page = len(indexes) - 1
    for page_no, index in enumerate(indexes):
        height = max(index.page.height, 1.0)
        hits = _resolve_overlaps(index)
        paid_at = min((h.line_index for h in _line_hits(index, PAYMENT_FIELDS)), default=None)
        # The total after a rounding line is what was paid.
        rounded_at = min((h.line_index for h in _line_hits(index, ("rounding",))), default=None)
        # Column headings of an items table ("Subtotal", "Total" per line) announce no total.
        table_heads = {h.line_index for h in hits if _in_heading_band(index, h.line_index)}
        receipt = is_receipt(index)
        for hit in hits:
            if hit.line_index in table_heads:
                continue
            field = hit.field
            if receipt and field == "subtotal" and _NET.match(hit.text):
                field = "total"  # a receipt's "Net Total" is what was paid
            specificity = min(len(hit.text), 16) / 16
            # Totals sit at the end: later pages and lower positions are likelier.
            position = 0.15 * (hit.y0 / height) + (0.1 if page_no == last_page else 0.0)
            right = _until_next_label(index.right_of(hit), hit, hits, index)
            parsed = parse_amount_words(right, decimal_sep) if right else None
            where = "right"
            if parsed is None and index.starts_cell(hit):
                for words in _column_below(index, hit, hits):
                    parsed = parse_amount_words(words, decimal_sep, last=False)
                    where = "below"
                    if parsed is not None:
                        break
            if parsed is None:
                continue
            value, used = parsed
            if field == "tax_total" and is_tax_base(right, used):
                continue
            base = 0.6 if where == "right" else 0.45
            score = base + 0.25 * specificity + position
            if paid_at is not None and hit.line_index > paid_at and hit.field != "prepaid":
                score -= _BELOW_PAYMENT
            elif rounded_at is not None and hit.line_index > rounded_at and field == "total":
                score += _AFTER_ROUNDING
            found[field].append(
                Candidate(value, used, score, hit.text, where, hit.box, "", index.lead(hit))
            )
    return found


def is_tax_base(words: list[Word], used: list[Word]) -> bool:
    """ "VAT @ 0% on 80.65", "MwSt 19% auf 100,00", "TVA 20 % sur 50,00": an amount a short
    lower-case word after a rate is the base the rate applies to, not the tax."""
    at = next((k for k, w in enumerate(words) if w is used[0]), None) if used else None
    if at is None or at < 2:
        return False
    word, rate = words[at - 1].text, words[at - 2].text
    return word.isalpha() and word.islower() and len(word) <= 4 and rate.endswith("%")


def _line_hits(index: PageIndex, names: tuple[str, ...]) -> list[LabelHit]:
    """Labels of ``names`` that head their line with a number after them, below the first
    total label where the page has one: a till pays what it summed, so "Resto Le Midi, 12 rue
    ..." or "Bar Centrale 5" at the top is the merchant, not a payment."""
    totals = [h.line_index for f in ("total", "amount_due") for h in index.labels(f)]
    after = min(totals, default=-1)
    return [
        hit
        for name in names
        for hit in index.labels(name)
        if hit.start == 0 and hit.line_index > after and holds_digit(index.folded[hit.line_index])
    ]


def collect_payments(
    indexes: list[PageIndex], decimal_sep: str | None
) -> dict[str, list[Candidate[Decimal]]]:
    """What a receipt says was handed over (``tendered``) and back (``change``), and its cash
    rounding (``rounding``, with its sign)."""
    found: dict[str, list[Candidate[Decimal]]] = {f: [] for f in TILL_FIELDS}
    for index in indexes:
        for hit in _line_hits(index, TILL_FIELDS):
            parsed = parse_amount_words(index.right_of(hit), decimal_sep)
            if parsed is not None:
                value, used = parsed
                value = value if hit.field == "rounding" else abs(value)
                found[hit.field].append(Candidate(value, used, 0.5, hit.text, "right"))
    return found


def paid_totals(
    indexes: list[PageIndex],
    payments: dict[str, list[Candidate[Decimal]]],
    decimal_sep: str | None,
) -> list[Candidate[Decimal]]:
    """The total where a receipt prints it without a total label we can read ("YAtal Sales :
    32.70", "ZU ZAHLEN 189,04"): the amount, on one of the lines just above the payment lines,
    that is what was tendered less the change (or what the card paid)."""
    paid = paid_amounts(payments)
    found: list[Candidate[Decimal]] = []
    for index in indexes:
        first = min((h.line_index for h in _line_hits(index, PAYMENT_FIELDS)), default=None)
        if first is None or not paid:
            continue
        for line in reversed(index.lines[max(first - _PAID_REACH, 0) : first]):
            parsed = parse_amount_words(line.words, decimal_sep)
            if parsed is not None and parsed[0] in paid:
                found.append(Candidate(parsed[0], parsed[1], 0.4, "", "pattern", None, "paid"))
                break
    return found


def paid_amounts(payments: dict[str, list[Candidate[Decimal]]]) -> set[Decimal]:
    """What was paid: each tendered amount less each change; with no change printed, what was
    tendered (a card pays the total exactly)."""
    tendered = [t.value for t in payments.get("tendered", [])]
    change = [c.value for c in payments.get("change", [])]
    return {t - c for t in tendered for c in change} if change else set(tendered)


def paid_fit(total: Decimal, payments: dict[str, list[Candidate[Decimal]]]) -> float:
    """How well a total agrees with the payment lines: tendered - change = total, to the cent
    (cash is counted exactly; a sum may be a cent off where the till rounded its taxes)."""
    if total not in paid_amounts(payments):
        return 0.0
    return _PAID_FIT if payments.get("change") else _CARD_FIT


def _in_heading_band(index: PageIndex, line_index: int) -> bool:
    """An items table's heading row, or a line its headings wrap onto ("VK-Preis" over "Ohne"
    over "MwSt."): words without digits, right under the row."""
    lines = index.page.lines
    for back in range(_HEADING_WRAP + 1):
        at = line_index - back
        if at < 0:
            return False
        if back and (
            holds_digit(index.folded[at + 1])
            or lines[at + 1].y0 - lines[at].y1 > 1.5 * (lines[at].y1 - lines[at].y0)
        ):
            return False
        if is_items_header(index, at):
            return True
    return False


def _column_below(index: PageIndex, hit: LabelHit, hits: list[LabelHit]) -> list[list[Word]]:
    """Values under a row of total headings ("TOTAL HT  TOTAL TVA  TOTAL TTC"): each heading cell
    owns the span up to the next cell of the row (labels or not: "%", "Curr."), and a value
    belongs to the span its right edge ends in, as amounts are right-aligned in columns."""
    neighbours = sorted(h.x0 for h in hits if h.line_index == hit.line_index and h is not hit)
    if not neighbours:
        return list(index.below(hit))
    size = max(hit.y1 - hit.y0, 4.0)
    starts = sorted({c.x0 for c in index.cells[hit.line_index]} | {*neighbours, hit.x0})
    right = min([x for x in starts if x > hit.x0 + 0.5], default=1e9)
    groups: list[list[Word]] = []
    last_y = hit.y1
    for line in index.lines[hit.line_index + 1 : hit.line_index + 4]:
        if line.y0 - last_y > size * 3:
            break
        last_y = line.y1
        words = [w for w in line.words if hit.x0 < w.x1 <= right + size * 0.25]
        if words:
            groups.append(words)
    return groups


def _until_next_label(
    words: list[Word], hit: LabelHit, hits: list[LabelHit], index: PageIndex
) -> list[Word]:
    """Stop at the next amount label on the line: its value is not this label's."""
    line_words = index.lines[hit.line_index].words
    later = [h.start for h in hits if h.line_index == hit.line_index and h.start >= hit.end]
    if not later:
        return words
    stop = line_words[min(later)]
    return words[: words.index(stop)] if stop in words else words


def _top(cands: list[Candidate[Decimal]]) -> list[Candidate[Decimal] | None]:
    by_value: dict[Decimal, Candidate[Decimal]] = {}
    for c in cands:
        if c.value not in by_value or c.score > by_value[c.value].score:
            by_value[c.value] = c
    ranked = sorted(by_value.values(), key=lambda c: c.score, reverse=True)[:_TOP_K]
    return [*ranked, None]


def _eq(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _TOLERANCE


def choose(
    found: dict[str, list[Candidate[Decimal]]],
    payments: dict[str, list[Candidate[Decimal]]] | None = None,
) -> Totals:
    """Pick the net/tax/total triple first, then amount due and prepaid given that total. On a
    receipt the payment lines vote too: the total is what was tendered less the change."""
    payments = payments or {}
    roundings = [Decimal(0), *(c.value for c in payments.get("rounding", []))]
    # Cash is counted exactly: where a total candidate is what was tendered less the change,
    # the total is among those (a VAT table's row adds up too, but nobody paid it).
    proven = [c for c in found["total"] if paid_fit(c.value, payments)]
    found = {**found, "total": proven or found["total"]}
    Option = Candidate[Decimal] | None
    best_head: tuple[Option, Option, Option, Option] = (None, None, None, None)
    best_score, consistent = -9.0, False
    subtotals = _top(found["subtotal"])
    # A "Net total" label may print BT-106 (lines) or BT-109 (after allowances and charges):
    # a second subtotal candidate may stand as the tax-exclusive total where arithmetic says so.
    as_excl = {id(c) for c in subtotals if c is not None}
    exclusives = _top(found["tax_exclusive_total"])[:-1] + subtotals
    for sub_c, excl_c in itertools.product(subtotals, exclusives):
        borrowed = excl_c is not None and id(excl_c) in as_excl
        if (
            excl_c is not None
            and borrowed
            and (sub_c is None or excl_c is sub_c or _eq(sub_c.value, excl_c.value))
        ):
            continue
        for tax_c, total_c in itertools.product(_top(found["tax_total"]), _top(found["total"])):
            combo = (sub_c, excl_c, tax_c, total_c)
            score = sum(c.score for c in combo if c is not None)
            if total_c is not None:
                score += paid_fit(total_c.value, payments)
            sub, excl, tax, total = (c.value if c else None for c in combo)
            net = excl if excl is not None else sub
            ok = False
            if net is not None and tax is not None and total is not None:
                # A till may round the sum for cash: "Rounding 0.02" stands between them.
                ok = any(_eq(net + tax + r, total) for r in roundings)
                score += 1.5 if ok else -0.5
            if borrowed and not ok:
                continue
            if tax is not None and total is not None and total and abs(tax) >= abs(total):
                continue  # the tax is a part of the total, never all of it
            # A subtotal above the total needs allowances: a tax-exclusive total that adds up.
            explained = ok and excl is not None
            if sub is not None and total is not None and sub > total > 0 and not explained:
                score -= 1.0
            if score > best_score:
                best_score, best_head, consistent = score, combo, ok
    total_c = best_head[3]
    best_tail: tuple[Candidate[Decimal] | None, Candidate[Decimal] | None] = (None, None)
    best_tail_score = -9.0
    for due_c, paid_c in itertools.product(_top(found["amount_due"]), _top(found["prepaid"])):
        score = sum(c.score for c in (due_c, paid_c) if c is not None)
        if total_c is not None and due_c is not None:
            paid = abs(paid_c.value) if paid_c else Decimal(0)  # often printed as "(144.00)"
            if _eq(total_c.value - paid, due_c.value):
                score += 0.6
            elif paid_c is not None:
                score -= 0.3
        if score > best_tail_score:
            best_tail_score, best_tail = score, (due_c, paid_c)
    picked = (*best_head, *best_tail)
    chosen = {f: c for f, c in zip(AMOUNT_FIELDS, picked, strict=True) if c is not None}
    return Totals(chosen, consistent)
