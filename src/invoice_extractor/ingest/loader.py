"""Any input file to a ``Document``: sniff the real type from the bytes, never from the name."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorruptFile, EmptyFile, FileTooLarge, InputError, UnsupportedInput
from .document import Document, DocumentKind
from .ocr.scanned import ocr_scanned_pages
from .pdf import is_pdf, read_pdf

_MB = 1024 * 1024  # limits are set in MB of 2**20 bytes, and reported in the same unit


def display_name(name: str) -> str:
    """A file name safe to show and store: the last path part, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    clean = "".join(c if c.isprintable() else "_" for c in base).strip()
    return clean[:255] or "unnamed"


_XML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:\?xml|[A-Za-z_])")


def is_xml(data: bytes) -> bool:
    return _XML_START.match(data[:256]) is not None


def sniff_kind(data: bytes) -> str | None:
    """What the bytes are, whatever the file is called: "pdf", "xml", "image" (PNG, JPEG, TIFF,
    WebP with a readable header), or None if unsupported."""
    if is_pdf(data):
        return "pdf"
    if is_xml(data):
        return "xml"
    # Pillow and the OCR stack are loaded only for a file that is neither PDF nor XML.
    from .image import is_image

    if is_image(data):
        return "image"
    return None


def load_bytes(
    data: bytes, name: str, *, max_pages: int, max_bytes: int, ocr_engine: str | None = None
) -> Document:
    """The file's pages as words with boxes: a PDF's text layer, or OCR for images and for PDF
    pages without a usable text layer (``ocr_engine``: a registry name, None for the default)."""
    name = display_name(name)
    if not data:
        raise EmptyFile(f"{name}: the file is empty", file=name)
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"{name}: {len(data) / _MB:.1f} MB, more than the limit of {max_bytes / _MB:.0f} MB",
            file=name,
        )
    kind = sniff_kind(data)
    if kind == "pdf":
        document = read_pdf(data, name, max_pages=max_pages)
        document = ocr_scanned_pages(document, data, ocr_engine)
    elif kind == "xml":
        # An e-invoice XML file: no pages, the XML itself is the document's attachment.
        document = Document(name=name, kind=DocumentKind.XML, attachments={name: data})
    else:
        document = _read_image(data, name, kind, max_pages=max_pages, ocr_engine=ocr_engine)
    document.data = data
    return document


def _read_image(
    data: bytes, name: str, kind: str | None, *, max_pages: int, ocr_engine: str | None
) -> Document:
    """An image file read by OCR; anything else that is not a PDF or XML is refused."""
    from .image import image_format, read_image

    if kind == "image":
        from .ocr import registry

        engine = registry.resolve(ocr_engine)
        return read_image(data, name, max_pages=max_pages, engine=engine)
    if image_format(data) is not None:
        raise CorruptFile(f"{name}: the image is damaged and cannot be read", file=name)
    raise UnsupportedInput(f"{name}: not a PDF, XML or image (unsupported file type)", file=name)


def load_file(
    path: Path, *, max_pages: int, max_bytes: int, ocr_engine: str | None = None
) -> Document:
    name = display_name(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})", file=name) from exc
    if size > max_bytes:  # refuse before reading a huge file into memory
        raise FileTooLarge(
            f"{name}: {size / _MB:.1f} MB, more than the limit of {max_bytes / _MB:.0f} MB",
            file=name,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror})", file=name) from exc
    return load_bytes(data, name, max_pages=max_pages, max_bytes=max_bytes, ocr_engine=ocr_engine)
