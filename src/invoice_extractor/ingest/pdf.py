"""PDF files to pages of words with boxes (pypdfium2), and page images.

pypdfium2 is the measured choice: with per-character boxes it reads a few hundred pages per second
on one core, an order of magnitude faster than pdfminer-based readers.
"""

from __future__ import annotations

import ctypes
import functools
import io
import math
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import CorruptFile, EmptyFile, EncryptedPdf, PageTooLarge, TooManyPages
from .attachments import xml_attachments
from .document import Document, DocumentKind, Page, Word
from .layout import build_lines
from .streams import check_page_content, check_pages, open_qpdf

if TYPE_CHECKING:  # Pillow is loaded when an image is read or a page rendered, not before
    from PIL import Image

P = ParamSpec("P")
R = TypeVar("R")

_PDF_ERR_PASSWORD = 4  # FPDF_ERR_PASSWORD
_NO_PAGES = re.compile(rb"/Type\s*/Pages\b[^>]*/Count\s+0\b|/Count\s+0\b[^>]*/Type\s*/Pages\b")
# PDF's own limit is 14400 units a side (200 inches): a larger page is a render bomb, not paper.
MAX_PAGE_POINTS = 14400.0
# Every render (review image, OCR) is capped whatever the dpi asked, by side and by total: a
# huge page then costs what a poster does (an A3 page at 300 dpi is 17 megapixels).
MAX_RENDER_SIDE = 10_000
MAX_RENDER_PIXELS = 25_000_000
_SEPARATORS = frozenset(" \t\r\n\x00\u00a0\u2002\u2003\u2009\u200a\u202f\u3000")


# FPDFText_GetLooseCharBox(text_page, index, FS_RECTF*) -> FPDF_BOOL, called through a prototype
# of no declared arguments: the binding's declared types cost about a microsecond a call (ctypes
# converts each argument), more than PDFium's own work for a box, and a page has thousands of
# characters. Its arguments must be ctypes objects or small ints: they are passed as they are.
# PYFUNCTYPE keeps the GIL over the call: releasing and taking it back for a sub-microsecond
# call is about 5 % of the word reader's instructions (callgrind); the call is too short for
# another thread to gain from a released GIL, and PDFium is serialised by ``PDFIUM_LOCK``.
_LOOSE_CHAR_BOX: Callable[..., int] = ctypes.cast(
    pdfium_c.FPDFText_GetLooseCharBox, ctypes.PYFUNCTYPE(ctypes.c_int)
)


def is_pdf(data: bytes) -> bool:
    # The header may be preceded by junk (allowed by readers): look in the first KiB.
    return b"%PDF-" in data[:1024]


def open_pdf(data: bytes, name: str) -> pdfium.PdfDocument:
    """Open PDF bytes, turning pdfium's errors into the product's typed ones."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # pdfium's error code can be stale (left over from an earlier file), so it only counts
        # together with what the bytes themselves say.
        if getattr(exc, "err_code", None) == _PDF_ERR_PASSWORD and b"/Encrypt" in data:
            raise EncryptedPdf(f"{name}: the PDF is encrypted with a password", file=name) from exc
        if _NO_PAGES.search(data[-65536:]) or _NO_PAGES.search(data[:65536]):
            raise EmptyFile(f"{name}: the PDF has no pages", file=name) from exc
        raise CorruptFile(f"{name}: the PDF is damaged and cannot be read", file=name) from exc


# PDFium is not thread-safe: one call into it at a time per process (web worker threads share it).
PDFIUM_LOCK = threading.RLock()


def _serialised(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with PDFIUM_LOCK:
            return func(*args, **kwargs)

    return wrapper


@_serialised
def read_pdf(data: bytes, name: str, *, max_pages: int) -> Document:
    """Every page of a PDF as words with boxes and lines in reading order."""
    pdf = open_pdf(data, name)
    qpdf = None  # the file as qpdf reads it: for the content check, then the attachments
    try:
        count = len(pdf)
        if count == 0:
            raise EmptyFile(f"{name}: the PDF has no pages", file=name)
        if count > max_pages:
            raise TooManyPages(
                f"{name}: {count} pages, more than the limit of {max_pages}", file=name
            )
        qpdf = open_qpdf(data)
        if qpdf is not None:  # before PDFium parses (and inflates) any page
            check_pages(qpdf, name)
        pages = []
        for index in range(count):
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                raise CorruptFile(f"{name}: page {index + 1} cannot be read", file=name) from exc
            try:
                check_page_size(page, name, index + 1)
                pages.append(_read_page(page, index + 1))
            finally:
                page.close()
        attachments, refused = xml_attachments(pdf, data, qpdf)
        return Document(
            name=name,
            kind=DocumentKind.PDF,
            pages=pages,
            attachments=attachments,
            refused_attachments=refused,
        )
    finally:
        if qpdf is not None:
            qpdf.close()
        pdf.close()


def check_page_size(page: pdfium.PdfPage, name: str, number: int) -> tuple[float, float]:
    """The page's size in points; ``PageTooLarge`` beyond PDF's 200-inch limit."""
    width, height = page.get_size()
    if max(width, height) > MAX_PAGE_POINTS + 1:  # a point of slack for rounded boxes
        raise PageTooLarge(
            f"{name}: page {number} is {width:.0f} x {height:.0f} pt, larger than the PDF "
            f"limit of {MAX_PAGE_POINTS:.0f} pt (200 inches) a side",
            file=name,
        )
    return width, height


def render_scale(width: float, height: float, dpi: float) -> float:
    """Pixels per point for a page of ``width`` x ``height`` pt at ``dpi``, reduced so that the
    image stays within ``MAX_RENDER_SIDE`` a side and ``MAX_RENDER_PIXELS`` in all."""
    width, height = max(width, 1.0), max(height, 1.0)
    return min(
        dpi / 72,
        MAX_RENDER_SIDE / max(width, height),
        math.sqrt(MAX_RENDER_PIXELS / (width * height)),
    )


def _read_page(page: pdfium.PdfPage, number: int) -> Page:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        words = _words(textpage, number, height)
    finally:
        textpage.close()
    return Page(number=number, width=width, height=height, words=words, lines=build_lines(words))


def _words(textpage: pdfium.PdfTextPage, number: int, height: float) -> list[Word]:
    n = textpage.count_chars()
    if n <= 0:
        return []
    text = textpage.get_text_range(0, n)
    raw = textpage.raw
    if len(text) != n:  # surrogate pairs shift the indices: read char by char instead
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i) or 32) for i in range(n))
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    # The box's floats (left, top, right, bottom) read through a memoryview, all four in one
    # ``tolist`` call: cheaper than the structure's fields or four subscripts (about 270
    # instructions a character, callgrind), and widened to a float alike.
    box = memoryview(rect).cast("B").cast("f")
    top: float  # typeshed types ``tolist`` as ints: a "f" view's are floats
    bottom: float
    get_box = _LOOSE_CHAR_BOX
    handle = ctypes.cast(raw, ctypes.c_void_p)  # valid while the textpage is open
    separators = _SEPARATORS
    words: list[Word] = []
    # The open word is text[begin:i]: a word's characters are always consecutive in the text.
    # ``size`` (its height) and ``mid`` (twice its centre) are kept as its box grows.
    begin = -1
    x0 = y0 = x1 = y1 = size = mid = 0.0
    for i, ch in enumerate(text):
        if ch in separators or not get_box(handle, i, rect_ref):
            if begin >= 0:
                words.append(Word(text[begin:i], x0, y0, x1, y1, number))
                begin = -1
            continue
        left, top, right, bottom = box.tolist()
        top = height - top
        bottom = height - bottom
        if begin >= 0:
            # A jump in height (centres half a height apart: both doubled, the same test) or a
            # wide gap ends the word even without a space char.
            gap = left - x1
            if abs((top + bottom) - mid) >= size or gap > size * 0.35 or gap < -size:
                words.append(Word(text[begin:i], x0, y0, x1, y1, number))
                begin = -1
            else:
                if right > x1:
                    x1 = right
                if top < y0:
                    y0 = top
                    size, mid = y1 - y0, y0 + y1
                if bottom > y1:
                    y1 = bottom
                    size, mid = y1 - y0, y0 + y1
                continue
        begin = i
        x0, y0, x1, y1 = left, top, right, bottom
        size, mid = y1 - y0, y0 + y1
    if begin >= 0:
        words.append(Word(text[begin:], x0, y0, x1, y1, number))
    return words


@_serialised
def page_count(data: bytes, name: str) -> int:
    pdf = open_pdf(data, name)
    try:
        return len(pdf)
    finally:
        pdf.close()


@_serialised
def render_image(
    data: bytes, name: str, number: int, dpi: int = 150, *, grayscale: bool = False
) -> Image.Image:
    """One page (1-based) as a Pillow image at ``dpi``, or less for a page too large to render at
    it (``render_scale``): ``info["dpi"]`` says the resolution rendered."""
    pdf = open_pdf(data, name)
    try:
        if not 1 <= number <= len(pdf):
            raise EmptyFile(f"{name}: no page {number}", file=name)
        check_page_content(data, name, [number])
        page = pdf[number - 1]
        try:
            scale = render_scale(*check_page_size(page, name, number), dpi)
            image: Image.Image = page.render(scale=scale, grayscale=grayscale).to_pil()
        finally:
            page.close()
        image.info["dpi"] = (scale * 72, scale * 72)
        return image
    finally:
        pdf.close()


def render_page(data: bytes, name: str, number: int, dpi: int = 150) -> bytes:
    """One page (1-based) as PNG bytes at ``dpi`` (capped as ``render_image`` says)."""
    buffer = io.BytesIO()
    render_image(data, name, number, dpi).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


@_serialised
def image_cover(data: bytes, name: str, numbers: list[int]) -> dict[int, float]:
    """For pages ``numbers`` (1-based), the share of the page that its largest image covers
    (a scanned page is one image the size of the page)."""
    pdf = open_pdf(data, name)
    try:
        cover: dict[int, float] = {}
        for number in numbers:
            page = pdf[number - 1]
            try:
                width, height = page.get_size()
                largest = 0.0
                for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
                    left, bottom, right, top = obj.get_pos()
                    w = min(right, width) - max(left, 0.0)
                    h = min(top, height) - max(bottom, 0.0)
                    largest = max(largest, max(w, 0.0) * max(h, 0.0))
                cover[number] = largest / max(width * height, 1.0)
            finally:
                page.close()
        return cover
    finally:
        pdf.close()


def read_pdf_file(path: Path, *, max_pages: int) -> Document:
    return read_pdf(path.read_bytes(), path.name, max_pages=max_pages)
