"""The seller memory inside the engine: recognise a known seller, then let its confirmed layout
decide among the ranker's candidates.

Applied after the ranker's probabilities, per field: the candidate standing where the confirmed
value stood (same label, same place relative to it, same shape) gets probability 1.0, and one
standing where the rejected value stood is dropped. A page of no known seller is left exactly as
the ranker scored it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ...errors import DatabaseUnavailable
from ...ingest.document import Word
from ...model import Evidence, Invoice
from .candidates import FieldCandidates
from .context import DocumentContext
from .fields import Candidate
from .labels import LABEL_RES
from .patterns import find_ibans, find_vat_ids
from .seller_identity import KNOWN, apply_known_identifiers
from .seller_labels import SOURCE, placed_candidate, seller_candidates
from .seller_layout import FieldLesson, SellerClues, SellerLayout, SellerMemory, Spot, recognise
from .seller_layout import value_shape as shape_of
from .text import fold

MATCH_MIN = 0.6  # a candidate at least this close to the confirmed spot is the seller's value
# The raw score of the value at the confirmed spot: above any rule or arithmetic bonus of the
# joint choices (a person confirmed this layout); confidences are clipped to 1.0.
CONFIRMED = 2.0
PLACED_SCORE = 0.9  # a value at the confirmed place whose label differs: likely, not certain
WRONG_MIN = 0.8  # one this close to the rejected spot is the same mistake again
_NEAR = 0.12  # page fractions: beyond this distance a position says nothing
_REL_POINTS = 12.0  # label-to-value offsets within this many points are the same geometry
_FINGERPRINT_FIELDS = tuple(f for f in LABEL_RES if f != "not_a_value")
_GRID = (6, 10)  # fingerprint cells across and down the page

log = logging.getLogger(__name__)
_memory: ContextVar[SellerMemory | None] = ContextVar("seller_memory", default=None)


@contextmanager
def using_seller_memory(memory: SellerMemory | None) -> Iterator[None]:
    """Extractions in this block (this thread or task) consult ``memory``."""
    token = _memory.set(memory)
    try:
        yield
    finally:
        _memory.reset(token)


def current_seller_memory() -> SellerMemory | None:
    return _memory.get()


@dataclass(slots=True)
class Recalled:
    """What the memory of a page's seller did: field path -> the lesson applied."""

    learned: dict[str, str] = field(default_factory=dict)
    layout: SellerLayout | None = None

    def identify(
        self, ctx: DocumentContext, invoice: Invoice, evidence: dict[str, Evidence]
    ) -> None:
        """After the pattern rules: the seller's known VAT id and IBAN, where printed."""
        if self.layout is not None:
            self.learned.update(apply_known_identifiers(ctx, invoice, evidence, self.layout))


def recall(ctx: DocumentContext, found: FieldCandidates) -> Recalled:
    """Apply the memory of this page's seller, if known."""
    memory = _memory.get()
    if memory is None or not ctx.pages:
        return Recalled()
    try:
        clues = clues_of(ctx, found)
        layout = recognise(clues, memory.layouts(clues))
        if layout is None:
            return Recalled()
        return Recalled(apply_layout(ctx, found, layout), layout)
    except DatabaseUnavailable as exc:  # an outage, not a fault: one line, no traceback
        log.warning("seller memory: not applied (%s)", exc)
        return Recalled()
    except Exception:  # a memory that fails otherwise leaves the ranker's reading too
        log.exception("seller memory: not applied")
        return Recalled()


def clues_of(ctx: DocumentContext, found: FieldCandidates) -> SellerClues:
    vat_ids = {h.value for index in ctx.indexes for h in find_vat_ids(index) if not h.buyer_hint}
    ibans = {h.value for index in ctx.indexes for h in find_ibans(index)}
    sellers = found.get("seller.name") or []
    top = max(sellers, key=lambda c: c.score, default=None)
    name = fold(str(top.value)) if top is not None else ""
    first = next((i for i in ctx.indexes if i.page.words), None)
    text = " ".join(first.folded) if first is not None else ""
    return SellerClues(frozenset(vat_ids), frozenset(ibans), name, fingerprint(ctx), text)


def fingerprint(ctx: DocumentContext) -> frozenset[str]:
    """The first page's label words, alone and with their cell on a coarse grid: the same
    template prints the same labels in the same places whatever the invoice's content."""
    index = next((i for i in ctx.indexes if i.page.words), None)
    if index is None:
        return frozenset()
    width, height = max(index.page.width, 1.0), max(index.page.height, 1.0)
    tokens: set[str] = set()
    for name in _FINGERPRINT_FIELDS:
        for hit in index.labels(name):
            label = fold(hit.text)
            gx, gy = int(_GRID[0] * hit.x0 / width), int(_GRID[1] * hit.y0 / height)
            tokens.update((f"{name}:{label}", f"{name}:{label}@{gx},{gy}"))
    return frozenset(tokens)


def spot_of(ctx: DocumentContext, cand: Candidate[Any]) -> Spot | None:
    if not cand.words:
        return None
    pages = [p.number for p in ctx.pages]
    page_no = cand.page
    at = pages.index(page_no) if page_no in pages else 0
    page = ctx.pages[at]
    x0, y0 = min(w.x0 for w in cand.words), min(w.y0 for w in cand.words)
    dx = dy = 0.0
    if cand.label_box is not None:
        dx, dy = x0 - cand.label_box[0], y0 - cand.label_box[1]
    return Spot(
        fold(cand.label),
        cand.source,
        cand.where,
        at,
        at == len(pages) - 1,
        x0 / max(page.width, 1.0),
        y0 / max(page.height, 1.0),
        dx,
        dy,
        shape_of(_text(cand.words)),
    )


def closeness(spot: Spot, ref: Spot) -> float:
    """1.0 for the confirmed spot itself, 0.0 for another label or page or a far place."""
    if spot.label != ref.label or spot.source != ref.source:
        return 0.0
    if spot.page != ref.page and not (spot.last_page and ref.last_page):
        return 0.0
    if ref.label:
        # A labelled value keeps its place beside its label even when the block moves down.
        same_geometry = (
            spot.where == ref.where
            and abs(spot.dx - ref.dx) <= _REL_POINTS
            and abs(spot.dy - ref.dy) <= _REL_POINTS
        )
    else:
        same_geometry = spot.where == ref.where
    near = max(0.0, 1.0 - math.hypot(spot.x - ref.x, spot.y - ref.y) / _NEAR)
    return 0.4 * same_geometry + 0.4 * near + 0.2 * (spot.shape == ref.shape)


def apply_layout(
    ctx: DocumentContext, found: FieldCandidates, layout: SellerLayout
) -> dict[str, str]:
    applied: dict[str, str] = {}
    for path, lesson in layout.fields.items():
        if path in found and _apply_field(ctx, found, path, lesson):
            applied[path] = lesson.described
    if layout.name and _prefer_name(ctx, found, layout.name):
        taught = layout.fields.get("seller.name")
        applied.setdefault("seller.name", taught.described if taught else KNOWN)
    return applied


def _apply_field(
    ctx: DocumentContext, found: FieldCandidates, path: str, lesson: FieldLesson
) -> bool:
    if lesson.right is not None and lesson.right.source == SOURCE:
        found[path].extend(seller_candidates(ctx, path, lesson.right.label, lesson.right.where))
    cands = found[path]
    spots = [spot_of(ctx, c) for c in cands]
    chosen: Candidate[Any] | None = None
    if lesson.right is not None:
        scored = [
            (closeness(s, lesson.right), c.score, n)
            for n, (c, s) in enumerate(zip(cands, spots, strict=True))
            if s is not None
        ]
        best = max(scored, default=None)
        if best is not None and best[0] >= MATCH_MIN:
            chosen = cands[best[2]]
            chosen.score = CONFIRMED
        elif lesson.right.label:
            chosen = placed_candidate(ctx, path, lesson.right)
            if chosen is not None:
                chosen.score = PLACED_SCORE
                cands.append(chosen)
                spots.append(spot_of(ctx, chosen))
    kept = cands
    if lesson.wrong is not None:
        kept = [
            c
            for c, s in zip(cands, spots, strict=True)
            if c is chosen
            or s is None
            or closeness(s, lesson.wrong) < WRONG_MIN
            or (chosen is not None and c.value == chosen.value)
        ]
        # The same words read by another rule are the same mistake.
        kept_ids = {id(c) for c in kept}
        dropped = {str(c.value) for c in cands if id(c) not in kept_ids}
        kept = [c for c in kept if str(c.value) not in dropped]
    found[path] = kept
    return chosen is not None or len(kept) < len(cands)


def _prefer_name(ctx: DocumentContext, found: FieldCandidates, name: str) -> bool:
    """The seller's confirmed name wins where the page prints it (its own identity, not a
    guess); a candidate holding it is found among the name lines, or read off the first page."""
    key = fold(name)
    sellers = found.get("seller.name")
    if sellers is None:
        return False
    for cand in sellers:
        if fold(str(cand.value)) == key:
            cand.score = max(cand.score, 1.0)
            break
    else:
        words = _printed(ctx, key)
        if words is None:
            return False
        sellers.append(Candidate(name, words, 1.0, "", "block", None, SOURCE))
    # The same line cannot also be the buyer.
    found["buyer.name"] = [c for c in found.get("buyer.name", []) if fold(str(c.value)) != key]
    return True


def _printed(ctx: DocumentContext, key: str) -> list[Word] | None:
    index = next((i for i in ctx.indexes if i.page.words), None)
    if index is None or not key:
        return None
    for n, folded in enumerate(index.folded):
        at = folded.find(key)
        if at >= 0:
            first, last = index.word_range(n, at, at + len(key))
            return index.lines[n].words[first:last]
    return None


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)
