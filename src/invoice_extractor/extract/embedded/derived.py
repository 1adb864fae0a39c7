"""Totals that arithmetic settles after the joint choice: BT-106 against the items table, and a
subtotal the labels missed but the page prints (total - tax, or the sum of the lines).

A derived value is kept only where the page prints it, so its evidence box points at a real
spot and the clerk sees where it stands; nothing is invented from arithmetic alone.
"""

from __future__ import annotations

from decimal import Decimal

from ...ingest.document import Word
from ...model import Evidence, Invoice
from .amounts import find_amounts
from .fields import PageIndex
from .items import Table
from .text import union_bbox
from .values import is_money, joined, words_in_span

_CENT = Decimal("0.01")
# A derived subtotal is as sure as the two totals it comes from, a little less.
_DERIVED_SHARE = 0.9
_UNTAXED_SHARE = 0.75


def evidence_of(words: list[Word], confidence: float) -> Evidence:
    return Evidence(
        page=words[0].page,
        bbox=union_bbox(words),
        text=" ".join(w.text for w in words),
        confidence=round(max(0.0, min(confidence, 1.0)), 2),
    )


def reconcile_subtotal(invoice: Invoice, table: Table, evidence: dict[str, Evidence]) -> None:
    """BT-106 is the sum of the line net amounts. When the table also lists document-level
    allowances and charges and the printed net total equals lines - allowances + charges, that
    printed total is BT-109 (tax exclusive), not BT-106: assign both, and the adjustments."""
    printed = invoice.subtotal
    if printed is None or not table.items or not table.adjustments:
        return
    lines = sum((i.amount for i in table.items), Decimal(0))
    kinds = {
        kind: [a for a in table.adjustments if a.kind == kind] for kind in ("allowance", "charge")
    }
    sums = {kind: sum((abs(a.amount) for a in rows), Decimal(0)) for kind, rows in kinds.items()}
    signed = sum((a.amount for a in table.adjustments), Decimal(0))
    fits = (
        abs(lines - sums["allowance"] + sums["charge"] - printed) <= _CENT
        # Adjustments carry their printed sign (a credit note negates everything).
        or abs(lines + signed - printed) <= _CENT
    )
    if lines == printed or not fits:
        return
    if invoice.tax_exclusive_total is None:
        invoice.tax_exclusive_total = printed
        evidence["tax_exclusive_total"] = evidence.pop("subtotal")
    invoice.subtotal = lines
    evidence["subtotal"] = _sum_evidence([i.amount_words for i in table.items])
    for kind, field_name in (("allowance", "allowances"), ("charge", "charges")):
        if kinds[kind]:  # null, not 0, when none is printed
            setattr(invoice, field_name, sums[kind])
            evidence[field_name] = _sum_evidence([a.amount_words for a in kinds[kind]])


def derive_subtotal(
    invoice: Invoice,
    table: Table,
    indexes: list[PageIndex],
    decimal_sep: str | None,
    evidence: dict[str, Evidence],
) -> None:
    """No subtotal label was read, but the page prints the amount that the sum rules give it:
    total - tax (BR-CO-15 without allowances or charges), or the sum of the line amounts
    (BR-CO-10). That printed amount is the subtotal; its evidence is the printed spot."""
    total, tax = invoice.total, invoice.tax_total
    if invoice.subtotal is not None or invoice.tax_exclusive_total is not None or total is None:
        return
    # (value, what else proves it): the sum of the printed line amounts proves itself.
    wanted: list[tuple[Decimal, list[list[Word]]]] = []
    if tax is not None:
        wanted.append((total - tax, []))
    if table.items:
        lines = sum((i.amount for i in table.items), Decimal(0))
        if tax is None or abs(lines + tax - total) <= _CENT:
            wanted.append((lines, [i.amount_words for i in table.items]))
    if "total" not in evidence:
        return
    total_ev = evidence["total"]
    tax_ev = evidence.get("tax_total") if tax is not None else None
    sure = min(total_ev.confidence, tax_ev.confidence if tax_ev else total_ev.confidence)
    for value, terms in wanted:
        if value <= 0 or (value == total and tax):
            continue
        words = _printed_before(indexes, value, decimal_sep, total_ev)
        if words is not None:
            found = evidence_of(words, sure * _DERIVED_SHARE)
        elif terms:
            # No tax on the page at all: the lines may include it, so a little less sure.
            share = _DERIVED_SHARE if tax is not None else _UNTAXED_SHARE
            found = _sum_evidence(terms, sure * share)
        else:
            continue
        invoice.subtotal = value
        evidence["subtotal"] = found
        return


def _printed_before(
    indexes: list[PageIndex], value: Decimal, decimal_sep: str | None, total: Evidence
) -> list[Word] | None:
    """The last printing of ``value`` as money before the total: above the total's line (the
    summary reads top-down) or left of it on that line (a summary row "522.31 109.69 632.00")."""
    found: list[Word] | None = None
    for index in indexes:
        page = index.page.number
        if page > total.page:
            break
        for line in index.page.lines:
            same_line = page == total.page and line.y0 >= total.bbox[1] - 0.5
            if same_line and line.y0 > total.bbox[3]:
                break
            text, starts = joined(line.words)
            for m in find_amounts(text, decimal_sep):
                if m.value == value and is_money(m.value, m.currency):
                    words = words_in_span(line.words, starts, m.start, m.end)
                    if not same_line or words[-1].x1 <= total.bbox[0]:
                        found = words
    return found


def _sum_evidence(groups: list[list[Word]], confidence: float = 0.7) -> Evidence:
    """Evidence of a sum: the box around its printed terms on the page that holds the first."""
    page = groups[0][0].page
    words = [w for group in groups for w in group if w.page == page]
    return evidence_of(words, confidence)
