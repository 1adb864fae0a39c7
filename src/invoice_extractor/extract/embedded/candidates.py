"""Candidate generation: every plausible value of every ranked field, from all the rules.

The rules no longer decide; each proposes what it finds (a labelled value right of or below its
label, a number after the document title, a letterhead line, a block under a party heading, ...)
with the words it read and its own rule score. The ranker then scores every candidate with the
features of ``features.py`` and the engine chooses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ...ingest.document import Word
from .context import DocumentContext
from .fields import Candidate, find_labelled
from .numbers import titled_numbers
from .parties import (
    NameHit,
    _is_label,
    _name_like,
    address_windows,
    labelled_parties,
    letterheads,
)
from .receipts import merchant, transaction_date
from .terms import dates_in_terms
from .totals import collect
from .values import parse_date_words, parse_id

FieldCandidates = dict[str, list[Candidate[Any]]]

# The fields the ranker chooses; the rest (ids by pattern and checksum, tables) stay rule-read.
RANKED_FIELDS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "po_number",
    "seller.name",
    "buyer.name",
    "subtotal",
    "tax_exclusive_total",
    "tax_total",
    "total",
    "amount_due",
    "prepaid",
)


def collect_candidates(ctx: DocumentContext) -> FieldCandidates:
    found: FieldCandidates = {name: [] for name in RANKED_FIELDS}
    for index in ctx.indexes:
        for cand in find_labelled(index, "invoice_number", parse_id):
            found["invoice_number"].append(_tag(cand, "labelled"))
        for cand in find_labelled(index, "po_number", parse_id):
            found["po_number"].append(_tag(cand, "labelled"))
    if ctx.indexes:
        found["invoice_number"] += [_tag(c, "title") for c in titled_numbers(ctx.indexes[0])]
    found["issue_date"] = _dates(ctx, "issue_date", ("due_date",))
    found["due_date"] = _dates(ctx, "due_date", ()) + dates_in_terms(ctx.indexes, ctx.date_order)
    found["issue_date"] += _dates_after_numbers(ctx, found["invoice_number"])
    stamp = transaction_date(ctx.indexes, ctx.date_order)
    if stamp is not None:
        found["issue_date"].append(_tag(stamp, "transaction"))
    _parties(ctx, found)
    for name, cands in collect(ctx.indexes, ctx.decimal_sep).items():
        found[name] = [_tag(c, "labelled") for c in cands]
    return found


def _tag(cand: Candidate[Any], source: str) -> Candidate[Any]:
    cand.source = cand.source or source
    return cand


def _dates(ctx: DocumentContext, field_name: str, rivals: tuple[str, ...]) -> list[Candidate[Any]]:
    order = ctx.date_order

    def parse(words: list[Word]) -> tuple[date, list[Word]] | None:
        return parse_date_words(words, order)

    return [
        _tag(cand, "labelled")
        for index in ctx.indexes
        for cand in find_labelled(index, field_name, parse, rivals=rivals)
    ]


def _dates_after_numbers(
    ctx: DocumentContext, numbers: list[Candidate[Any]]
) -> list[Candidate[Any]]:
    """ "Rechnung Nr. 471102 vom 05.06.2018", "Invoice 12 of 31 March 2024": a date printed
    right after an invoice number may be its issue date."""
    found: list[Candidate[Any]] = []
    pages = [p.number for p in ctx.pages]
    for number in numbers:
        if not number.words:
            continue
        word = number.words[-1]
        index = ctx.indexes[pages.index(word.page)]
        for line in index.lines:
            # The number may be a synthetic word (glued to its label): find it by position.
            at = next(
                (k for k, w in enumerate(line.words) if w.x1 == word.x1 and w.y0 == word.y0), None
            )
            if at is None:
                continue
            parsed = parse_date_words(line.words[at + 1 : at + 7], ctx.date_order)
            if parsed is not None:
                box = _box(number.words)
                found.append(
                    Candidate(
                        parsed[0], parsed[1], 0.85, number.label, "right", box, "after_number"
                    )
                )
            break
    return found


def _box(words: list[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def _parties(ctx: DocumentContext, found: FieldCandidates) -> None:
    # The first page with text: a scanned batch may start with a blank page.
    if not ctx.indexes:
        return
    index = next((i for i in ctx.indexes if i.page.words), ctx.indexes[0])
    buyers = labelled_parties(index, "buyer_block")
    sellers = labelled_parties(index, "seller_block")
    found["buyer.name"] += [_name(h, "block") for h in buyers]
    found["seller.name"] += [_name(h, "block") for h in sellers]
    if ctx.receipt:
        top = merchant(index, lambda text: _name_like(text) and not _is_label(text))
        if top is not None:
            found["seller.name"].append(_name(NameHit(top[0], top[1], 0.7), "merchant"))
    # Unlabelled blocks may hold either party: both lists get both kinds, the ranker tells.
    for head in letterheads(index, set()):
        found["seller.name"].append(_name(head, "letterhead"))
        found["buyer.name"].append(_name(head, "letterhead"))
    for rank, block in enumerate(address_windows(index, set())):
        source = "window" if rank == 0 else "postcode_block"
        found["buyer.name"].append(_name(block, source))
        found["seller.name"].append(_name(block, source))


def _name(hit: NameHit, source: str) -> Candidate[Any]:
    return Candidate(hit.name, hit.words, hit.score, "", "block", None, source)
