"""The contract of an OCR engine: an image in, words with boxes in image pixels out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ...errors import ExtractionError

if TYPE_CHECKING:  # Pillow is loaded when an image is read or a page rendered, not before
    from PIL import Image


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One recognised word: its text, its box in pixels of the image given (origin top-left),
    and the engine's confidence in 0..1."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float


@runtime_checkable
class OcrEngine(Protocol):
    """An OCR engine. ``available`` must be cheap and never raise: it says whether the engine's
    program, package and models are installed; nothing is ever downloaded at run time."""

    name: str
    min_text_height: float
    """Text lower than this many pixels is enlarged before recognition (0: the engine scales
    its input itself)."""

    def available(self) -> bool: ...

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        """Every word on ``image`` (RGB or greyscale), in any order; raises ``OcrFailed``."""
        ...


@runtime_checkable
class EngineChoice(Protocol):
    """An engine that picks another engine for each page (``auto``)."""

    def engine_for(self, slip: bool) -> OcrEngine:
        """The engine for a till slip, or for any other page."""
        ...


@runtime_checkable
class ReleasesMemory(Protocol):
    """An engine that can give back memory it gets back cheaply (``auto`` asks the engine it
    does not use for a page)."""

    def release_memory(self) -> None: ...


class OcrFailed(ExtractionError):
    """The OCR engine crashed or timed out on an image it was given."""

    code = "ocr_failed"
