"""OCR of photos and of pages in other languages: the page found in a photo and warped flat,
uneven light divided out, the language packs a page needs, per-word confidences, and bounded
memory for huge or damaged images.

Every image is made here: an invoice PDF (``make_pdf``) rendered with PDFium, then laid on a dark
surface in perspective, shaded, or cut short with Pillow and numpy.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from invoice_extractor.ingest.document import Word
from invoice_extractor.ingest.ocr.base import OcrWord
from invoice_extractor.ingest.ocr.page import ocr_page
from invoice_extractor.ingest.ocr.repair import repair_lines, snap_rows


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
