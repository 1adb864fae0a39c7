"""The LLM backends get the pages as images: PDF pages rendered, image frames converted."""

from __future__ import annotations

import io
import shutil
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw

from invoice_extractor.extract.llm.prompt import page_images
from invoice_extractor.ingest.document import Document, DocumentKind
from invoice_extractor.ingest.loader import load_bytes

if TYPE_CHECKING:
    from conftest import MakePdf

PNG = b"\x89PNG\r\n\x1a\n"


def test_pdf_pages_are_rendered(make_pdf: MakePdf) -> None:
    path = make_pdf([["Invoice No: A-1", "Total 10.00 EUR"], ["Page two"]], "two.pdf")
    document = load_bytes(path.read_bytes(), path.name, max_pages=10, max_bytes=10**7)
    images = page_images(document, [1, 2], dpi=72)
    assert len(images) == 2 and all(image.startswith(PNG) for image in images)
    first = Image.open(io.BytesIO(images[0]))
    assert abs(first.width - document.pages[0].width) <= 1  # 72 dpi: one pixel per point


def test_image_frames_are_converted() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (an image is read through OCR)")
    picture = Image.new("RGB", (800, 400), "white")
    ImageDraw.Draw(picture).text((40, 40), "Invoice No: B-2", fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", dpi=(200, 200))
    document = load_bytes(buffer.getvalue(), "photo.png", max_pages=10, max_bytes=10**7)
    [image] = page_images(document, [1], dpi=100)
    assert image.startswith(PNG)
    assert Image.open(io.BytesIO(image)).size == (400, 200)  # 200 dpi scan shown at 100 dpi


def test_no_images_without_the_original_bytes() -> None:
    xml = Document(name="x.xml", kind=DocumentKind.XML, attachments={"x.xml": b"<a/>"})
    assert page_images(xml, [], dpi=72) == []
    bare = Document(name="y.pdf", kind=DocumentKind.PDF)
    assert page_images(bare, [1], dpi=72) == []
