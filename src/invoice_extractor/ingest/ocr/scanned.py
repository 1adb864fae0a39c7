"""PDF pages without a usable text layer: rendered and read by OCR, page by page.

A page is OCR'd when it has no words, when its text layer is mostly garbage (fonts without a
Unicode map give private-use or control characters), or when it holds next to no text over a
page-size image (a scan carrying only a stamp or a page number as text). Every other page keeps
its text layer: it is exact, OCR is not.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING

from ..document import Document, Page
from ..pdf import image_cover, render_image

if TYPE_CHECKING:  # the OCR stack is imported when a page needs OCR: most PDFs have none
    from .base import OcrEngine
    from .page import Options

log = logging.getLogger(__name__)

OCR_DPI = 200
"""Resolution scanned pages are rendered at for OCR: the e-invoice benchmark reads 200 dpi pages
within 2 s each; small text is enlarged further where it needs it (``page.TARGET_TEXT_HEIGHT``)."""
MAX_GARBAGE = 0.3
"""A text layer with more than this share of unusable characters is read by OCR instead."""
FEW_CHARS = 40
"""A page with fewer characters than this is checked for a page-size image under them."""
SCAN_COVER = 0.5
"""An image covering at least this share of the page makes it a scan."""

_UNUSABLE = frozenset({"Co", "Cn", "Cc", "Cs"})  # private use, unassigned, control, surrogate


def garbage_share(page: Page) -> float:
    """The share of the page's characters that no reader can use."""
    text = "".join(w.text for w in page.words)
    if not text:
        return 1.0
    if text.isascii() and text.isprintable():  # no control character: nothing unusable (fast)
        return 0.0
    # Each distinct character is classified once: a page has thousands of a few dozen.
    bad = sum(
        text.count(c) for c in set(text) if c == "\ufffd" or unicodedata.category(c) in _UNUSABLE
    )
    return bad / len(text)


def pages_to_ocr(document: Document, data: bytes) -> list[int]:
    """Numbers of the pages whose text layer is missing or unusable."""
    todo = [p.number for p in document.pages if not p.words or garbage_share(p) > MAX_GARBAGE]
    sparse = [
        p.number
        for p in document.pages
        if p.number not in todo and sum(len(w.text) for w in p.words) < FEW_CHARS
    ]
    if sparse:
        cover = image_cover(data, document.name, sparse)
        todo += [n for n in sparse if cover[n] >= SCAN_COVER]
    return sorted(todo)


def ocr_scanned_pages(
    document: Document,
    data: bytes,
    engine: str | None = None,
    *,
    dpi: int = OCR_DPI,
    options: Options | None = None,
) -> Document:
    """``document`` with each page that needs it replaced by its OCR reading (in place).

    ``engine`` is a registry name (None: the default); it is looked up only when a page needs
    it. Without an installed engine the pages stay as they are (the pipeline then reports a
    document without text).
    """
    todo = pages_to_ocr(document, data)
    if not todo:
        return document
    from . import registry

    chosen = registry.resolve(engine)
    if chosen is None:
        log.warning("%s: pages %s need OCR; no OCR engine is installed", document.name, todo)
        return document
    return ocr_pages(document, data, todo, chosen, dpi=dpi, options=options)


def ocr_pages(
    document: Document,
    data: bytes,
    numbers: list[int],
    engine: OcrEngine,
    *,
    dpi: int = OCR_DPI,
    options: Options | None = None,
) -> Document:
    """Pages ``numbers`` of ``document`` replaced by their OCR reading (in place). Rendering holds
    the PDFium lock; OCR runs outside it, so other threads read PDFs meanwhile (``options``:
    the page clean-up's, None for ``page.DEFAULT_OPTIONS``)."""
    from .page import DEFAULT_OPTIONS, ocr_page

    options = DEFAULT_OPTIONS if options is None else options
    for number in numbers:
        image = render_image(data, document.name, number, dpi, grayscale=True)
        page = ocr_page(image, number, image.info["dpi"], engine, options)
        if page.words or not document.pages[number - 1].words:
            document.pages[number - 1] = page
        log.debug("%s: page %d read by OCR (%d words)", document.name, number, len(page.words))
    return document
