"""Clean-up and repairs that need no OCR engine: the crop to the page's ink, table rules, the
sharpening of photos, and IBANs read with look-alike letters."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from invoice_extractor.ingest.document import Line, Word
from invoice_extractor.ingest.ocr import cleanup
from invoice_extractor.ingest.ocr.base import OcrWord
from invoice_extractor.ingest.ocr.confusions import mend_ibans, mend_vat_ids
from invoice_extractor.ingest.ocr.page import Options, read_image
from invoice_extractor.ingest.ocr.repair import repair_lines


def page_of_lines(width: int = 1654, height: int = 2339, bar: int = 18) -> Image.Image:
    """A 200 dpi A4 page of 40 text-like bars, ending 1200 pixels from the left."""
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for row in range(40):
        draw.rectangle((150, 300 + 45 * row, 1200, 300 + bar + 45 * row), fill=0)
    return page


def test_a_line_reaching_past_the_others_is_kept_whole_in_the_crop() -> None:
    page = page_of_lines()
    draw = ImageDraw.Draw(page)
    # A footer's last column: one short line whose end stands far right of everything else
    # (too few ink pixels for the percentiles), drawn as characters with small gaps.
    for k in range(30):
        draw.rectangle((1250 + 11 * k, 2200, 1258 + 11 * k, 2216), fill=0)
    box = cleanup.content_box(page)
    assert box is not None and box[2] >= 1250 + 11 * 29 + 8


def test_a_speck_beyond_a_wide_blank_stays_out_of_the_crop() -> None:
    page = page_of_lines()
    ImageDraw.Draw(page).rectangle((1600, 1000, 1602, 1002), fill=0)  # dust near the edge
    box = cleanup.content_box(page)
    assert box is not None and box[2] < 1300


def words(*texts: str) -> list[Word]:
    return [Word(text, 10.0 * k, 0.0, 10.0 * k + 8, 10.0, 1) for k, text in enumerate(texts)]


def test_an_iban_read_with_look_alike_letters_is_mended_where_its_checksum_then_holds() -> None:
    [line] = repair_lines([Line(words("IBAN:", "DEO2120300000000202051"))])
    assert [w.text for w in line.words] == ["IBAN:", "DE02120300000000202051"]
    grouped = mend_ibans(words("IBAN", "DEO2", "12O3", "0000", "0000", "2020", "51", "BIC"))
    assert [w.text for w in grouped] == [
        "IBAN",
        "DE02",
        "1203",
        "0000",
        "0000",
        "2020",
        "51",
        "BIC",
    ]


def test_a_word_that_is_no_iban_keeps_its_letters() -> None:
    # The checksum fails whatever the letters are read as: nothing is changed.
    assert [w.text for w in mend_ibans(words("DEOO", "1234", "5678", "9012", "3456"))] == [
        "DEOO",
        "1234",
        "5678",
        "9012",
        "3456",
    ]
    assert [w.text for w in mend_ibans(words("INVOICE", "NO", "IO2O"))] == ["INVOICE", "NO", "IO2O"]


def test_the_rules_of_a_table_are_painted_over_and_its_text_kept() -> None:
    page = page_of_lines()
    draw = ImageDraw.Draw(page)
    draw.rectangle((120, 250, 122, 2100), fill=0)  # a table's vertical rule
    draw.rectangle((120, 2120, 1300, 2122), fill=0)  # and the one under it
    cleaned = np.asarray(cleanup.remove_rules(page))
    assert cleaned[250:2100, 119:124].min() > 200  # the rules are gone
    assert cleaned[2119:2124, 120:1300].min() > 200
    assert (cleaned[300:318, 150:1200] < 60).all()  # the text-like bars are not rules
    # A filled box is no rule either.
    box = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(box).rectangle((200, 200, 900, 400), fill=0)
    assert (np.asarray(cleanup.remove_rules(box))[210:390, 210:890] < 60).all()


class _Recorder:
    """An engine that reads nothing and keeps the image it was given."""

    name = "recorder"
    min_text_height = 0.0

    def __init__(self) -> None:
        self.seen: list[Image.Image] = []

    def available(self) -> bool:
        return True

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        self.seen.append(image)
        return []


def test_a_photographed_page_is_sharpened_and_a_rendered_one_is_not() -> None:
    blurred = page_of_lines().filter(ImageFilter.GaussianBlur(2))

    def fringe(photographed: bool) -> float:
        """Share of grey (neither ink nor paper) pixels in the first image read."""
        recorder = _Recorder()
        read_image(blurred, recorder, Options(orientation=False), photographed=photographed)
        pixels = np.asarray(recorder.seen[0])
        return float(((pixels > 60) & (pixels < 200)).mean())

    assert fringe(photographed=True) < 0.7 * fringe(photographed=False)


class _SizeAware(_Recorder):
    """A recorder for an engine that reads small text poorly, like tesseract."""

    min_text_height = 20.0


def test_text_its_rows_show_small_is_read_enlarged_at_once() -> None:
    readers = {}
    for bar in (18, 10):  # bands of 19 and of 11 pixels: text about 23 and 13 pixels high
        readers[bar] = _SizeAware()
        read_image(page_of_lines(bar=bar), readers[bar], Options(orientation=False))
    # One reading each (no first reading of the small text as it is), the small one enlarged
    # to text about 30 pixels high.
    assert [len(r.seen) for r in readers.values()] == [1, 1]
    enlarged = readers[10].seen[0].width / readers[18].seen[0].width
    assert 2.0 < enlarged < 2.5


def test_a_vat_id_read_with_look_alike_letters_in_its_number_is_mended() -> None:
    # The checksum holds once read with digits (even the last one, "l"); or the number is
    # digits but for look-alikes inside it (a sample id of the wrong length reads as printed).
    [line] = repair_lines([Line(words("USt-IdNr.", "DE13669594l", "DEO9687654321"))])
    assert [w.text for w in line.words] == ["USt-IdNr.", "DE136695941", "DE09687654321"]


def test_a_vat_id_keeps_a_final_check_letter_and_other_words_keep_their_letters() -> None:
    texts = ("CY1234567l", "ESX1234567L", "DEOBERSTADT", "RE2024O1I5", "NOIIIIOOOO")
    assert [w.text for w in mend_vat_ids(words(*texts))] == list(texts)


def test_long_runs_of_ink_are_found_alike_with_and_without_opencv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Down one column: runs of 5, 4 and 6 pixels; only the first and the last are 5 or more.
    column = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1], dtype=np.bool_)
    expected = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], dtype=np.bool_)
    pytest.importorskip("cv2", reason="compares the OpenCV path with the numpy one")
    rng = np.random.default_rng(0)
    inks = [rng.random((60, 45)) < 0.85, rng.random((3, 90)) < 0.9, rng.random((90, 3)) < 0.9]
    found = {}
    for opencv in (True, False):
        if not opencv:
            monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises ImportError
        assert (cleanup.long_runs(column[:, None], 5, 0)[:, 0] == expected).all()
        assert (cleanup.long_runs(column[None, :], 5, 1)[0] == expected).all()
        found[opencv] = [
            cleanup.long_runs(ink, length, axis)
            for ink in inks
            for length in (0, 1, 2, 5, 40, 100)
            for axis in (0, 1)
        ]
    assert all((a == b).all() for a, b in zip(found[True], found[False], strict=True))
