"""OCR: scans and photos read into words with boxes, and the extractor finding the same fields.

Page images are made here: an invoice PDF (``make_pdf``) rendered with PDFium, then turned,
skewed, cut short or saved as PNG, JPEG, TIFF or WebP with Pillow. Tests that OCR need an
installed engine (Debian's tesseract-ocr, or rapidocr-onnxruntime) and are skipped, saying so,
where neither is; the clean-up, repair, parsing and page-choice rules are tested without one.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from fpdf import FPDF
from PIL import Image

from conftest import MakePdf
from invoice_extractor import pipeline
from invoice_extractor.errors import CorruptFile, NoTextLayer
from invoice_extractor.ingest.document import Document, DocumentKind, Page, Word
from invoice_extractor.ingest.image import NoOcrEngine, image_format, read_image, scan_dpi
from invoice_extractor.ingest.layout import build_lines
from invoice_extractor.ingest.loader import load_bytes, sniff_kind
from invoice_extractor.ingest.ocr import cleanup, registry
from invoice_extractor.ingest.ocr.auto import PageKindRouter, is_slip
from invoice_extractor.ingest.ocr.base import OcrWord
from invoice_extractor.ingest.ocr.page import ocr_page
from invoice_extractor.ingest.ocr.rapid import split_line
from invoice_extractor.ingest.ocr.repair import em_band, repair_lines, snap_rows
from invoice_extractor.ingest.ocr.scanned import garbage_share, pages_to_ocr
from invoice_extractor.ingest.ocr.tesseract import parse_tsv
from invoice_extractor.ingest.pdf import render_image
from invoice_extractor.model import Invoice
from invoice_extractor.settings import Settings

ENGINE = registry.resolve()
needs_ocr = pytest.mark.skipif(
    ENGINE is None,
    reason="no OCR engine installed (apt-get install tesseract-ocr, or pip install "
    "rapidocr-onnxruntime): see docs/ocr.md",
)
LIMITS = {"max_pages": 20, "max_bytes": 50 * 1024 * 1024}
DPI = 200

INVOICE = [
    (50, 70, "ACME Trading Ltd", 20),
    (50, 95, "12 High Street, London", 12),
    (330, 150, "Invoice No: INV-2024-0815", 12),
    (330, 168, "Invoice Date: 15/03/2024", 12),
    (50, 240, "Description", 12),
    (330, 240, "Qty", 12),
    (460, 240, "Amount", 12),
    (50, 260, "Consulting services", 12),
    (330, 260, "2", 12),
    (460, 260, "100.00", 12),
    (330, 320, "Subtotal", 12),
    (460, 320, "100.00", 12),
    (330, 338, "VAT 20%", 12),
    (460, 338, "20.00", 12),
    (330, 356, "Total GBP", 12),
    (460, 356, "120.00", 12),
]


def invoice_pdf(make_pdf: MakePdf) -> bytes:
    return make_pdf([INVOICE], "invoice.pdf").read_bytes()


def invoice_scan(make_pdf: MakePdf) -> Image.Image:
    """The invoice page as a 200 dpi greyscale scan."""
    return render_image(invoice_pdf(make_pdf), "invoice.pdf", 1, DPI, grayscale=True)


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, dpi=(DPI, DPI), **params)
    return buffer.getvalue()


def extract(data: bytes, name: str) -> list[Invoice]:
    document = load_bytes(data, name, **LIMITS)
    return pipeline.extract_document(document, settings=Settings())


def assert_invoice_fields(invoice: Invoice) -> None:
    assert invoice.invoice_number == "INV-2024-0815"
    assert invoice.issue_date == date(2024, 3, 15)
    assert invoice.total == Decimal("120.00")
    assert invoice.seller.name is not None and "ACME" in invoice.seller.name


def test_the_invoice_text_layer_gives_the_expected_fields(make_pdf: MakePdf) -> None:
    """The reference: what the same page gives from its text layer."""
    [invoice] = extract(invoice_pdf(make_pdf), "invoice.pdf")
    assert_invoice_fields(invoice)


# --- images through OCR -----------------------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize(("fmt", "params"), [("PNG", {}), ("JPEG", {"quality": 85}), ("WEBP", {})])
def test_a_scanned_invoice_image_gives_its_fields(
    make_pdf: MakePdf, fmt: str, params: dict[str, object]
) -> None:
    data = encode(invoice_scan(make_pdf), fmt, **params)
    assert sniff_kind(data) == "image"
    document = load_bytes(data, f"scan.{fmt.lower()}", **LIMITS)
    assert document.kind is DocumentKind.IMAGE and document.pages[0].source == "ocr"
    page = document.pages[0]
    # Pixels at 200 dpi come back as PDF points: the page is A4 again.
    assert page.width == pytest.approx(595, abs=3) and page.height == pytest.approx(842, abs=3)
    [invoice] = pipeline.extract_document(document, settings=Settings())
    assert_invoice_fields(invoice)
    box = invoice.evidence["total"].bbox  # "120.00" ends where the PDF printed it
    assert (box[2], box[1]) == (pytest.approx(493, abs=12), pytest.approx(347, abs=12))


@needs_ocr
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_rotated_scan_is_turned_upright(make_pdf: MakePdf, turn: int) -> None:
    image = invoice_scan(make_pdf).rotate(turn, expand=True)
    [invoice] = extract(encode(image), f"rotated-{turn}.png")
    assert_invoice_fields(invoice)


@needs_ocr
@pytest.mark.parametrize("degrees", [-4.0, 3.0])
def test_a_skewed_scan_is_straightened(make_pdf: MakePdf, degrees: float) -> None:
    image = invoice_scan(make_pdf).rotate(degrees, expand=True, fillcolor=255)
    assert abs(cleanup.skew_angle(image) - degrees) < 0.5
    [invoice] = extract(encode(image), "skewed.png")
    assert_invoice_fields(invoice)


@needs_ocr
def test_a_multi_page_tiff_is_one_page_per_frame(make_pdf: MakePdf) -> None:
    first = invoice_scan(make_pdf)
    blank = Image.new("L", first.size, 255)
    data = encode(first, "TIFF", save_all=True, append_images=[blank], compression="tiff_deflate")
    assert image_format(data) == "TIFF"
    document = load_bytes(data, "scan.tiff", **LIMITS)
    assert [p.number for p in document.pages] == [1, 2]
    assert document.pages[0].words and not document.pages[1].words
    [invoice] = pipeline.extract_document(document, settings=Settings())
    assert_invoice_fields(invoice)


@needs_ocr
def test_a_blank_image_fails_with_a_clear_reason(tmp_path: object) -> None:
    data = encode(Image.new("L", (1654, 2339), 255))
    with pytest.raises(NoTextLayer, match="no text found in the image"):
        load_bytes(data, "blank.png", **LIMITS)
    [failed] = pipeline.extract_bytes(data, "blank.png")
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.startswith("blank.png: no text found")


# --- PDFs: scanned pages, mixed documents -----------------------------------------------------


def _image_page_pdf(image: Image.Image, *, text_first: bool) -> bytes:
    """A PDF with the invoice as a page-size image, after a text page when ``text_first``."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    if text_first:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.text(50, 60, "Cover letter: please find our invoice attached.")
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=595.28, h=841.89)
    return bytes(pdf.output())


@needs_ocr
def test_a_mixed_pdf_keeps_its_text_page_and_reads_its_scanned_page(make_pdf: MakePdf) -> None:
    data = _image_page_pdf(invoice_scan(make_pdf), text_first=True)
    document = load_bytes(data, "mixed.pdf", **LIMITS)
    text_page, scanned = document.pages
    assert text_page.source == "text" and scanned.source == "ocr"
    assert text_page.text == "Cover letter: please find our invoice attached."
    assert "INV-2024-0815" in scanned.text
    invoices = pipeline.extract_document(document, settings=Settings())
    assert any(inv.invoice_number == "INV-2024-0815" for inv in invoices)
    [invoice] = [inv for inv in invoices if 2 in inv.pages]
    assert invoice.total == Decimal("120.00")


@needs_ocr
def test_a_blank_page_in_a_pdf_stays_empty_and_the_text_page_is_read(make_pdf: MakePdf) -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()  # blank
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for x, y, text, size in INVOICE:
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y, text)
    document = load_bytes(bytes(pdf.output()), "blank-first.pdf", **LIMITS)
    blank, page = document.pages
    assert blank.words == [] and page.source == "text"
    [invoice] = pipeline.extract_document(document, settings=Settings())
    assert_invoice_fields(invoice)


def test_a_good_text_layer_is_never_sent_to_ocr(make_pdf: MakePdf) -> None:
    data = invoice_pdf(make_pdf)
    document = load_bytes(data, "invoice.pdf", **LIMITS)
    assert pages_to_ocr(document, data) == []
    assert document.pages[0].source == "text"


def test_a_garbage_text_layer_is_sent_to_ocr() -> None:
    words = [Word("\ue001\ue002\ue003", 10, 10, 40, 20), Word("\x01\x02", 50, 10, 70, 20)]
    page = Page(1, 595, 842, words, build_lines(words))
    document = Document("garbage.pdf", DocumentKind.PDF, [page])
    assert garbage_share(page) == 1.0
    assert pages_to_ocr(document, b"") == [1]


# --- bad images -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_a_truncated_image_is_a_corrupt_file(make_pdf: MakePdf, fmt: str) -> None:
    data = encode(invoice_scan(make_pdf), fmt)
    cut = data[: len(data) // 3]
    if ENGINE is None:
        with pytest.raises(NoOcrEngine):
            load_bytes(cut, f"cut.{fmt.lower()}", **LIMITS)
        return
    with pytest.raises(CorruptFile, match="the image is damaged and cannot be read"):
        load_bytes(cut, f"cut.{fmt.lower()}", **LIMITS)
    [failed] = pipeline.extract_bytes(cut, f"cut.{fmt.lower()}")
    assert failed.status == "failed" and failed.error is not None
    assert "the image is damaged" in failed.error


def test_an_image_signature_without_an_image_is_rejected() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert sniff_kind(data) is None  # an upload like this is refused at once
    with pytest.raises(CorruptFile, match="the image is damaged"):
        load_bytes(data, "photo.png", **LIMITS)


def test_an_image_without_an_engine_says_what_to_install(make_pdf: MakePdf) -> None:
    data = encode(invoice_scan(make_pdf))
    with pytest.raises(NoOcrEngine, match="no OCR engine is installed"):
        read_image(data, "scan.png", max_pages=5, engine=None)


# --- rules without an engine ------------------------------------------------------------------


def test_scan_resolution_is_trusted_only_when_plausible() -> None:
    def dpi(value: object) -> tuple[float, float]:
        image = Image.new("L", (10, 10))
        if value is not None:
            image.info["dpi"] = value
        return scan_dpi(image)

    assert dpi((300, 300)) == (300.0, 300.0)
    assert dpi((204, 98)) == (204.0, 98.0)  # a fax: fine horizontally, coarse vertically
    assert dpi((72, 72)) == dpi((96, 96)) == dpi(None) == dpi((1, 1)) == (200.0, 200.0)


def test_sideways_and_upright_pages_are_told_apart(make_pdf: MakePdf) -> None:
    scan = invoice_scan(make_pdf)
    assert cleanup.is_sideways(scan) is False
    assert cleanup.is_sideways(scan.rotate(90, expand=True)) is True
    assert cleanup.is_sideways(Image.new("L", (400, 600), 255)) is None  # blank: no opinion


def test_faded_pages_are_stretched_and_clear_ones_left_alone(make_pdf: MakePdf) -> None:
    scan = invoice_scan(make_pdf)
    assert cleanup.stretch_contrast(scan) is scan
    faded = scan.point(lambda v: 110 + v * 100 // 255)  # ink 110, paper 210
    stretched = cleanup.stretch_contrast(faded)
    assert stretched.getextrema()[0] < 30 and stretched.getextrema()[1] > 240


def test_split_decimals_are_joined_and_glued_date_times_split() -> None:
    words = [
        Word("TOTAL", 10, 10, 40, 20),
        Word("RM", 50, 10, 62, 20),
        Word("64.", 66, 10, 80, 20),
        Word("15", 82, 10, 92, 20),
        Word("22/12/201714:03", 120, 10, 200, 20),
    ]
    texts = [w.text for line in repair_lines(build_lines(words)) for w in line.words]
    assert texts == ["TOTAL", "RM", "64.15", "22/12/2017", "14:03"]


def test_a_date_printed_spaced_out_is_joined() -> None:
    pieces = ["Date:", "1", "4", "/", "03", "/2018"]
    words = [Word(text, 10 + 12 * k, 10, 18 + 12 * k, 20) for k, text in enumerate(pieces)]
    texts = [w.text for line in repair_lines(build_lines(words)) for w in line.words]
    assert texts == ["Date:", "14/03/2018"]


def test_a_value_printed_lower_than_its_bold_label_joins_its_row() -> None:
    label = Word("TOTAL", 10, 100, 60, 118)  # tall bold label
    value = Word("32.70", 200, 112, 240, 121)  # smaller value, lower on a curved slip
    below = Word("CASH", 10, 124, 40, 133)
    lines = snap_rows([label, value, below])
    assert [line.text for line in lines] == ["TOTAL 32.70", "CASH"]


def test_stacked_rows_of_a_slanted_letterhead_stay_apart() -> None:
    # The second line of a curved letterhead starts under the first and overlaps its band by
    # more than half; the words of one row share a centre line, these do not.
    first = [Word("AIK", 42, 110, 80, 132), Word("HARDWARE", 136, 110, 220, 132)]
    second = [Word("ENTERPRISE", 43, 117, 150, 144), Word("(SETIA", 158, 117, 200, 144)]
    lines = snap_rows([*first, *second])
    assert [line.text for line in lines] == ["AIK HARDWARE", "ENTERPRISE (SETIA"]
    # Neighbours on one row whose padded boxes overlap widely still share it.
    bold = [Word("Handelsrechnung", 176, 447, 403, 468), Word("(380)", 350, 447, 407, 468)]
    assert [line.text for line in snap_rows(bold)] == ["Handelsrechnung (380)"]


def test_ocr_rows_get_the_type_size_a_text_layer_gives() -> None:
    # Capitals alone cover 0.72 of the type size; with descenders 0.93.
    top, bottom = em_band(100.0, 107.2, "LE CLIENT")
    assert bottom - top == pytest.approx(10.0) and bottom == pytest.approx(107.2 + 2.0)
    top, bottom = em_band(100.0, 109.3, "Buyer line 2")
    assert bottom - top == pytest.approx(10.0) and bottom == pytest.approx(109.2)


def test_tesseract_tsv_words_take_their_line_height() -> None:
    tsv = "\n".join(
        [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
            "\tconf\ttext",
            "4\t1\t1\t1\t1\t0\t10\t100\t200\t30\t-1\t",
            "5\t1\t1\t1\t1\t1\t10\t105\t60\t20\t96.5\tTotal",
            "5\t1\t1\t1\t1\t2\t90\t112\t5\t6\t90\t.",
            "5\t1\t1\t1\t1\t3\t100\t100\t80\t28\t-1\t ",
        ]
    )
    assert parse_tsv(tsv) == [
        OcrWord("Total", 10, 100, 70, 130, 0.965),
        OcrWord(".", 90, 100, 95, 130, 0.9),
    ]


class _Fake:
    def __init__(self, name: str, installed: bool) -> None:
        self.name = name
        self.installed = installed
        self.min_text_height = 0.0

    def available(self) -> bool:
        return self.installed

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        return []


@contextlib.contextmanager
def fake_engines(tesseract: bool, rapidocr: bool) -> Iterator[None]:
    """The registry with fake built-in engines, installed or not; restored afterwards."""
    try:
        registry.reset()
        registry.load()
        registry.register("tesseract", lambda: _Fake("tesseract", tesseract))
        registry.register("rapidocr", lambda: _Fake("rapidocr", rapidocr))
        yield
    finally:
        registry.reset()


def test_the_engine_asked_for_falls_back_to_an_installed_one() -> None:
    with fake_engines(tesseract=False, rapidocr=True):
        chosen = registry.resolve("tesseract")
        assert chosen is not None and chosen.name == "rapidocr"
        assert registry.resolve("none") is None
        with pytest.raises(registry.UnknownOcrEngine, match="valid: auto, rapidocr"):
            registry.resolve("abbyy")
        registry.register("rapidocr", lambda: _Fake("rapidocr", False))
        assert registry.resolve("auto") is None


# --- choosing the engine per page -------------------------------------------------------------


def _text_bars(width: int, line_height: int, lines: int = 20) -> Image.Image:
    """A page of ``lines`` text lines drawn as ink bars ``width`` pixels wide (a stand-in for
    printed rows: the layout measure sees rows of ink and the gaps between them)."""
    image = Image.new("L", (width + 40, lines * line_height * 2 + 40), 255)
    for k in range(lines):
        top = 20 + 2 * k * line_height
        # Words: bars broken by gaps, so the rows look like text, not rules.
        for x in range(20, 20 + width, 60):
            image.paste(0, (x, top, min(x + 50, 20 + width), top + line_height))
    return image


def test_a_narrow_slip_and_a_typed_page_are_told_apart() -> None:
    slip = _text_bars(width=600, line_height=20)  # 30 line heights wide: a till slip
    page = _text_bars(width=1400, line_height=18)  # 78 line heights: a typed A4 page
    slip_width = cleanup.width_in_text_lines(slip)
    page_width = cleanup.width_in_text_lines(page)
    assert slip_width is not None and 25 < slip_width < 40
    assert page_width is not None and page_width > 70
    assert cleanup.width_in_text_lines(Image.new("L", (500, 800), 255)) is None  # blank


def test_auto_routes_slips_and_pages_to_their_engines() -> None:
    slips, pages = _Fake("rapidocr", True), _Fake("tesseract", True)
    router = PageKindRouter(slips=slips, pages=pages)
    slip = _text_bars(width=600, line_height=20)
    assert router.engine_for(is_slip(slip, None)) is slips
    assert router.engine_for(is_slip(slip, 300.0)) is slips  # 54 mm wide at 300 dpi
    # The same shape 200 mm wide is a typed page in large type, not a slip.
    assert router.engine_for(is_slip(slip, 80.0)) is pages
    assert router.engine_for(is_slip(_text_bars(width=1400, line_height=18), None)) is pages
    with fake_engines(tesseract=True, rapidocr=True):
        chosen = registry.resolve("auto")
        assert isinstance(chosen, PageKindRouter)
        assert (chosen.slips.name, chosen.pages.name) == ("rapidocr", "tesseract")
        assert registry.resolve(None) is not None and registry.resolve("tesseract") is not chosen
        registry.register("rapidocr", lambda: _Fake("rapidocr", False))
        only = registry.resolve("auto")
        assert only is not None and only.name == "tesseract"


class _Counting(_Fake):
    def __init__(self, name: str) -> None:
        super().__init__(name, True)
        self.images = 0

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        self.images += 1
        return [OcrWord("TOTAL", 10, 10, 60, 30, 0.99)] * 20


def test_each_page_is_read_by_the_engine_chosen_for_it() -> None:
    slips, pages = _Counting("rapidocr"), _Counting("tesseract")
    router = PageKindRouter(slips=slips, pages=pages)
    page = ocr_page(_text_bars(width=600, line_height=20), 1, (200.0, 200.0), router)
    assert page.ocr_engine == "rapidocr" and slips.images >= 1 and pages.images == 0
    page = ocr_page(_text_bars(width=1400, line_height=18), 2, (200.0, 200.0), router)
    assert page.ocr_engine == "tesseract" and pages.images >= 1


# --- rapidocr's words -------------------------------------------------------------------------


def _line_image(
    groups: list[list[int]], letter: int = 14
) -> tuple[Image.Image, list[list[list[int]]]]:
    """A line of letters drawn as bars: ``groups`` lists the blank before each letter."""
    image = Image.new("L", (40 + sum(letter + g for grp in groups for g in grp), 60), 255)
    boxes = []
    x = 20
    for group in groups:
        for blank in group:
            x += blank
            image.paste(0, (x, 20, x + letter, 40))
            boxes.append([[x, 20], [x + letter, 20], [x + letter, 40], [x, 40]])
            x += letter
    return image, boxes


def test_rapidocr_lines_are_cut_into_words_at_blank_gaps() -> None:
    # "TOTALSALES" as the recogniser gives it, with a word gap in the pixels.
    image, boxes = _line_image([[0, 4, 4, 4, 4], [16, 4, 4, 4, 4]])
    grey = np.asarray(image, dtype=np.uint8)
    line = [[18, 18], [image.width - 18, 18], [image.width - 18, 42], [18, 42]]
    words = split_line(grey, line, "TOTALSALES", 0.9, boxes, [0.9] * 10)
    assert [w.text for w in words] == ["TOTAL", "SALES"]
    # Printed spaced out, every gap is as wide as that one: one word.
    image, boxes = _line_image([[0, 16, 16, 16, 16]])
    grey = np.asarray(image, dtype=np.uint8)
    line = [[18, 18], [image.width - 18, 18], [image.width - 18, 42], [18, 42]]
    words = split_line(grey, line, "DATE:", 0.9, boxes, [0.9] * 5)
    assert [w.text for w in words] == ["DATE:"]


def test_a_slip_is_cropped_to_its_bulk_and_a_page_keeps_its_line_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page's crop keeps ink that continues a line past the rest (a footer's IBAN); a slip's
    does not: past a photographed slip lie the desk's edges, which cost merchant names."""
    used: list[bool] = []
    measure = cleanup.content_box

    def recording(image: Image.Image, line_ends: bool = True) -> tuple[int, int, int, int] | None:
        used.append(line_ends)
        return measure(image, line_ends)

    monkeypatch.setattr(cleanup, "content_box", recording)
    router = PageKindRouter(slips=_Counting("rapidocr"), pages=_Counting("tesseract"))
    ocr_page(_text_bars(width=600, line_height=20), 1, (200.0, 200.0), router)
    assert used[0] is False and used[1:] and not any(used[1:])  # shape measured, then reads
    used.clear()
    ocr_page(_text_bars(width=1400, line_height=18), 2, (200.0, 200.0), router)
    assert used[0] is False and used[1:] and all(used[1:])
