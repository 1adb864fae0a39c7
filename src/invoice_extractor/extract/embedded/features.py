"""Ranker features: what a candidate looks like, as numbers.

Every feature is general (no word of a vendor, no document): the field and its kind, the rule
that proposed the candidate and its own score, the label (length, words), the geometry from
label to value, the place on the page, type size, agreement between rules, and the value's
shape. ``FEATURES`` names the columns; the model file stores them and refuses other columns.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ...ingest.document import Word
from .candidates import RANKED_FIELDS, FieldCandidates
from .context import DocumentContext
from .fields import Candidate
from .labels import LABEL_RES
from .parties import has_legal_form
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


# Column positions by name: a row is a list of zeros filled in place (no dict per candidate).
_AT: dict[str, int] = {name: i for i, name in enumerate(FEATURES)}
_ZEROS = [0.0] * len(FEATURES)
_RULE_SCORE = _AT["rule_score"]
_RULE_RANK = _AT["rule_rank"]
_RULE_BEST_GAP = _AT["rule_best_gap"]
_N_CANDIDATES = _AT["n_candidates"]
_SAME_VALUE = _AT["same_value"]
_WHERE_RIGHT = _AT["where_right"]
_WHERE_BELOW = _AT["where_below"]
_LABEL_CHARS = _AT["label_chars"]
_LABEL_WORDS = _AT["label_words"]
_LABEL_LEAD = _AT["label_lead"]
_RECEIPT = _AT["receipt"]
_LEGAL_FORM = _AT["legal_form"]
_REPEATED = _AT["repeated"]
_LABEL_WORDS_INSIDE = _AT["label_words_inside"]
_PARTY_WORD_INSIDE = _AT["party_word_inside"]
_VALUE_RANK = _AT["value_rank"]
_VALUE_IS_MAX = _AT["value_is_max"]
_OTHER_FIELD_SAME = _AT["other_field_same"]
_PAGE_INDEX = _AT["page_index"]
_LAST_PAGE = _AT["last_page"]
_Y = _AT["y"]
_X = _AT["x"]
_SIZE = _AT["size"]
_N_WORDS = _AT["n_words"]
_LABEL_DX = _AT["label_dx"]
_LABEL_DY = _AT["label_dy"]
_ADDRESS_BELOW = _AT["address_below"]
_ID_BELOW = _AT["id_below"]
_FOOTER_REPEAT = _AT["footer_repeat"]
_CHARS = _AT["chars"]
_DIGIT_SHARE = _AT["digit_share"]
_ALPHA_SHARE = _AT["alpha_share"]
_UPPER_SHARE = _AT["upper_share"]
_SOURCE_AT = {s: _AT[f"source={s}"] for s in SOURCES}


# Where the candidate's words stand and what they look like (page_index .. upper_share): the
# columns ``_measure`` gives, in this order.
_GEOMETRY_SHAPE = slice(_PAGE_INDEX, _UPPER_SHARE + 1)


@dataclasses.dataclass(slots=True)
class FeatureMemo:
    """What the rows of one document's fields share. A name is proposed for both parties (the
    same words) and often by several rules: its words are measured once. Keyed by the identity
    of the words list, which the memo holds (so no id is reused while it lives); the values
    each kind's fields propose are collected once (``proposers``). ``columns``
    are the columns the ranker reads (None: all, for training): a costly feature no tree reads
    is not measured (its column stays 0)."""

    columns: frozenset[int] | None = None
    words: dict[int, tuple[list[Word], tuple[float, ...], float, float, str]] = dataclasses.field(
        default_factory=dict
    )
    names: dict[tuple[int, str], tuple[list[Word], tuple[float, ...]]] = dataclasses.field(
        default_factory=dict
    )
    proposers: dict[str, dict[str, set[str]]] = dataclasses.field(default_factory=dict)


def document_features(
    ctx: DocumentContext, found: FieldCandidates, columns: frozenset[int] | None = None
) -> dict[str, list[list[float]]]:
    """``field_features`` of every field, sharing what their candidates share."""
    memo = FeatureMemo(columns)
    return {name: field_features(ctx, name, cands, found, memo) for name, cands in found.items()}


def field_features(
    ctx: DocumentContext,
    field: str,
    cands: list[Candidate[Any]],
    found: FieldCandidates,
    memo: FeatureMemo | None = None,
) -> list[list[float]]:
    """One feature row per candidate of ``field``, in the order of ``cands``."""
    if not cands:
        return []
    memo = memo if memo is not None else FeatureMemo()
    scores = sorted((c.score for c in cands), reverse=True)
    rule_rank: dict[float, int] = {}
    for rank, score in enumerate(scores):  # each score's first place, as scores.index says
        rule_rank.setdefault(score, rank)
    values = [c.value for c in cands]
    value_counts = Counter(values)  # a field's values are of one type: == and hash agree
    ordered = _value_order(values)
    page_numbers = [p.number for p in ctx.pages]
    others = _other_values(field, found, memo)
    kind = KINDS.get(field)
    names = kind == "name"
    page_text = _first_page_text(ctx) if names else ""
    # What every row of the field shares, set once in its template.
    template = _ZEROS.copy()
    template[_AT[f"field={field}"]] = 1.0
    template[_AT[f"kind={kind or 'amount'}"]] = 1.0
    template[_N_CANDIDATES] = float(len(cands))
    template[_RECEIPT] = float(ctx.receipt)
    best_score = scores[0]
    rows = []
    for cand in cands:
        row = template.copy()
        source = _SOURCE_AT.get(cand.source)
        if source is not None:
            row[source] = 1.0
        score = cand.score
        row[_RULE_SCORE] = score
        row[_RULE_RANK] = float(rule_rank[score])
        row[_RULE_BEST_GAP] = best_score - score
        value = cand.value
        row[_SAME_VALUE] = float(value_counts[value] - 1)
        row[_WHERE_RIGHT] = float(cand.where == "right")
        row[_WHERE_BELOW] = float(cand.where == "below")
        label = cand.label
        row[_LABEL_CHARS] = float(min(len(label), 40))
        row[_LABEL_WORDS] = float(len(label.split()))
        row[_LABEL_LEAD] = float(min(cand.label_lead, 5))
        words = cand.words
        if words:
            measured = memo.words.get(id(words))
            if measured is None:
                measured = memo.words[id(words)] = _measure(ctx, words, page_numbers)
            _, row[_GEOMETRY_SHAPE], width, height, text = measured
            if cand.label_box is not None:
                _, y0, x1, _ = cand.label_box
                first = words[0]
                row[_LABEL_DX] = (first.x0 - x1) / width
                row[_LABEL_DY] = (first.y0 - y0) / height
            if names and isinstance(value, str):
                named = memo.names.get((id(words), value))
                if named is None:
                    named = (words, _name_values(ctx, words, value, text, page_text, memo))
                    memo.names[id(words), value] = named
                (
                    row[_LEGAL_FORM],
                    row[_REPEATED],
                    row[_LABEL_WORDS_INSIDE],
                    row[_PARTY_WORD_INSIDE],
                    row[_ADDRESS_BELOW],
                    row[_ID_BELOW],
                    row[_FOOTER_REPEAT],
                ) = named[1]
        key = _key(value)
        rank = ordered.get(key, 0)
        row[_VALUE_RANK] = float(rank)
        row[_VALUE_IS_MAX] = float(rank == 0)
        row[_OTHER_FIELD_SAME] = float(key in others)
        rows.append(row)
    return rows


def _first_page_text(ctx: DocumentContext) -> str:
    """The first page's folded text, where a name's repetitions are counted: made once per
    document (each party field asks)."""
    if not ctx.pages:
        return fold("")
    cache = ctx.pages[0].cache
    text = cache.get("features:first_page_text")
    if not isinstance(text, str):
        text = cache["features:first_page_text"] = fold(ctx.pages[0].text)
    return text


def _measure(
    ctx: DocumentContext, words: list[Word], page_numbers: list[int]
) -> tuple[list[Word], tuple[float, ...], float, float, str]:
    """(the words, their geometry and shape columns, their page's width and height, their
    text): what any candidate read from these words shows."""
    first = words[0]
    page_index = page_numbers.index(first.page) if first.page in page_numbers else 0
    page = ctx.pages[page_index]
    width, height = max(page.width, 1.0), max(page.height, 1.0)
    text = " ".join([w.text for w in words])
    geometry = (
        float(page_index),
        float(page_index == len(ctx.pages) - 1),
        first.y0 / height,
        (first.x0 + words[-1].x1) / 2 / width,
        max([w.y1 - w.y0 for w in words]) / max(ctx.word_height, 1.0),
        float(len(words)),
        *_text_shape(text),
    )
    return words, geometry, width, height, text


def _name_values(
    ctx: DocumentContext,
    words: list[Word],
    value: str,
    text: str,
    page_text: str,
    memo: FeatureMemo,
) -> tuple[float, ...]:
    """The name columns, in the order of ``_NAME_COLUMNS``."""
    folded = fold(value)
    page = words[0].page
    numbers = [p.number for p in ctx.pages]
    index = ctx.indexes[numbers.index(page) if page in numbers else 0]
    footer = memo.columns is None or _FOOTER_REPEAT in memo.columns
    return (
        float(has_legal_form(text)),
        float(min(page_text.count(folded), 5)),
        *_labels_inside(folded),
        *party_support(index, words, footer),
    )


@lru_cache(maxsize=8192)  # a value's words are read by several rules and for two parties
def _text_shape(text: str) -> tuple[float, float, float, float]:
    """(characters up to 80, the shares of digits and letters, the share of capitals among
    the letters)."""
    n = max(len(text), 1)
    digits = sum(map(str.isdigit, text))
    alpha = list(filter(str.isalpha, text))
    upper = sum(map(str.isupper, alpha))
    return float(min(len(text), 80)), digits / n, len(alpha) / n, upper / max(len(alpha), 1)


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


def _other_values(field: str, found: FieldCandidates, memo: FeatureMemo) -> set[str]:
    """Values other fields of the same kind propose: a buyer name that is also a seller
    candidate, a date that is also a due-date candidate."""
    kind = KINDS.get(field, "amount")
    proposers = memo.proposers.get(kind)
    if proposers is None:  # each value of the kind -> the fields proposing it, once per document
        proposers = memo.proposers[kind] = {}
        for other, cands in found.items():
            if KINDS.get(other, "amount") == kind:
                for c in cands:
                    if c.source not in _UNLABELLED:
                        proposers.setdefault(_key(c.value), set()).add(other)
    return {key for key, fields in proposers.items() if len(fields) > 1 or field not in fields}


_FIELD_LABELS = ("invoice_number", "issue_date", "due_date", "total", "subtotal", "tax_total")
_PARTY_LABELS = ("buyer_block", "seller_block")

# Sources that go to both party lists: their agreement across fields says nothing.
_UNLABELLED = frozenset({"letterhead", "window", "postcode_block"})
