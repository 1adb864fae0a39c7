"""Images (PNG, JPEG, TIFF with one or more pages, WebP) to a ``Document`` of OCR'd pages.

The format is sniffed from the bytes, never from the name. Each frame is one page, laid upright by
its EXIF orientation, and read at the resolution the file states when that is plausible for a
scan, else as if scanned at ``DEFAULT_DPI`` (photos carry 72 or 96, or nothing).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ConfigurationError, CorruptFile, FileTooLarge, NoTextLayer, TooManyPages
from .document import Document, DocumentKind
from .ocr.base import OcrEngine
from .ocr.page import DEFAULT_DPI, DEFAULT_OPTIONS, Options, ocr_page

FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "TIFF": "TIFF", "WEBP": "WebP"}
SCREEN_DPI = frozenset({72.0, 96.0})  # what editors and cameras write when they know nothing
MIN_DPI, MAX_DPI = 60.0, 1200.0


class NoOcrEngine(ConfigurationError):
    """An image (or a scanned page) needs OCR and no OCR engine is installed."""

    code = "no_ocr_engine"


def image_format(data: bytes) -> str | None:
    """``PNG``, ``JPEG``, ``TIFF`` or ``WEBP`` by the file's signature, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def is_image(data: bytes) -> bool:
    """A supported image whose header can be read (the pixels are checked when read)."""
    if image_format(data) is None:
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format in FORMATS
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def scan_dpi(image: Image.Image) -> tuple[float, float]:
    """The resolution the file states, when it is plausible for a scan; else ``DEFAULT_DPI``."""
    return stated_dpi(image) or (DEFAULT_DPI, DEFAULT_DPI)


def stated_dpi(image: Image.Image) -> tuple[float, float] | None:
    """The resolution the file states, when it is plausible for a scan; else None (cameras and
    screens state 72 or 96 whatever the size of the paper)."""
    raw = image.info.get("dpi")
    try:
        dpi = (float(raw[0]), float(raw[1])) if raw else None
    except (TypeError, ValueError, IndexError):
        dpi = None
    if (
        dpi is None
        or not all(MIN_DPI <= d <= MAX_DPI for d in dpi)
        or (dpi[0] == dpi[1] and dpi[0] in SCREEN_DPI)
    ):
        return None
    return dpi


def _damaged(name: str, exc: BaseException) -> CorruptFile:
    detail = str(exc).strip().rstrip(".") or type(exc).__name__
    return CorruptFile(f"{name}: the image is damaged and cannot be read ({detail})", file=name)


_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


def _frames(
    data: bytes, name: str, max_pages: int
) -> Iterator[tuple[Image.Image, tuple[float, float] | None]]:
    """Each frame decoded and upright, with the resolution it states (None: unknown); decoding
    errors become typed ones
    (OCR runs in the caller, outside this guard, so its own errors keep their type)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise CorruptFile(f"{name}: not a PNG, JPEG, TIFF or WebP image", file=name)
            count = getattr(image, "n_frames", 1)
            if count > max_pages:
                raise TooManyPages(
                    f"{name}: {count} pages, more than the limit of {max_pages}", file=name
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FileTooLarge(f"{name}: the image has too many pixels to read", file=name) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged(name, exc) from exc
    with image:
        for index in range(count):
            try:
                image.seek(index)
                image.load()
                dpi = stated_dpi(image)
                upright = ImageOps.exif_transpose(image)
                frame = upright.convert("RGB" if upright.mode not in {"L", "1"} else "L")
            except _DECODE_ERRORS as exc:
                raise _damaged(name, exc) from exc
            yield frame, dpi


def read_image(
    data: bytes,
    name: str,
    *,
    max_pages: int,
    engine: OcrEngine | None,
    options: Options = DEFAULT_OPTIONS,
) -> Document:
    """Every frame of an image file, read by OCR, as pages of words with boxes."""
    kind = image_format(data)
    label = FORMATS.get(kind or "", "image")
    if engine is None:
        raise NoOcrEngine(
            f"{name}: a {label} image needs OCR, and no OCR engine is installed "
            "(install tesseract-ocr or rapidocr-onnxruntime, see docs/ocr.md)",
            file=name,
        )
    pages = [
        ocr_page(frame, number, dpi, engine, options)
        for number, (frame, dpi) in enumerate(_frames(data, name, max_pages), start=1)
    ]
    if not pages:
        raise CorruptFile(f"{name}: the image has no frames", file=name)
    if not any(page.words for page in pages):
        raise NoTextLayer(
            f"{name}: no text found in the image (a blank or unreadable page)", file=name
        )
    return Document(name=name, kind=DocumentKind.IMAGE, pages=pages)


def frame_png(data: bytes, name: str, number: int, dpi: int) -> bytes:
    """Frame ``number`` (1-based) as PNG at ``dpi``: the picture the review page shows, scaled so
    that PDF points map to pixels as for a rendered PDF page (points x dpi / 72)."""
    for index, (frame, stated) in enumerate(_frames(data, name, max_pages=10_000), 1):
        if index == number:
            dpi_x, dpi_y = stated or (DEFAULT_DPI, DEFAULT_DPI)
            size = (
                max(1, round(frame.width * dpi / dpi_x)),
                max(1, round(frame.height * dpi / dpi_y)),
            )
            buffer = io.BytesIO()
            frame.resize(size).save(buffer, format="PNG")
            return buffer.getvalue()
    raise CorruptFile(f"{name}: no page {number}", file=name)


def frame_count(data: bytes, name: str) -> int:
    return sum(1 for _ in _frames(data, name, max_pages=10_000))
