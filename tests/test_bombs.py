"""Small files that cost gigabytes (issue 15): each is refused or read within fixed bounds.

The files are built by tests/helpers_bombs.py at sizes just past each limit; the full-size bombs
(and their time and memory) are in benchmarks/bombs.py.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from helpers_bombs import (
    attachment_bomb_pdf,
    blank_png,
    content_bomb_pdf,
    hostile_xml_pdf,
    huge_page_pdf,
)
from invoice_extractor import pipeline
from invoice_extractor.errors import FileTooLarge, PageTooComplex, PageTooLarge
from invoice_extractor.ingest import attachments, image
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.ingest.pdf import (
    MAX_RENDER_PIXELS,
    MAX_RENDER_SIDE,
    read_pdf,
    render_image,
)
from invoice_extractor.ingest.streams import MAX_PAGE_CONTENT_BYTES

_MB = 1024 * 1024


def test_a_page_at_the_pdf_limit_renders_within_the_pixel_caps() -> None:
    data = huge_page_pdf(14400)  # 30000 px a side at 150 dpi without the caps
    picture = render_image(data, "huge.pdf", 1, 150)
    assert max(picture.size) <= MAX_RENDER_SIDE
    assert picture.width * picture.height <= MAX_RENDER_PIXELS
    assert picture.info["dpi"][0] == pytest.approx(picture.width / 200, rel=0.01)


def test_an_ordinary_page_renders_at_the_dpi_asked() -> None:
    picture = render_image(huge_page_pdf(720), "ten-inch.pdf", 1, 150)
    assert picture.size == (1500, 1500) and picture.info["dpi"] == (150, 150)


def test_a_page_beyond_the_pdf_limit_is_refused_with_its_size() -> None:
    data = huge_page_pdf(200_000)
    with pytest.raises(PageTooLarge, match="200000 x 200000 pt"):
        render_image(data, "absurd.pdf", 1, 150)
    [invoice] = pipeline.extract_bytes(data, "absurd.pdf")
    assert invoice.status == "failed" and "larger than the PDF limit" in (invoice.error or "")


def test_a_content_stream_bomb_is_refused_before_pdfium_parses_it() -> None:
    data = content_bomb_pdf(MAX_PAGE_CONTENT_BYTES + _MB)
    assert len(data) < _MB
    with pytest.raises(PageTooComplex, match="page 1"):
        read_pdf(data, "bomb.pdf", max_pages=10)
    with pytest.raises(PageTooComplex):
        render_image(data, "bomb.pdf", 1, 150)


def test_page_content_below_the_limit_is_read() -> None:
    document = read_pdf(content_bomb_pdf(4 * _MB), "busy.pdf", max_pages=10)
    assert document.page_count == 1


@pytest.mark.parametrize("via_af", [False, True], ids=["name-tree", "af"])
def test_an_attachment_bomb_stops_at_the_xml_limit(via_af: bool) -> None:
    data = attachment_bomb_pdf(attachments.MAX_ATTACHMENT_BYTES + _MB, via_af=via_af)
    document = read_pdf(data, "bomb.pdf", max_pages=10)
    assert document.attachments == {}
    assert "decodes to more than 20 MB" in document.refused_attachments["factur-x.xml"]


@pytest.mark.parametrize("via_af", [False, True], ids=["name-tree", "af"])
def test_an_attachment_within_the_limit_is_read(via_af: bool) -> None:
    document = read_pdf(attachment_bomb_pdf(_MB, via_af=via_af), "small.pdf", max_pages=10)
    assert len(document.attachments["factur-x.xml"]) == _MB


def test_an_attachment_declaring_a_huge_size_is_not_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = attachment_bomb_pdf(_MB, via_af=False, declared=2**31)

    def no_decoding(*args: object) -> bytes:
        raise AssertionError("the stream was decoded")

    monkeypatch.setattr(attachments, "read_bounded", no_decoding)
    document = read_pdf(data, "declared.pdf", max_pages=10)
    assert "declares 2147483648 bytes" in document.refused_attachments["factur-x.xml"]


def test_a_refused_attachment_is_a_warning_on_the_invoice_read_from_the_page(pdf: bytes) -> None:
    data = attachment_bomb_pdf(attachments.MAX_ATTACHMENT_BYTES + _MB, via_af=True, base=pdf)
    [invoice] = pipeline.extract_bytes(data, "bomb.pdf")
    assert invoice.invoice_number == "INV-2024-0042"
    [warning] = [w for w in invoice.warnings if w.startswith("EINVOICE_REFUSED: factur-x.xml")]
    assert "decodes to more than 20 MB" in warning and invoice.status == "needs_review"


def test_a_hostile_einvoice_xml_is_a_warning_with_its_reason(pdf: bytes) -> None:
    [invoice] = pipeline.extract_bytes(hostile_xml_pdf(pdf), "xxe.pdf")
    assert invoice.invoice_number == "INV-2024-0042" and invoice.status == "needs_review"
    [warning] = [w for w in invoice.warnings if w.startswith("EINVOICE_REFUSED:")]
    assert "DTDs or entities" in warning and "root:" not in warning


def test_a_30000_px_square_png_is_too_many_pixels_not_an_unknown_type() -> None:
    data = blank_png(30000, 30000, rows=1)
    with pytest.raises(FileTooLarge, match="too many pixels"):
        load_bytes(data, "poster.png", max_pages=10, max_bytes=50 * _MB)


def test_a_png_past_the_decoding_limit_is_refused_before_decoding() -> None:
    side = int(image.MAX_IMAGE_PIXELS**0.5) + 10  # under Pillow's own bomb limit
    data = blank_png(side, side, rows=1)
    with pytest.raises(FileTooLarge, match=rf"too many pixels \({side} x {side}\)"):
        load_bytes(data, "big.png", max_pages=10, max_bytes=50 * _MB)


def test_a_large_frame_is_reduced_before_ocr_with_its_resolution() -> None:
    png = blank_png(9000, 3000)
    [(frame, dpi)] = list(image._frames(png, "wide.png", max_pages=1))
    assert frame.size == (4500, 1500) and dpi is None


def test_the_review_image_of_a_low_dpi_scan_stays_within_the_pixel_caps() -> None:
    buffer = io.BytesIO()
    Image.new("L", (7000, 7000), 255).save(buffer, format="PNG", dpi=(60, 60))
    review = Image.open(io.BytesIO(image.frame_png(buffer.getvalue(), "scan.png", 1, 150)))
    # 17500 px a side uncapped (150 / 60 x 7000)
    assert max(review.size) <= MAX_RENDER_SIDE
    assert review.width * review.height <= MAX_RENDER_PIXELS
