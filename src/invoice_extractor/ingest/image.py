"""Images (PNG, JPEG, TIFF with one or more pages, WebP) to a ``Document`` of OCR'd pages.

The format is sniffed from the bytes, never from the name. Each frame is one page, laid upright by
its EXIF orientation, and read at the resolution the file states when that is plausible for a
scan, else as if scanned at ``DEFAULT_DPI`` (photos carry 72 or 96, or nothing).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, UnidentifiedImageError

from ..errors import ConfigurationError, CorruptFile, FileTooLarge, NoTextLayer, TooManyPages
from .document import Document, DocumentKind
from .ocr.base import OcrEngine
from .ocr.page import DEFAULT_DPI, DEFAULT_OPTIONS, MAX_SIDE, Options, ocr_page, prepare
from .pdf import render_scale

FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "TIFF": "TIFF", "WEBP": "WebP"}
SCREEN_DPI = frozenset({72.0, 96.0})  # what editors and cameras write when they know nothing
MIN_DPI, MAX_DPI = 60.0, 1200.0
# Most pixels decoded from one frame: an A4 page scanned at 600 dpi is 35 megapixels. Larger
# frames are refused before decoding; large ones are reduced right after it (OCR reads at most
# ``MAX_SIDE`` a side), so a frame costs its decoded size once, not once per copy.
MAX_IMAGE_PIXELS = 64_000_000


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
    except Image.DecompressionBombError:
        return True  # an image, too large: ``read_image`` says so
    except (OSError, SyntaxError, ValueError):
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


def _too_many_pixels(name: str, size: tuple[int, int] | None = None) -> FileTooLarge:
    shown = f" ({size[0]} x {size[1]})" if size else ""
    return FileTooLarge(
        f"{name}: the image has too many pixels{shown}, more than the limit of "
        f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels",
        file=name,
    )


_EXIF_ORIENTATION = 0x0112
_ORIENTATIONS = {  # EXIF orientation -> the turn that lays the picture upright (as Pillow's)
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _reduced(image: Image.Image) -> tuple[Image.Image, int]:
    """A frame much larger than OCR reads, reduced by a whole factor (a cheap box filter)."""
    factor = max(image.size) // MAX_SIDE
    return (image.reduce(factor), factor) if factor >= 2 else (image, 1)


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
        raise _too_many_pixels(name) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged(name, exc) from exc
    with image:
        for index in range(count):
            try:
                image.seek(index)
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(name, image.size)
                image.load()
                dpi = stated_dpi(image)
                frame, factor = _reduced(image)
                if dpi is not None:
                    dpi = (dpi[0] / factor, dpi[1] / factor)
                turn = _ORIENTATIONS.get(image.getexif().get(_EXIF_ORIENTATION, 1))
                upright = frame.transpose(turn) if turn is not None else frame
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
    that PDF points map to pixels as for a rendered PDF page (points x dpi / 72, within the same
    pixel caps). A photographed page is shown as OCR read it: cut out and warped flat
    (``ocr.page.prepare``), so the words' boxes fall on it; a page OCR turned or deskewed is
    turned alike by the review's page store (``store.pages``), which keeps each page's turn."""
    for index, (frame, stated) in enumerate(_frames(data, name, max_pages=10_000), 1):
        if index == number:
            frame, (dpi_x, dpi_y), _ = prepare(frame, stated or (DEFAULT_DPI, DEFAULT_DPI))
            width_pt, height_pt = frame.width * 72 / dpi_x, frame.height * 72 / dpi_y
            scale = render_scale(width_pt, height_pt, dpi)  # capped as a PDF page's render
            size = (max(1, round(width_pt * scale)), max(1, round(height_pt * scale)))
            buffer = io.BytesIO()
            frame.resize(size).save(buffer, format="PNG")
            return buffer.getvalue()
    raise CorruptFile(f"{name}: no page {number}", file=name)


def frame_count(data: bytes, name: str) -> int:
    return sum(1 for _ in _frames(data, name, max_pages=10_000))
