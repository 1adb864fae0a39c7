"""Teaching the seller memory: confirmed values of one document -> a ``Lesson``.

The candidates are generated again on the document; for each confirmed field the candidate that
prints the confirmed value is the right spot, and the candidate the engine chose instead (if it
chose another value) the wrong one. A confirmed value printed nowhere teaches nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from ...ids import normalize_iban, normalize_vat_id
from ...ingest.document import Document
from ...model import Invoice
from .candidates import RANKED_FIELDS, collect_candidates
from .context import DocumentContext
from .engine import EmbeddedExtractor, rank_candidates
from .fields import Candidate
from .ranker import active_model
from .seller_labels import printed_candidate
from .seller_layout import FieldLesson, Lesson, SellerMemory
from .seller_memory import clues_of, spot_of, using_seller_memory
from .text import fold, union_bbox

IDENTITY_FIELDS = ("seller.name", "seller.vat_id", "payment.iban")
TAUGHT_FIELDS = (*RANKED_FIELDS, *(p for p in IDENTITY_FIELDS if p not in RANKED_FIELDS))
"""The fields a lesson confirms: the ranked ones, and the seller's identifiers."""

_NOT_ALNUM = re.compile(r"[\W_]+")
log = logging.getLogger(__name__)
_BOX_POINTS = 1.0  # evidence boxes are rounded in storage


def lesson_from(
    document: Document,
    pages: list[int],
    confirmed: Mapping[str, Any],
    *,
    origin: str,
    taught_at: str,
    taught_by: str = "",
    chosen: Invoice | None = None,
    identity: Mapping[str, Any] | None = None,
) -> Lesson:
    """What ``confirmed`` (field path -> value, ``None`` for "not on this invoice") teaches about
    the layout of ``document``'s pages. ``chosen`` is the reading that was corrected (default:
    the engine's own reading without any memory); ``identity`` gives the seller's name, VAT id
    and IBAN when they were not confirmed themselves (default: ``confirmed``)."""
    with using_seller_memory(None):
        if chosen is None:
            chosen = EmbeddedExtractor().extract(document, pages)
        ctx = DocumentContext.build([document.pages[n - 1] for n in pages])
        found = collect_candidates(ctx)
        every = {path: list(cands) for path, cands in found.items()}
        rank_candidates(ctx, found, active_model())  # scores set in place; names not dropped
    fields: dict[str, FieldLesson] = {}
    forget: list[str] = []
    for path in RANKED_FIELDS:
        if path not in confirmed:
            continue
        value = confirmed[path]
        wrong = _chosen_candidate(every[path], chosen, path)
        right: Candidate[Any] | None = None
        if wrong is not None and value is not None and same_value(wrong.value, value):
            right, wrong = wrong, None  # the engine was right: its very candidate is confirmed
        if value is not None and right is None:
            printing = [c for c in every[path] if c.words and same_value(c.value, value)]
            right = max(printing, key=lambda c: c.score, default=None)
            if right is None:  # no rule read it: the seller's own label, if the page has one
                taken = _taken(every, confirmed, path, value)
                right = printed_candidate(ctx, path, partial(same_value, confirmed=value), taken)
            if right is None:
                forget.append(path)  # not printed: what this invoice taught before is withdrawn
                continue
        elif right is None and wrong is None:
            continue  # confirmed empty, and nothing was chosen: nothing to learn
        fields[path] = FieldLesson(
            spot_of(ctx, right) if right is not None else None,
            spot_of(ctx, wrong) if wrong is not None else None,
            origin,
            taught_at,
            taught_by,
        )
    known = {**(identity or {}), **{p: v for p, v in confirmed.items() if v is not None}}
    name, vat, iban = (known.get(p) for p in IDENTITY_FIELDS)
    return Lesson(
        clues_of(ctx, found),
        str(name) if name else None,
        (normalize_vat_id(str(vat)),) if vat else (),
        (normalize_iban(str(iban)),) if iban else (),
        fields,
        tuple(forget),
        taught_by,
    )


def teach_einvoice(
    document: Document, pages: list[int], exact: Invoice, printed: Invoice, memory: SellerMemory
) -> None:
    """An e-invoice's XML values, where its printed page shows them, teach the page's layout:
    the seller's plain PDFs of the same layout are then read the same way."""
    confirmed = {p: exact.get_path(p) for p in TAUGHT_FIELDS if exact.get_path(p) is not None}
    try:
        lesson = lesson_from(
            document,
            pages,
            confirmed,
            origin="einvoice",
            taught_at=datetime.now(UTC).date().isoformat(),
            taught_by=f"einvoice:{exact.invoice_number or document.name}"[:64],
            chosen=printed,
        )
        if lesson.fields:
            memory.remember(lesson)
    except Exception:  # a memory that cannot learn must not fail the reading itself
        log.exception("seller memory: could not learn from the e-invoice %s", document.name)


def _taken(
    every: Mapping[str, list[Candidate[Any]]], confirmed: Mapping[str, Any], path: str, value: Any
) -> frozenset[int]:
    """Words (by id) read by another field's rules as that field's confirmed value, which is
    this value too (an amount due that is the total)."""
    return frozenset(
        id(w)
        for other, cands in every.items()
        if other != path and confirmed.get(other) is not None
        for c in cands
        if same_value(c.value, value) and same_value(c.value, confirmed[other])
        for w in c.words
    )


def _chosen_candidate(
    cands: list[Candidate[Any]], chosen: Invoice, path: str
) -> Candidate[Any] | None:
    """The candidate behind the chosen reading's value: same value, same evidence box."""
    value = chosen.get_path(path)
    evidence = chosen.evidence.get(path)
    if value is None or evidence is None:
        return None
    for cand in cands:
        if cand.words and cand.page == evidence.page and same_value(cand.value, value):
            box = union_bbox(cand.words)
            if all(abs(a - b) <= _BOX_POINTS for a, b in zip(box, evidence.bbox, strict=True)):
                return cand
    return None


def same_value(printed: Any, confirmed: Any) -> bool:
    """A candidate's typed value against a confirmed one (typed, or as the API's text)."""
    if isinstance(printed, Decimal):
        try:
            return printed == Decimal(str(confirmed).strip())
        except InvalidOperation:
            return False
    if isinstance(printed, date):
        return str(confirmed).strip() == printed.isoformat()
    return _key(str(printed)) == _key(str(confirmed))


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", fold(text))
