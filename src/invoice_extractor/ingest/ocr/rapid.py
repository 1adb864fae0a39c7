"""RapidOCR (``rapidocr-onnxruntime``): PaddleOCR's PP-OCRv4 detection and recognition models, run
by ONNX Runtime on one thread. The models ship inside the wheel: nothing is downloaded.

The recogniser reads a whole text line and often drops the spaces of Latin text ("TOTALSALES"), so
each line is cut into words where its pixels show a gap between letters, and each recognised
character is placed by the position the recogniser reports for it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from . import onnx_sessions
from .base import OcrFailed, OcrWord
from .char_boxes import line_boxes

log = logging.getLogger(__name__)

_OPTIONS = {
    # One thread: the web runs several workers, and the budget is per core.
    "intra_op_num_threads": 1,
    "inter_op_num_threads": 1,
    # No line classifier: an upside-down page must read as poor, so that the page is turned as a
    # whole (the classifier would flip each line in place and leave the page upside down).
    "use_cls": False,
    "print_verbose": False,
    # One line per run of the recogniser: a batch is padded to its widest line, and a line is
    # padded to at least the model's width (320 pixels, "rec_img_shape"), so short words cost as
    # much as long lines. One line at a time, padded to no more than its own width, halved the
    # recogniser's CPU time and took 150 MB off the peak, with the same receipt fields
    # (docs/ocr.md).
    "rec_batch_num": 1,
    "rec_img_shape": [3, 48, 48],
}
DET_MAX_SIDE = 2000
"""The detector sees the page at up to this many pixels on its long side (rapidocr's own limit)."""
DET_STRIP_PIXELS = 250_000
"""... in strips of about this many pixels (its activations for a whole receipt of 2000 by 930
pixels peaked at 600 MB) ..."""
DET_OVERLAP = 96
"""... each with this many rows of the page above and below it, so that text cut by a strip's
edge is seen whole."""
ROW_INK = 0.05
"""A row of a line box belongs to the line's text when it holds this share of the busiest row's
ink."""
WORD_GAP = 0.25
"""A run of blank pixel columns narrower than this share of the line's ink height is no space."""
WIDE_GAP = 0.6
"""A blank run at least this share of the ink height is a space whatever the letters around it,
unless the line is letter-spaced: the gap must also be ``SPACED_OUT`` times the line's usual gap
between letters ("D a t e : 1 4 / 0 3" is one word printed spaced out)."""
SPACED_OUT = 1.6
CLEAR_GAP, CLEAR_RATIO = 0.4, 3.0
"""Between two capitals, a blank run at least ``CLEAR_GAP`` of the ink height and
``CLEAR_RATIO`` times the line's usual gap between letters is a space even when a narrow letter
beside it keeps the pitch ("CHI PU"; in a monospaced font the blank beside an "I" or "1" stays
under a quarter of the height). Lower-case letters such as "r" carry blank space of their own
("World")."""
PITCH_RATIO = 1.35
"""Between these, a gap is a space when it sets its letters this much further apart than usual,
or when it is ``TIGHT_RATIO`` times the line's usual gap between letters and sets them at least
``TIGHT_PITCH`` times further apart."""
TIGHT_RATIO = 2.5
TIGHT_PITCH = 1.15
TIGHT_GAP = 0.15
"""Type is tightly set when the line's usual gap between letters is at most this share of the
ink height (bold capitals on a receipt's letterhead)."""


class RapidOcrEngine:
    name = "rapidocr"
    min_text_height = 0.0  # the recogniser scales every line to 48 pixels itself

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()
        self._used = False  # a page read since the arenas were last given back

    def available(self) -> bool:
        return _importable()

    def _load(self) -> Any:
        with self._lock:  # worker threads share one engine: its sessions are thread-safe
            if self._engine is None:
                try:
                    module = importlib.import_module("rapidocr_onnxruntime")
                except ImportError as exc:
                    raise OcrFailed("rapidocr-onnxruntime is not installed") from exc
                engine = module.RapidOCR(**_OPTIONS)
                engine.text_cls = None  # loaded whatever "use_cls" says; never run here
                onnx_sessions.with_arena(engine.text_det.infer)
                onnx_sessions.with_arena(engine.text_rec.session)
                self._engine = engine  # only once both run on arenas that ``shrink`` can empty
            return self._engine

    def release_memory(self) -> None:
        """The models' arenas given back to the system (``onnx_sessions.shrink``) when a page
        was read since: ``auto`` asks this before tesseract reads a page."""
        engine = self._engine
        if engine is not None and self._used:
            self._used = False
            try:
                onnx_sessions.shrink(engine.text_det.infer.session)
                onnx_sessions.shrink(engine.text_rec.session.session)
            except Exception as exc:  # memory given back is a saving, never a page's failure
                log.warning("rapidocr's arenas not given back: %s: %s", type(exc).__name__, exc)

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        engine = self._load()
        grey = np.asarray(image.convert("L"), dtype=np.uint8)
        try:
            lines = _read_lines(engine, grey)
        except Exception as exc:  # onnxruntime and OpenCV raise their own types
            raise OcrFailed(f"rapidocr failed on a page: {type(exc).__name__}: {exc}") from exc
        finally:  # after the read: a release by another thread meanwhile leaves it set
            self._used = True
        words: list[OcrWord] = []
        for box, (text, score, char_boxes, _, char_confs) in lines:
            words += split_line(grey, box, str(text), float(score), char_boxes, char_confs)
        return words


def _read_lines(engine: Any, grey: NDArray[np.uint8]) -> list[tuple[Any, tuple[Any, ...]]]:
    """rapidocr's detection and recognition: ``(box, (text, score, character boxes, words,
    character confidences))`` for each line read well enough. The detector sees the page at up
    to ``DET_MAX_SIDE`` pixels, in strips (``text_map``); the recogniser reads each line cut from
    the page at full resolution."""
    import cv2

    height, width = grey.shape
    scale = min(1.0, DET_MAX_SIDE / max(height, width))
    size = (max(32, round(width * scale / 32) * 32), max(32, round(height * scale / 32) * 32))
    small = cv2.resize(grey, size) if size != (width, height) else grey
    # The detector's input: the grey page scaled to -1..1, given its three channels strip by strip.
    plane = small.astype(np.float32)
    np.subtract(np.divide(plane, 127.5, out=plane), 1.0, out=plane)  # in place
    detector = engine.text_det
    found = text_map(detector.infer, plane)
    del plane, small
    boxes, _ = detector.postprocess_op(found, (height, width))
    del found
    boxes = detector.filter_tag_det_res(boxes, (height, width))
    if len(boxes) == 0:
        return []
    boxes = engine.sorted_boxes(boxes)
    bgr = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    crops = engine.get_crop_img_list(bgr, boxes)
    read, _ = engine.text_rec(crops, True)
    lines = line_boxes(engine.cal_rec_boxes, crops, boxes, read)
    return [
        (box.tolist(), tuple(line))
        for box, line in zip(boxes, lines, strict=True)
        if float(line[1]) >= engine.text_score
    ]


def text_map(
    infer: Callable[[NDArray[np.float32]], list[NDArray[np.float32]]],
    plane: NDArray[np.float32],
) -> NDArray[np.float32]:
    """The detector's text probability map (1, 1, height, width) of the grey ``plane`` (height,
    width; both multiples of 32), computed in horizontal strips of about ``DET_STRIP_PIXELS``,
    each seen with ``DET_OVERLAP`` rows of the page above and below: the detector's activations,
    the peak of memory, grow with the area it sees at once. The detector reads three channels:
    each strip gets them as it is run, so that the page is never held three times over."""
    height, width = plane.shape
    rows = max(32, DET_STRIP_PIXELS // width // 32 * 32)
    if height <= rows + DET_OVERLAP:
        return infer(_channels(plane))[0]
    result = np.empty((1, 1, height, width), dtype=np.float32)
    for top in range(0, height, rows):
        start, end = max(0, top - DET_OVERLAP), min(height, top + rows + DET_OVERLAP)
        strip = infer(_channels(plane[start:end]))[0]
        kept = min(rows, height - top)
        result[:, :, top : top + kept] = strip[:, :, top - start : top - start + kept]
    return result


def _channels(plane: NDArray[np.float32]) -> NDArray[np.float32]:
    """``plane`` (height, width) as the detector's input: (1, 3, height, width), one copy each."""
    return np.repeat(plane[None, None], 3, axis=1)


@functools.cache
def _importable() -> bool:
    """Whether rapidocr and what it loads import (asked once: a failed import is not cached by
    Python, and ``available`` is asked for every document)."""
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        return False
    try:  # OpenCV's wheel needs system libraries (libGL) a slim image may lack
        importlib.import_module("cv2")
        importlib.import_module("onnxruntime")
    except (ImportError, OSError):
        return False
    return True


def split_line(
    grey: NDArray[np.uint8],
    box: list[list[float]],
    text: str,
    score: float,
    char_boxes: list[list[list[int]]],
    char_confs: list[float],
) -> list[OcrWord]:
    """One recognised line as words: cut at the recogniser's own spaces and at blank gaps in the
    line's pixels wide enough to be a space."""
    xs = [p[0] for p in box]
    ys = [p[1] for p in box]
    x0, x1 = max(int(min(xs)), 0), min(int(max(xs)) + 1, grey.shape[1])
    y0, y1 = max(int(min(ys)), 0), min(int(max(ys)) + 1, grey.shape[0])
    if not text.strip() or x1 <= x0 or y1 <= y0:
        return []
    ink = grey[y0:y1, x0:x1] < _threshold(grey[y0:y1, x0:x1])
    top, bottom = _text_rows(ink)
    y0, y1 = y0 + top, y0 + bottom
    ink = ink[top:bottom]
    columns: NDArray[np.bool_] = np.asarray(ink.any(axis=0), dtype=np.bool_)
    centres = [c - x0 for c in _char_centres(text, char_boxes, x0, x1)]
    height = y1 - y0
    blanks = _gaps(columns, 1.0)
    gaps = [g for g in blanks if g[1] >= max(height * WORD_GAP, 2)]
    letter_gap = float(np.median([w for _, w in blanks])) if blanks else 0.0
    steps = [b - a for a, b in itertools.pairwise(centres) if b > a]
    pitch = float(np.median(steps)) if steps else 0.0
    pieces: list[tuple[int, int]] = []  # [start, end) character index ranges
    start = 0
    for k, ch in enumerate(text):
        if ch.isspace():
            pieces.append((start, k))
            start = k + 1
        elif k > start and _is_space(
            gaps,
            (centres[k - 1], centres[k]),
            pitch * (9.0 if _in_number(text, k) else 1.0),
            letter_gap,
            height,
            capitals=text[k - 1 : k + 1].isupper() and text[k - 1 : k + 1].isalpha(),
        ):
            pieces.append((start, k))
            start = k
    pieces.append((start, len(text)))
    confs = char_confs if len(char_confs) == len(text) else [score] * len(text)
    words = []
    for a, b in pieces:
        if not text[a:b].strip():
            continue
        left = 0 if a == 0 else int((centres[a - 1] + centres[a]) / 2)
        right = len(columns) if b == len(text) else int((centres[b - 1] + centres[b]) / 2) + 1
        filled = np.flatnonzero(columns[max(left, 0) : right])
        if len(filled):
            left, right = max(left, 0) + int(filled[0]), max(left, 0) + int(filled[-1]) + 1
        words.append(
            OcrWord(
                text[a:b].strip(),
                float(x0 + left),
                float(y0),
                float(x0 + max(right, left + 1)),
                float(y1),
                float(np.mean(confs[a:b])),
            )
        )
    return words


def _is_space(
    gaps: list[tuple[float, float]],
    between: tuple[float, float],
    pitch: float,
    letter_gap: float,
    height: int,
    *,
    capitals: bool = False,
) -> bool:
    """Whether a blank gap between two characters is a space: wide in itself; or wide enough and
    pushing the characters further apart than the line's usual pitch (in a monospaced font the
    gap beside a narrow "1" is wide, but the pitch stays the same); or, in tightly set bold type,
    several times the usual gap between letters while the pitch grows a little."""
    left, right = between
    step = right - left
    for centre, width in gaps:
        if left < centre < right and (
            (width >= WIDE_GAP * height and width >= SPACED_OUT * letter_gap)
            or (capitals and width >= CLEAR_GAP * height and width >= CLEAR_RATIO * letter_gap)
            or step >= PITCH_RATIO * pitch
            or (
                letter_gap <= TIGHT_GAP * height
                and width >= TIGHT_RATIO * letter_gap
                and step >= TIGHT_PITCH * pitch
            )
        ):
            return True
    return False


def _text_rows(ink: NDArray[np.bool_]) -> tuple[int, int]:
    """The rows of the line's own text in its box: the detector pads boxes, so they take in the
    ascenders and descenders of the lines above and below. The text is the band of well-inked
    rows around the most inked one."""
    counts = ink.sum(axis=1)
    if not counts.any():
        return 0, len(counts)
    inked = counts > ROW_INK * counts.max()
    top = bottom = int(np.argmax(counts))
    while top > 0 and inked[top - 1]:
        top -= 1
    while bottom + 1 < len(counts) and inked[bottom + 1]:
        bottom += 1
    return top, bottom + 1


def _in_number(text: str, k: int) -> bool:
    """Whether characters ``k - 1`` and ``k`` both belong to a number ("80.91", "25/12/2018"):
    a narrow "1" must not split it, only a wide gap does."""
    return all(ch.isdigit() or ch in ".,/:-" for ch in text[k - 1 : k + 1])


def _threshold(crop: NDArray[np.uint8]) -> float:
    """Halfway between the paper (the bright end) and the ink (the dark end) of a line crop."""
    low, high = np.percentile(crop, [5, 95])
    return float(low + high) / 2 if high - low > 30 else -1.0


def _char_centres(text: str, char_boxes: list[list[list[int]]], x0: int, x1: int) -> list[float]:
    """The x centre of each character: from the recogniser where it gave one box per character,
    else spread evenly over the line."""
    if len(char_boxes) == len(text):
        return [(min(p[0] for p in b) + max(p[0] for p in b)) / 2 for b in char_boxes]
    step = (x1 - x0) / max(len(text), 1)
    return [x0 + step * (k + 0.5) for k in range(len(text))]


def _gaps(columns: NDArray[np.bool_], min_width: float) -> list[tuple[float, float]]:
    """``(centre, width)`` (crop x) of the blank runs between ink at least ``min_width`` wide."""
    filled = np.flatnonzero(columns)
    if len(filled) < 2:
        return []
    blank = np.diff(filled) - 1
    return [
        (float(filled[i]) + (blank[i] + 1) / 2, float(blank[i]))
        for i in np.flatnonzero(blank >= max(min_width, 2))
    ]
