"""The text layer's words: the fast reader (raw PDFium calls, the box read through a memoryview,
the running height and centre) gives exactly the words of the rule read through pypdfium2's own
API, on lines with size jumps, tight and wide gaps, and overprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pytest

from invoice_extractor.ingest.document import Word
from invoice_extractor.ingest.pdf import _SEPARATORS, _words

if TYPE_CHECKING:
    from conftest import MakePdf, PageSpec


def _reference(textpage: pdfium.PdfTextPage, number: int, height: float) -> list[Word]:
    """The rule, through the public API: a separator, a box missing, a height jump (centres half a
    height apart) or a wide gap ends a word."""
    text = textpage.get_text_range(0, textpage.count_chars())
    words: list[Word] = []
    current: list[float] = []
    begin = -1
    for i, ch in enumerate(text):
        try:
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
        except pdfium.PdfiumError:
            left = bottom = right = top = float("nan")
        box_missing = left != left
        if ch in _SEPARATORS or box_missing:
            if begin >= 0:
                words.append(Word(text[begin:i], *current, number))
                begin = -1
            continue
        top, bottom = height - top, height - bottom
        if begin >= 0:
            x0, y0, x1, y1 = current
            size, gap = y1 - y0, left - x1
            if (
                abs((top + bottom) / 2 - (y0 + y1) / 2) >= size * 0.5
                or gap > size * 0.35
                or gap < -size
            ):
                words.append(Word(text[begin:i], *current, number))
                begin = -1
            else:
                current = [x0, min(y0, top), max(x1, right), max(y1, bottom)]
                continue
        begin = i
        current = [left, top, right, bottom]
    if begin >= 0:
        words.append(Word(text[begin:], *current, number))
    return words


PAGES: list[PageSpec] = [
    [
        (50, 60, "Invoice INV-2024-0042", 16),
        (50, 100, "Total", 10),
        (77, 100, "EUR", 10),  # close after "Total": joined or not by the gap rule
        (97, 96, "2", 5),  # a superscript: a height jump
        (100, 100, "1,234.56", 10),
        (300, 100, "Net", 10),
        (300.2, 100, "Net", 10),  # fake bold
        (50, 140, "a  b\tc", 10),
        (50, 180, "tiny", 3),
        (62, 180, "BIG", 30),
    ],
    ["Second page, plain text: 19 % VAT on 100.00 = 19.00"],
]


@pytest.mark.parametrize("number", [1, 2])
def test_the_fast_reader_gives_the_words_of_the_public_api(make_pdf: MakePdf, number: int) -> None:
    pdf = pdfium.PdfDocument(make_pdf(PAGES).read_bytes())
    try:
        page = pdf[number - 1]
        height = page.get_size()[1]
        textpage = page.get_textpage()
        fast = _words(textpage, number, height)
        expected = _reference(textpage, number, height)
        textpage.close()
        page.close()
    finally:
        pdf.close()
    assert len(fast) > 5
    assert fast == expected
