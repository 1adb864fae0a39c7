"""OCR of photos and of pages in other languages: the page found in a photo and warped flat,
uneven light divided out, the language packs a page needs, per-word confidences, and bounded
memory for huge or damaged images.

Every image is made here: an invoice PDF (``make_pdf``) rendered with PDFium, then laid on a dark
surface in perspective, shaded, or cut short with Pillow and numpy.
"""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import MakePdf
from helpers_bombs import blank_png
from invoice_extractor import pipeline
from invoice_extractor.errors import CorruptFile, FileTooLarge
from invoice_extractor.ingest.document import Word
from invoice_extractor.ingest.image import frame_png
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.ingest.ocr import languages, photo
from invoice_extractor.ingest.ocr.base import OcrWord
from invoice_extractor.ingest.ocr.page import ocr_page
from invoice_extractor.ingest.ocr.repair import repair_lines, snap_rows
from invoice_extractor.ingest.ocr.tesseract import TesseractEngine, installed_languages
from invoice_extractor.ingest.pdf import render_image
from invoice_extractor.settings import Settings
from test_ocr import DPI, LIMITS, assert_invoice_fields, encode, extract, invoice_scan, needs_ocr


class _Reader:
    """An engine that reads fixed words (in pixels of the image it is given)."""

    name = "fixed"
    min_text_height = 0.0

    def __init__(self, words: list[OcrWord]) -> None:
        self.words = words

    def available(self) -> bool:
        return True

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        return self.words


def test_each_ocr_word_carries_its_engine_confidence() -> None:
    image = Image.new("L", (800, 400), 255)
    draw = ImageDraw.Draw(image)
    for k in range(6):
        draw.rectangle((40, 40 + 50 * k, 700, 60 + 50 * k), fill=0)  # some ink to measure
    words = [OcrWord("TOTAL", 0, 0, 100, 20, 0.97), OcrWord("12.50", 200, 0, 300, 20, 0.42)]
    page = ocr_page(image, 1, (200.0, 200.0), _Reader(words))
    assert {w.text: w.confidence for w in page.words} == {"TOTAL": 0.97, "12.50": 0.42}


def test_a_text_layer_word_is_certain_and_joined_words_keep_the_lower_confidence() -> None:
    assert Word("x", 0, 0, 1, 1).confidence == 1.0
    pieces = [Word("64.", 66, 10, 80, 20, 1, 0.9), Word("15", 82, 10, 92, 20, 1, 0.6)]
    [line] = repair_lines(snap_rows(pieces))
    assert [(w.text, w.confidence) for w in line.words] == [("64.15", 0.6)]


# --- photos -----------------------------------------------------------------------------------


def photographed(scan: Image.Image, corners: list[tuple[float, float]]) -> Image.Image:
    """``scan`` laid on a dark desk in a 2400 x 3200 photo, its corners at ``corners``
    (top-left, top-right, bottom-right, bottom-left), lit from one side."""
    frame = (2400, 3200)
    source = [(0.0, 0.0), (scan.width, 0.0), (scan.width, scan.height), (0.0, scan.height)]
    coefficients = tuple(photo.homography(np.array(corners), np.array(source)))
    paper = scan.convert("L").transform(
        frame, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    mask = Image.new("L", scan.size, 255).transform(
        frame, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    desk = Image.new("L", frame, 70)
    return shaded(Image.composite(paper, desk, mask), darkest=0.6)


def shaded(image: Image.Image, darkest: float) -> Image.Image:
    """``image`` lit from the left: the light falls to ``darkest`` at its right edge."""
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    light = np.linspace(1.0, darkest, pixels.shape[1], dtype=np.float32)
    return Image.fromarray((pixels * light[None, :]).astype(np.uint8), mode="L")


TILTED = [(430.0, 420.0), (1950.0, 520.0), (2080.0, 2850.0), (260.0, 2760.0)]


def test_the_page_of_a_photo_is_found_and_warped_flat(make_pdf: MakePdf) -> None:
    picture = photographed(invoice_scan(make_pdf), TILTED)
    corners = photo.find_page(picture)
    assert corners is not None
    assert np.abs(corners - np.array(TILTED)).max() < 0.015 * max(picture.size)
    flat = photo.warp_page(picture, corners)
    assert flat.width / flat.height == pytest.approx(595 / 842, abs=0.03)
    # A scan (paper to its edges) is left as it is.
    scan = invoice_scan(make_pdf)
    assert photo.find_page(scan) is None and photo.flatten_page(scan) is scan


def test_a_page_whose_shaded_side_is_darker_than_the_lit_desk_is_still_found(
    make_pdf: MakePdf,
) -> None:
    picture = photographed(invoice_scan(make_pdf), TILTED)
    dark = shaded(picture, darkest=0.2)  # the paper's right edge darker than the desk at left
    pixels = np.asarray(dark, dtype=np.float32)
    assert pixels[1600, 1950] < pixels[1600, 100]
    corners = photo.find_page(dark)
    assert corners is not None
    assert np.abs(corners - np.array(TILTED)).max() < 0.015 * max(dark.size)


@needs_ocr
def test_a_perspective_photo_gives_its_fields_and_boxes_on_the_flattened_page(
    make_pdf: MakePdf,
) -> None:
    data = encode(photographed(invoice_scan(make_pdf), TILTED).convert("RGB"), "JPEG", quality=70)
    [invoice] = extract(data, "photo.jpg")
    assert_invoice_fields(invoice)
    # The review page shows the page warped flat: the total's box falls on "120.00" there.
    shown = Image.open(io.BytesIO(frame_png(data, "photo.jpg", 1, 72))).convert("L")
    x0, y0, x1, y1 = (round(v) for v in invoice.evidence["total"].bbox)
    ink = np.asarray(shown.crop((x0, y0, x1, y1)))
    assert (ink < 128).mean() > 0.05  # the box holds ink, not paper or desk


def test_uneven_light_is_divided_out_and_even_light_left_alone(make_pdf: MakePdf) -> None:
    scan = invoice_scan(make_pdf)
    assert photo.flatten_light(scan) is scan
    dark = shaded(scan, darkest=0.35)
    flat = np.asarray(photo.flatten_light(dark), dtype=np.float32)
    paper = flat[50:120, 40:-40]  # a band of the top margin, blank paper across the page
    assert paper[:, :100].mean() - paper[:, -100:].mean() < 10


@needs_ocr
def test_a_shadowed_photo_gives_its_fields(make_pdf: MakePdf) -> None:
    data = encode(shaded(invoice_scan(make_pdf), darkest=0.35), "JPEG", quality=70)
    [invoice] = extract(data, "shadow.jpg")
    assert_invoice_fields(invoice)


# --- languages --------------------------------------------------------------------------------


def test_the_language_of_a_page_is_guessed_from_its_words() -> None:
    german = "Rechnung Nr. 42 vom 01.02.2024 Menge Einzelpreis Gesamtbetrag netto MwSt"
    assert languages.guess([german]) == "deu"
    assert languages.guess(["Facture n° 7 du 3 mars Montant TTC TVA"]) == "fra"
    assert languages.guess(["Invoice 42 Total amount due for the services"]) is None
    assert languages.guess(["12.50", "2024"]) is None
    # "de" is Dutch, French and Spanish: a language must lead the next one too.
    assert languages.guess(["Factuur de van het"]) == "nld"
    assert languages.guess(["de de de facture"]) is None
    assert languages.guess(["Rechnung vom DE123456789 info@firma.de Seite 2"]) == "deu"
    assert languages.shows_english(["Invoice total amount due"])
    assert not languages.shows_english(["Invoice de la facture"])


GERMAN = [
    (50, 70, "Müller Bürobedarf GmbH", 20),
    (50, 95, "Hauptstraße 12, 80331 München", 12),
    (330, 150, "Rechnungsnummer: RE-2024-117", 12),
    (330, 168, "Rechnungsdatum: 15.03.2024", 12),
    (50, 240, "Beschreibung", 12),
    (460, 240, "Betrag", 12),
    (50, 260, "Büromöbel und Zubehör", 12),
    (460, 260, "100,00", 12),
    (330, 320, "Nettobetrag", 12),
    (460, 320, "100,00", 12),
    (330, 338, "Umsatzsteuer 19 %", 12),
    (460, 338, "19,00", 12),
    (330, 356, "Gesamtbetrag EUR", 12),
    (460, 356, "119,00", 12),
]


@pytest.mark.skipif(
    not {"eng", "deu"} <= set(installed_languages()),
    reason="needs tesseract with its English and German packs (tesseract-ocr-deu)",
)
def test_a_german_scan_is_read_again_with_the_german_pack(make_pdf: MakePdf) -> None:
    pdf = make_pdf([GERMAN], "rechnung.pdf").read_bytes()
    scan = render_image(pdf, "rechnung.pdf", 1, DPI, grayscale=True)
    words = " ".join(w.text for w in TesseractEngine().recognize(scan))
    assert "Müller" in words and "Bürobedarf" in words and "Zubehör" in words
    [invoice] = pipeline.extract_document(
        load_bytes(encode(scan), "rechnung.png", **LIMITS), settings=Settings()
    )
    assert invoice.invoice_number == "RE-2024-117" and invoice.total == Decimal("119.00")


# --- bounded resources and damaged photos -------------------------------------------------------


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_90_megapixel_photo_is_refused_before_it_is_decoded() -> None:
    data = blank_png(11_000, 8_200, rows=1)  # 90.2 megapixels stated, a few bytes of pixels
    with pytest.raises(
        FileTooLarge,
        match="the image has too many pixels, more than the limit of 64 megapixels",
    ):
        load_bytes(data, "huge.png", **LIMITS)


def test_a_photo_damaged_in_its_middle_fails_with_a_clear_reason(make_pdf: MakePdf) -> None:
    data = bytearray(encode(invoice_scan(make_pdf), "PNG"))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # a block of zeros: the compressed pixels break
    with pytest.raises(CorruptFile, match="the image is damaged and cannot be read"):
        load_bytes(bytes(data), "damaged.png", **LIMITS)
