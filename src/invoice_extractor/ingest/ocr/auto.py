"""``OCR_ENGINE=auto``: each page goes to the engine that reads its kind best (docs/ocr.md).

Measured on the corpus: rapidocr's neural recogniser reads the worn thermal print of till slips
far better than tesseract (receipt fields 91.7% against 74.0%), while tesseract reads typed A4
pages better and in less time (rendered invoices 90.4% against 84.1%; 1.6 s against 4.1 s a
page). A slip is told from a page by its shape in text lines, before any OCR: a till prints 32
to 48 characters a line, so its ink is at most ``SLIP_WIDTH`` line heights wide, while a typed
page of 9 to 11 point type measures 70 and more. Where the resolution is known (PDF pages, scans
that state it), a slip is also at most ``SLIP_MM`` wide: a typed page in large type is no slip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import OcrEngine, OcrWord, ReleasesMemory

if TYPE_CHECKING:  # Pillow is loaded when an image is read or a page rendered, not before
    from PIL import Image

SLIP_WIDTH = 48.0
"""Pages whose ink is at most this many text-line heights wide are read as slips ..."""
SLIP_MM = 100.0
"""... when their ink is at most this wide (till rolls are 57 to 80 mm)."""


class PageKindRouter:
    """An ``OcrEngine`` that hands narrow slips to ``slips`` and other pages to ``pages``."""

    name = "auto"

    def __init__(self, slips: OcrEngine, pages: OcrEngine) -> None:
        self.slips = slips
        self.pages = pages
        self.min_text_height = pages.min_text_height

    def available(self) -> bool:
        return self.slips.available() or self.pages.available()

    def engine_for(self, slip: bool) -> OcrEngine:
        """The engine for a till slip, or for any other page (``is_slip`` tells them apart). The
        other engine gives back what it holds for reading and gets back cheaply: rapidocr's
        arenas (75 MB after a receipt) would stay beside tesseract's working set on a typed
        page (docs/ocr.md, "Memory, sixth round")."""
        chosen, other = (self.slips, self.pages) if slip else (self.pages, self.slips)
        if other is not chosen and isinstance(other, ReleasesMemory):
            other.release_memory()
        return chosen

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        return self.engine_for(is_slip(image, None)).recognize(image)


def is_slip(upright: Image.Image, dpi: float | None, band: float | None = None) -> bool:
    """Whether a page (upright, deskewed, cropped to its ink; its resolution when known) is a
    till slip: at most ``SLIP_WIDTH`` text lines wide and, where the resolution says, at most
    ``SLIP_MM``. ``band``: the page's ``cleanup.line_height`` where the caller measured it."""
    if dpi and upright.width * 25.4 / dpi > SLIP_MM:
        return False
    if band is None:
        from . import cleanup  # numpy: loaded only when a page is OCR'd

        band = cleanup.line_height(upright)
    return band is not None and upright.width / band <= SLIP_WIDTH
