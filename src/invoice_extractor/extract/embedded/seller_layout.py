"""What the seller memory knows of one seller, as plain data: how to recognise it and, per field,
where the confirmed value stood and where the wrong one that was chosen instead stood.

Only the seller's own identifiers (name, VAT ids, IBANs), label words, positions and value shapes
are kept: never a buyer's name or an amount. The engine receives layouts through the
``SellerMemory`` protocol (``seller_memory.py``); the store keeps them in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .text import fold

FINGERPRINT_MIN = 0.6
"""Jaccard similarity of label fingerprints above which an unidentified page is the seller's."""

_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[^\W\d_]+")


def value_shape(text: str) -> str:
    """The printed shape of a value without its content: ``INV-0012`` -> ``a-9``,
    ``1.234,50`` -> ``9.9,9``, ``31.03.2024`` -> ``9.9.9``."""
    return _LETTERS.sub("a", _DIGITS.sub("9", text.strip()))[:24]


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a candidate stood: its label, the rule that read it, and its place."""

    label: str  # folded label text, "" when the value has none (names)
    source: str  # the rule that proposed it: "labelled", "letterhead", ...
    where: str  # "right", "below", "block", ...
    page: int  # 0-based page of the invoice's pages
    last_page: bool
    x: float  # value's top-left corner, in fractions of the page width and height
    y: float
    dx: float  # value's top-left corner minus the label's, in points (0 without a label)
    dy: float
    shape: str

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "where": self.where,
            "page": self.page,
            "last_page": self.last_page,
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "dx": round(self.dx, 1),
            "dy": round(self.dy, 1),
            "shape": self.shape,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Spot:
        return cls(
            str(data["label"])[:80],
            str(data["source"])[:24],
            str(data["where"])[:16],
            int(data["page"]),
            bool(data["last_page"]),
            float(data["x"]),
            float(data["y"]),
            float(data["dx"]),
            float(data["dy"]),
            str(data["shape"])[:24],
        )


@dataclass(frozen=True, slots=True)
class FieldLesson:
    """One field of a seller's layout as a person (or an e-invoice) confirmed it."""

    right: Spot | None  # None: confirmed empty, this seller's invoices do not print it
    wrong: Spot | None  # the candidate the engine chose instead, if it chose another
    origin: str  # "correction", "review", "einvoice" or "learn"
    taught_at: str  # ISO date of the lesson
    taught_by: str = ""  # which invoice taught it (to undo it when that invoice is re-edited)

    def to_json(self) -> dict[str, Any]:
        return {
            "right": self.right.to_json() if self.right else None,
            "wrong": self.wrong.to_json() if self.wrong else None,
            "origin": self.origin,
            "taught_at": self.taught_at,
            "taught_by": self.taught_by,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldLesson:
        right, wrong = data.get("right"), data.get("wrong")
        return cls(
            Spot.from_json(right) if right else None,
            Spot.from_json(wrong) if wrong else None,
            str(data["origin"])[:16],
            str(data["taught_at"])[:10],
            str(data.get("taught_by") or "")[:64],
        )

    @property
    def described(self) -> str:
        """``"correction 2026-11-03"``: what the invoice's ``learned_from`` says."""
        return f"{self.origin} {self.taught_at}"


@dataclass(frozen=True, slots=True)
class SellerClues:
    """What a page says about its seller: identifiers, the likeliest name, label fingerprint."""

    vat_ids: frozenset[str] = frozenset()
    ibans: frozenset[str] = frozenset()
    name: str = ""  # folded
    fingerprint: frozenset[str] = frozenset()
    text: str = ""  # the first page's folded text (never stored): is a known name printed?


@dataclass(slots=True)
class SellerLayout:
    id: int | None
    name: str | None
    vat_ids: tuple[str, ...] = ()
    ibans: tuple[str, ...] = ()
    fingerprint: frozenset[str] = frozenset()
    fields: dict[str, FieldLesson] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "vat_ids": list(self.vat_ids),
            "ibans": list(self.ibans),
            "fingerprint": sorted(self.fingerprint),
            "fields": {path: lesson.to_json() for path, lesson in sorted(self.fields.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], layout_id: int | None = None) -> SellerLayout:
        fields = data.get("fields") or {}
        return cls(
            layout_id,
            str(data["name"])[:200] if data.get("name") else None,
            tuple(str(v)[:40] for v in data.get("vat_ids") or ()),
            tuple(str(v)[:40] for v in data.get("ibans") or ()),
            frozenset(str(t)[:80] for t in data.get("fingerprint") or ()),
            {str(p)[:64]: FieldLesson.from_json(v) for p, v in fields.items()},
        )


@dataclass(frozen=True, slots=True)
class Lesson:
    """What one document taught: its clues, the seller's confirmed identity, and the fields."""

    clues: SellerClues
    name: str | None
    vat_ids: tuple[str, ...]
    ibans: tuple[str, ...]
    fields: Mapping[str, FieldLesson]
    # Fields whose lesson from this document is withdrawn (re-edited to a value not printed).
    forget: tuple[str, ...] = ()
    taught_by: str = ""


class SellerMemory(Protocol):
    """Where the layouts live (the store's tables, or a plain list for benchmarks and tests)."""

    def layouts(self, clues: SellerClues) -> Sequence[SellerLayout]:
        """The layouts that may be this page's seller (recognise() decides)."""
        ...

    def remember(self, lesson: Lesson) -> None: ...


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def recognise(clues: SellerClues, layouts: Iterable[SellerLayout]) -> SellerLayout | None:
    """The known seller of a page: by VAT id, IBAN, name, else by a close label fingerprint.
    A page whose own identifiers contradict a layout's is never that seller's."""
    best: tuple[float, SellerLayout] | None = None
    for layout in layouts:
        if _contradicts(clues, layout):
            continue
        if clues.vat_ids & set(layout.vat_ids) or clues.ibans & set(layout.ibans):
            score = 3.0
        elif clues.name and layout.name and fold(layout.name) == clues.name:
            score = 2.0
        else:
            # The same template may serve other sellers (a viewer's rendering of e-invoices):
            # a close fingerprint counts only where the seller's name is printed too.
            score = similarity(clues.fingerprint, layout.fingerprint)
            named = not layout.name or fold(layout.name) in clues.text
            if score < FINGERPRINT_MIN or not named:
                continue
        if best is None or score > best[0]:
            best = (score, layout)
    return best[1] if best else None


def _contradicts(clues: SellerClues, layout: SellerLayout) -> bool:
    vat = bool(clues.vat_ids and layout.vat_ids and not clues.vat_ids & set(layout.vat_ids))
    iban = bool(clues.ibans and layout.ibans and not clues.ibans & set(layout.ibans))
    return vat or iban


def merged(layout: SellerLayout | None, lesson: Lesson) -> SellerLayout:
    """The layout after a lesson: newer fields replace older ones (editing a field again undoes
    what its first edit taught), identifiers accumulate, the fingerprint is the latest page's."""
    base = layout or SellerLayout(None, lesson.name)
    fields = dict(base.fields)
    for path in lesson.forget:
        old = fields.get(path)
        if old is not None and old.taught_by == lesson.taught_by:
            del fields[path]
    fields.update(lesson.fields)
    return replace(
        base,
        name=lesson.name or base.name,
        vat_ids=_union(base.vat_ids, lesson.vat_ids),
        ibans=_union(base.ibans, lesson.ibans),
        fingerprint=lesson.clues.fingerprint or base.fingerprint,
        fields=fields,
    )


def _union(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*old, *new]))[-8:]


@dataclass(slots=True)
class LayoutBook:
    """A seller memory in a plain list: for benchmarks, tests and one-off command-line runs."""

    entries: list[SellerLayout] = field(default_factory=list)

    def layouts(self, clues: SellerClues) -> Sequence[SellerLayout]:
        return self.entries

    def remember(self, lesson: Lesson) -> None:
        known = recognise(lesson.clues, self.entries) or _by_identity(lesson, self.entries)
        updated = merged(known, lesson)
        if known is None:
            updated.id = len(self.entries) + 1
            self.entries.append(updated)
        else:
            self.entries[self.entries.index(known)] = updated


def _by_identity(lesson: Lesson, layouts: Iterable[SellerLayout]) -> SellerLayout | None:
    """A layout the lesson's confirmed identity names (the page may print it differently)."""
    probe = SellerClues(frozenset(lesson.vat_ids), frozenset(lesson.ibans), fold(lesson.name or ""))
    return recognise(probe, layouts)
