"""Ranker features: what a candidate looks like, as numbers.

Every feature is general (no word of a vendor, no document): the field and its kind, the rule
that proposed the candidate and its own score, the label (length, words), the geometry from
label to value, the place on the page, type size, agreement between rules, and the value's
shape. ``FEATURES`` names the columns; the model file stores them and refuses other columns.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from .candidates import RANKED_FIELDS, FieldCandidates
from .context import DocumentContext
from .fields import Candidate
from .labels import LABEL_RES
from .parties import LEGAL_FORM
from .party_support import party_support
from .text import fold

SOURCES = (
    "labelled",
    "title",
    "after_number",
    "terms",
    "transaction",
    "block",
    "merchant",
    "letterhead",
    "window",
    "postcode_block",
)
KINDS = {
    "invoice_number": "id",
    "po_number": "id",
    "issue_date": "date",
    "due_date": "date",
    "seller.name": "name",
    "buyer.name": "name",
}

FEATURES: tuple[str, ...] = (
    *(f"field={f}" for f in RANKED_FIELDS),
    *(f"kind={k}" for k in ("id", "date", "name", "amount")),
    *(f"source={s}" for s in SOURCES),
    "rule_score",
    "rule_rank",
    "rule_best_gap",
    "n_candidates",
    "same_value",
    "where_right",
    "where_below",
    "label_chars",
    "label_words",
    "label_dx",
    "label_dy",
    "page_index",
    "last_page",
    "y",
    "x",
    "size",
    "n_words",
    "chars",
    "digit_share",
    "alpha_share",
    "upper_share",
    "legal_form",
    "repeated",
    "value_rank",
    "value_is_max",
    "other_field_same",
    "receipt",
    "label_words_inside",
    "party_word_inside",
    "label_lead",
    "address_below",
    "id_below",
    "footer_repeat",
)


# A row is filled by name from a copy of the zeros, then read out in FEATURES order (C loops).
_ZEROS: dict[str, float] = dict.fromkeys(FEATURES, 0.0)
_IN_ORDER = itemgetter(*FEATURES)


def field_features(
    ctx: DocumentContext, field: str, cands: list[Candidate[Any]], found: FieldCandidates
) -> list[list[float]]:
    """One feature row per candidate of ``field``, in the order of ``cands``."""
    if not cands:
        return []
    scores = sorted((c.score for c in cands), reverse=True)
    rule_rank: dict[float, int] = {}
    for rank, score in enumerate(scores):  # each score's first place, as scores.index says
        rule_rank.setdefault(score, rank)
    values = [c.value for c in cands]
    value_counts = Counter(values)  # a field's values are of one type: == and hash agree
    ordered = _value_order(values)
    page_numbers = [p.number for p in ctx.pages]
    others = _other_values(field, found)
    page_text = fold(" ".join(p.text for p in ctx.pages[:1]))
    rows = []
    for cand in cands:
        row = _ZEROS.copy()
        row[f"field={field}"] = 1.0
        row[f"kind={KINDS.get(field, 'amount')}"] = 1.0
        if cand.source in SOURCES:
            row[f"source={cand.source}"] = 1.0
        row["rule_score"] = cand.score
        row["rule_rank"] = float(rule_rank[cand.score])
        row["rule_best_gap"] = scores[0] - cand.score
        row["n_candidates"] = float(len(cands))
        row["same_value"] = float(value_counts[cand.value] - 1)
        row["where_right"] = float(cand.where == "right")
        row["where_below"] = float(cand.where == "below")
        row["label_chars"] = float(min(len(cand.label), 40))
        row["label_words"] = float(len(cand.label.split()))
        row["label_lead"] = float(min(cand.label_lead, 5))
        row["receipt"] = float(ctx.receipt)
        if cand.words:
            _geometry(ctx, cand, row, page_numbers)
            text = " ".join(w.text for w in cand.words)
            _shape(text, row)
            if isinstance(cand.value, str) and KINDS.get(field) == "name":
                row["legal_form"] = float(LEGAL_FORM.search(text) is not None)
                folded = fold(cand.value)
                row["repeated"] = float(min(page_text.count(folded), 5))
                row["label_words_inside"], row["party_word_inside"] = _labels_inside(folded)
                _party_block(ctx, cand, row, page_numbers)
        rank = ordered.get(_key(cand.value), 0)
        row["value_rank"] = float(rank)
        row["value_is_max"] = float(rank == 0)
        row["other_field_same"] = float(_key(cand.value) in others)
        rows.append(list(_IN_ORDER(row)))
    return rows


def _geometry(
    ctx: DocumentContext, cand: Candidate[Any], row: dict[str, float], page_numbers: list[int]
) -> None:
    first = cand.words[0]
    page_index = page_numbers.index(first.page) if first.page in page_numbers else 0
    page = ctx.pages[page_index]
    width, height = max(page.width, 1.0), max(page.height, 1.0)
    row["page_index"] = float(page_index)
    row["last_page"] = float(page_index == len(ctx.pages) - 1)
    row["y"] = first.y0 / height
    row["x"] = (first.x0 + cand.words[-1].x1) / 2 / width
    row["size"] = max(w.height for w in cand.words) / max(ctx.word_height, 1.0)
    row["n_words"] = float(len(cand.words))
    if cand.label_box is not None:
        _, y0, x1, _ = cand.label_box
        row["label_dx"] = (first.x0 - x1) / width
        row["label_dy"] = (first.y0 - y0) / height


def _party_block(
    ctx: DocumentContext, cand: Candidate[Any], row: dict[str, float], page_numbers: list[int]
) -> None:
    page = cand.words[0].page
    index = ctx.indexes[page_numbers.index(page) if page in page_numbers else 0]
    row["address_below"], row["id_below"], row["footer_repeat"] = party_support(index, cand.words)


def _shape(text: str, row: dict[str, float]) -> None:
    n = max(len(text), 1)
    row["chars"] = float(min(len(text), 80))
    row["digit_share"] = sum(map(str.isdigit, text)) / n
    alpha = [c for c in text if c.isalpha()]
    row["alpha_share"] = len(alpha) / n
    row["upper_share"] = sum(map(str.isupper, alpha)) / max(len(alpha), 1)


@lru_cache(maxsize=8192)  # a name is proposed for both parties, often by several rules
def _labels_inside(folded: str) -> tuple[float, float]:
    """How many field labels a name holds, and whether it holds a party heading: a heading or
    a field label read as a name ("SELLER TRADE NAME", "Invoice")."""
    fields = sum(LABEL_RES[f].search(folded) is not None for f in _FIELD_LABELS)
    party = any(LABEL_RES[f].search(folded) is not None for f in _PARTY_LABELS)
    return float(fields), float(party)


def _key(value: object) -> str:
    return fold(value) if isinstance(value, str) else str(value)


def _value_order(values: list[object]) -> dict[str, int]:
    """Rank of each distinct value, largest first: amounts and dates order, names do not."""
    comparable = [v for v in values if isinstance(v, Decimal | date)]
    ranked = sorted(set(comparable), key=lambda v: (str(type(v)), v), reverse=True)
    return {_key(v): i for i, v in enumerate(ranked)}


def _other_values(field: str, found: FieldCandidates) -> set[str]:
    """Values other fields of the same kind propose: a buyer name that is also a seller
    candidate, a date that is also a due-date candidate."""
    kind = KINDS.get(field, "amount")
    return {
        _key(c.value)
        for other, cands in found.items()
        if other != field and KINDS.get(other, "amount") == kind
        for c in cands
        if c.source not in _UNLABELLED
    }


_FIELD_LABELS = ("invoice_number", "issue_date", "due_date", "total", "subtotal", "tax_total")
_PARTY_LABELS = ("buyer_block", "seller_block")

# Sources that go to both party lists: their agreement across fields says nothing.
_UNLABELLED = frozenset({"letterhead", "window", "postcode_block"})
