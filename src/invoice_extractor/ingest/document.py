"""What ingest hands to the extractors: pages of words with boxes.

Plain slotted dataclasses, not pydantic: a page holds thousands of words and ingest must stay fast.
Coordinates are PDF points with the origin at the top-left of the page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    page: int = 1  # 1-based page number
    confidence: float = 1.0
    """How sure the reader is of ``text``, 0..1: 1.0 from a text layer, the OCR engine's own
    confidence (the mean over its characters) for words read by OCR."""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


# A line's box is read by C loops over its words (no generator frame per word).
_X0, _Y0, _X1, _Y1 = (attrgetter(name) for name in ("x0", "y0", "x1", "y1"))


@dataclass(slots=True)
class Line:
    """Words on one visual row, left to right. Not changed once built: its text is joined once."""

    words: list[Word]
    # The rules ask for a line's text and box tens of times per page: made on first use, kept
    # (x0 .. y1 read the kept box without a second property call).
    _text: str | None = field(default=None, init=False, repr=False, compare=False)
    _bbox: tuple[float, float, float, float] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " ".join(w.text for w in self.words)
        return self._text

    @property
    def x0(self) -> float:
        return (self._bbox or self.bbox)[0]

    @property
    def x1(self) -> float:
        return (self._bbox or self.bbox)[2]

    @property
    def y0(self) -> float:
        return (self._bbox or self.bbox)[1]

    @property
    def y1(self) -> float:
        return (self._bbox or self.bbox)[3]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        if self._bbox is None:
            words = self.words
            self._bbox = (
                min(map(_X0, words)),
                min(map(_Y0, words)),
                max(map(_X1, words)),
                max(map(_Y1, words)),
            )
        return self._bbox


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    source: str = "text"  # "text" (PDF text layer) or "ocr"
    ocr_engine: str = ""  # the engine that read an OCR page
    # How OCR laid the page image upright before reading it: a quarter turn (counter-clockwise
    # degrees), then a deskew (degrees); the words' boxes are in that upright image, so the
    # review shows the page turned alike (``ocr.cleanup.upright``).
    ocr_turn: int = 0
    ocr_skew: float = 0.0
    # Derived views built once per page by later stages (e.g. the label index), never serialised.
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        # Asked for by several rules per page; the lines are not changed once read.
        cached = self.cache.get("text")
        if not isinstance(cached, str):
            cached = self.cache["text"] = "\n".join(line.text for line in self.lines)
        return cached


class DocumentKind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"
    XML = "xml"


@dataclass(slots=True)
class Document:
    """One input file, opened."""

    name: str  # display name (never used as a path)
    kind: DocumentKind
    pages: list[Page] = field(default_factory=list)
    attachments: dict[str, bytes] = field(default_factory=dict)  # embedded files by name
    # Embedded XML files that were not read (too large when decoded), with the reason.
    refused_attachments: dict[str, str] = field(default_factory=dict)
    # The original file, for backends that send page images (LLMs); never serialised.
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def sha256(self) -> str:
        """The original file's SHA-256 (hex), hashed when asked: extraction never asks, and
        hashing every input cost a batch a few milliseconds per ten megabytes."""
        return hashlib.sha256(self.data).hexdigest()

    def drop_caches(self) -> None:
        """Forget the pages' derived views. They point back at their pages (a page index holds
        its page), so a document done with is freed at once rather than by the cycle collector,
        which would otherwise walk every word of every document read so far."""
        for page in self.pages:
            page.cache.clear()
