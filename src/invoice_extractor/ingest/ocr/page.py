"""One page image to one ``Page`` of OCR words, in PDF points like a text layer.

The image is cleaned up first (greyscale, contrast, a quarter-turn orientation and deskew); a page
that still reads poorly is tried upside down (and, when its orientation was unclear, on its sides)
and the best reading is kept. Words come back in the upright page's coordinates:
``pixels * 72 / dpi`` with the origin at the top-left, ``Page.source == "ocr"``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..document import Page, Word
from . import heap
from .auto import is_slip
from .base import EngineChoice, OcrEngine, OcrWord
from .repair import repair_lines, snap_rows

if TYPE_CHECKING:  # Pillow is loaded when an image is read or a page rendered, not before
    from PIL import Image

GOOD_CONFIDENCE = 0.65
"""A reading whose character-weighted mean confidence reaches this is kept without trying other
orientations."""
POOR_CONFIDENCE = 0.5
"""Below this, the other pair of orientations is tried too."""
MIN_GOOD_CHARS = 12
MAX_VERTICAL = 0.5
"""A reading with this share of upright word boxes read across the lines: the page is sideways."""
TARGET_TEXT_HEIGHT = 30.0
"""Text lower than the engine's ``min_text_height`` is enlarged to about this height ..."""
MAX_ENLARGEMENT = 3.0
"""... by at most this factor."""
BAND_TO_TEXT = 1.2
"""Tesseract's word boxes (the height of their line) against the page's inked bands of rows
(``cleanup.line_height``) on 12 rendered pages: 1.13 to 1.46 where it enlarged the text (bands
of 13 to 16 pixels), 1.23 to 1.63 elsewhere (bands of 17.5 to 31). Text predicted that small
from the bands is read enlarged at once (docs/ocr.md)."""
DEFAULT_DPI = 200.0
"""The resolution a page is read at when its file states none (or only a screen's 72 or 96)."""
MAX_SIDE = 4200
"""Larger images (a phone photo of 12 megapixels and more) are reduced to this long side first."""


@dataclass(frozen=True, slots=True)
class Options:
    """Which clean-up steps run (all by default; the benchmark switches them to measure each)."""

    contrast: bool = True
    orientation: bool = True
    deskew: bool = True
    perspective: bool = True
    light: bool = True
    sharpen: bool = True
    rules: bool = True


DEFAULT_OPTIONS = Options()


@dataclass(frozen=True, slots=True)
class Reading:
    """Words in pixels of the page turned by ``turn`` and deskewed by ``skew`` (of that size)."""

    words: list[OcrWord]
    size: tuple[int, int]
    turn: int  # quarter turns applied, counter-clockwise degrees
    skew: float
    scale: float = 1.0
    engine: str = ""

    @property
    def chars(self) -> int:
        return sum(_alnum(w.text) for w in self.words)

    @property
    def confidence(self) -> float:
        """Mean confidence, weighted by letters and digits."""
        total = self.chars
        return sum(w.confidence * _alnum(w.text) for w in self.words) / total if total else 0.0

    @property
    def vertical(self) -> float:
        """Share of the longer words whose box stands upright: text read across its lines."""
        long = [w for w in self.words if len(w.text) >= 3]
        upright = sum((w.y1 - w.y0) > 1.5 * (w.x1 - w.x0) for w in long)
        return upright / len(long) if long else 0.0

    @property
    def text_height(self) -> float:
        """Median height of the words, in pixels of the image OCR saw."""
        heights = sorted((w.y1 - w.y0) * self.scale for w in self.words if _alnum(w.text))
        return heights[len(heights) // 2] if heights else 0.0

    @property
    def score(self) -> float:
        """Confidently read letters and digits in upright lines: what the trials compare."""
        return sum(
            w.confidence * _alnum(w.text)
            for w in self.words
            if w.confidence >= 0.5 and (w.y1 - w.y0) <= 1.5 * (w.x1 - w.x0) + 2
        )

    @property
    def good(self) -> bool:
        return (
            self.chars >= MIN_GOOD_CHARS
            and self.confidence >= GOOD_CONFIDENCE
            and self.vertical < MAX_VERTICAL
        )

    @property
    def fair(self) -> bool:
        return self.chars >= MIN_GOOD_CHARS and self.confidence >= POOR_CONFIDENCE


def _alnum(text: str) -> int:
    return sum(c.isalnum() for c in text)


def _better(a: Reading | None, b: Reading) -> Reading:
    return b if a is None or b.score > a.score else a


def read_image(
    image: Image.Image,
    engine: OcrEngine,
    options: Options = DEFAULT_OPTIONS,
    dpi: float | None = None,
    photographed: bool = False,
) -> Reading:
    """The best reading of ``image``: cleaned up (sharpened too when it was ``photographed``: a
    photo's blur), small text enlarged, and, while it reads poorly, tried in other orientations
    (the likelier pair of turns first: upright and upside down, or the two sides; the other pair
    only when both read poorly)."""
    from . import cleanup  # numpy: loaded only when a page is OCR'd

    heap.freed_blocks_returned()
    grey = cleanup.grey(image)
    if options.light:
        from .photo import flatten_light

        grey = flatten_light(grey)
    if options.contrast:
        grey = cleanup.stretch_contrast(grey)
    # The page's shape (its side, a slip or a page) is measured before the steps below and on
    # the bulk of its ink: widening the crop or painting rules over moved receipts past the
    # router's slip width (docs/ocr.md).
    box = cleanup.content_box(grey, line_ends=False)
    if box is None:  # no ink to measure: one plain reading (it finds nothing on a blank page)
        return _read(grey, 0, engine, options, 1.0, line_ends=True)
    sideways = options.orientation and cleanup.is_sideways(grey.crop(box)) is True
    upright = _upright(grey.crop(box), 90 if sideways else 0, options)
    band = cleanup.line_height(upright)  # measured once: the router and the enlargement use it
    slip = is_slip(upright, dpi, band)
    if isinstance(engine, EngineChoice):
        engine = engine.engine_for(slip)
    # Small text told by the page's bands of rows is read enlarged at once, not read first as it
    # is and again enlarged: a full reading less (docs/ocr.md). Text the bands do not show small
    # is measured on the reading, as before.
    predicted = _predicted_enlargement(band, engine.min_text_height)
    # A page's crop keeps the ink that continues a line past the rest (a footer's IBAN); a
    # slip photographed on a desk has only the desk's edges there (they cost merchant names).
    line_ends = not slip
    if options.sharpen and photographed:  # a rendered page's tables lost line items to it
        grey = cleanup.sharpen(grey)
    if options.rules:
        grey = cleanup.remove_rules(grey)
    pairs = ((90, 270), (0, 180)) if sideways else ((0, 180), (90, 270))
    best: Reading | None = None
    for pair in pairs if options.orientation else ((0,),):
        first = _read(grey, pair[0], engine, options, predicted, line_ends)
        scale = predicted
        if predicted == 1.0:
            scale = _enlargement(first, engine.min_text_height)
            if scale > 1.0:
                first = _better(first, _read(grey, pair[0], engine, options, scale, line_ends))
        predicted = 1.0  # the bands were measured in the first pair's orientation only
        best = _better(best, first)
        if best.good:
            return best
        if first.vertical >= MAX_VERTICAL:  # lines across the text: this pair is wrong
            continue
        for turn in pair[1:]:
            best = _better(best, _read(grey, turn, engine, options, scale, line_ends))
        if best.good or best.fair:
            return best
    assert best is not None
    return best


def _upright(crop: Image.Image, turn: int, options: Options) -> Image.Image:
    """``crop`` turned and deskewed, for measuring its layout."""
    from . import cleanup  # numpy: loaded only when a page is OCR'd

    image = cleanup.rotate(crop, turn)
    skew = cleanup.skew_angle(image) if options.deskew else 0.0
    return cleanup.rotate(image, -skew) if skew else image


def _predicted_enlargement(band: float | None, min_height: float) -> float:
    """How much to enlarge a page whose bands of rows (``band``: their median height) show its
    text too small for the engine (``BAND_TO_TEXT``); 1.0 when they do not tell, or the engine
    reads any size."""
    return _scale_for(band * BAND_TO_TEXT if band else None, min_height)


def _enlargement(reading: Reading, min_height: float) -> float:
    """How much to enlarge a page whose text is too small for the engine to read well."""
    return _scale_for(reading.text_height, min_height)


def _scale_for(height: float | None, min_height: float) -> float:
    """The enlargement that brings text ``height`` pixels high to about ``TARGET_TEXT_HEIGHT``,
    when it is lower than ``min_height``; else 1.0."""
    if not height or height >= min_height:
        return 1.0
    return min(TARGET_TEXT_HEIGHT / height, MAX_ENLARGEMENT)


def _read(
    grey: Image.Image,
    turn: int,
    engine: OcrEngine,
    options: Options,
    scale: float,
    line_ends: bool,
) -> Reading:
    """One reading: turn, deskew, crop to the ink, enlarge by ``scale``, OCR; the words come
    back in pixels of the turned and deskewed page. (Deskewing the pixels, not the boxes of words
    read on the tilted page: tesseract misreads digits on a page tilted by 3 degrees.)"""
    import PIL.Image

    from . import cleanup  # numpy: loaded only when a page is OCR'd

    skew = cleanup.skew_angle(cleanup.rotate(grey, turn)) if options.deskew else 0.0
    image = cleanup.upright(grey, turn, skew)
    box = cleanup.content_box(image, line_ends) or (0, 0, image.width, image.height)
    crop = image.crop(box)
    if scale != 1.0:
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        crop = crop.resize(size, PIL.Image.Resampling.BICUBIC)
    left, top = box[0], box[1]
    words = []
    for w in engine.recognize(crop):
        text = unicodedata.normalize("NFKC", w.text).strip()
        if text:
            words.append(
                OcrWord(
                    text,
                    w.x0 / scale + left,
                    w.y0 / scale + top,
                    w.x1 / scale + left,
                    w.y1 / scale + top,
                    w.confidence,
                )
            )
    return Reading(words, image.size, turn, skew, scale, engine.name)


def fit(image: Image.Image, dpi: tuple[float, float]) -> tuple[Image.Image, tuple[float, float]]:
    """``image`` reduced to ``MAX_SIDE`` when larger, with its resolution scaled alike."""
    import PIL.Image

    side = max(image.size)
    if side <= MAX_SIDE:
        return image, dpi
    scale = MAX_SIDE / side
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, PIL.Image.Resampling.LANCZOS), (dpi[0] * scale, dpi[1] * scale)


def prepare(
    image: Image.Image, dpi: tuple[float, float], options: Options = DEFAULT_OPTIONS
) -> tuple[Image.Image, tuple[float, float], bool]:
    """``image`` as OCR reads it and the review page shows it: reduced to ``MAX_SIDE``, and a
    photographed page cut out of its photo and warped flat; with its resolution, and whether it
    was cut out of a photo."""
    image, dpi = fit(image, dpi)
    if options.perspective:
        from .photo import flatten_page  # numpy: loaded only when a page is OCR'd

        flat = flatten_page(image)
        return flat, dpi, flat is not image
    return image, dpi, False


def ocr_page(
    image: Image.Image,
    number: int,
    dpi: tuple[float, float] | None,
    engine: OcrEngine,
    options: Options = DEFAULT_OPTIONS,
) -> Page:
    """Page ``number`` (1-based) read from ``image`` scanned at ``dpi`` (x, y); None when the
    resolution is unknown (a photo: the paper's size is unknown), read as ``DEFAULT_DPI``."""
    image, scan, photographed = prepare(image, dpi or (DEFAULT_DPI, DEFAULT_DPI), options)
    reading = read_image(image, engine, options, min(scan) if dpi else None, photographed)
    dpi_x, dpi_y = scan if reading.turn % 180 == 0 else (scan[1], scan[0])
    sx, sy = 72.0 / dpi_x, 72.0 / dpi_y
    words = [
        Word(w.text, w.x0 * sx, w.y0 * sy, w.x1 * sx, w.y1 * sy, number, w.confidence)
        for w in reading.words
    ]
    # The rows are built here, not by ``build_lines``: OCR knows stacked rows apart, which a
    # grouping by centres would merge.
    lines = repair_lines(snap_rows(words))
    width, height = reading.size
    return Page(
        number=number,
        width=width * sx,
        height=height * sy,
        words=[word for line in lines for word in line.words],
        lines=lines,
        source="ocr",
        ocr_engine=reading.engine,
        ocr_turn=reading.turn,
        ocr_skew=reading.skew,
    )
