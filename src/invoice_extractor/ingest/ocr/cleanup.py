"""Page clean-up before OCR: greyscale and contrast, quarter-turn orientation, and deskew.

Each step is measured on ink pixels of a reduced copy, so the cost stays a few tens of
milliseconds per page whatever the scan resolution. Text rows make sharp peaks in the ink
profile taken along them and a blur across them: that contrast tells both the skew (the angle
with the sharpest profile) and a page on its side (rows sharper across than along).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

ANALYSIS_SIDE = 1000
"""Long side, in pixels, of the reduced copy the angles are measured on."""
MAX_SKEW = 10.0
"""Largest skew corrected, in degrees: more is a photo's perspective, not a crooked scan."""
MIN_SKEW = 0.3
"""Smaller skews are left alone: rotating resamples every pixel for no gain."""
MIN_INK_PIXELS = 200
RULE_LENGTH, RULE_WIDTH = 0.04, 0.002
"""A run of ink longer than this share of the page (about 12 mm on A4) and thinner than this
share of its long side (0.6 mm) is a rule, not a character."""
SHARPEN = (2, 150, 3)
"""The unsharp mask: radius in pixels, strength in percent, and the least level difference
sharpened."""
SPECK_GAP = 0.02
"""Ink beyond the bulk of the page is kept while its gaps stay under this share of the page's
long side (6 mm on A4: wider than the gaps inside a line of text)."""
DARK_INK, WHITE_PAPER = 60.0, 200.0
"""Ink at most this dark and paper at least this white need no contrast stretch."""
SIDEWAYS_RATIO = 1.4
"""A page is on its side when its columns are this much more peaked than its rows ..."""
SIDEWAYS_GAPS = 0.1
"""... and this share more of its columns than of its rows are blank."""
MIN_LINES = 5
"""A page with fewer text lines has no measurable line height."""


def grey(image: Image.Image) -> Image.Image:
    """8-bit greyscale, with transparency laid on white (a PNG with an alpha channel)."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("L")


def stretch_contrast(image: Image.Image) -> Image.Image:
    """Stretch the grey levels of a low-contrast page (a faded thermal receipt, a grey copy) so
    its ink is near black and its paper white; a page with clear contrast is left as it is.
    The levels come from the two classes Otsu's threshold separates, not from the histogram's
    ends: a page that is mostly paper has too little ink for a percentile cut."""
    small = image.copy()
    small.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = _otsu(pixels) if pixels.size else None
    if threshold is None:
        return image
    ink = float(np.percentile(pixels[pixels < threshold], 10))
    paper = float(np.percentile(pixels[pixels >= threshold], 90))
    if ink <= DARK_INK and paper >= WHITE_PAPER:
        return image
    span = max(paper - ink, 1.0)
    table = [min(255, max(0, round((level - ink) * 255 / span))) for level in range(256)]
    return image.point(table)


def sharpen(image: Image.Image) -> Image.Image:
    """Strokes' edges steepened (an unsharp mask, ``SHARPEN``): a photo's blur leaves grey
    fringes that a recogniser's binarisation thickens or breaks. Level differences under the
    mask's threshold, paper grain and JPEG noise, are left alone. Photos only: on rendered pages
    it cost line items of shaded tables (docs/ocr.md)."""
    from PIL import ImageFilter

    radius, percent, threshold = SHARPEN
    return image.filter(ImageFilter.UnsharpMask(radius, percent, threshold))


def remove_rules(image: Image.Image) -> Image.Image:
    """``image`` with the long thin lines of tables and boxes (rules) painted over with paper.
    Recognisers read a vertical rule beside a word as part of it ("|IBAN" as "IIBAN", "60,00]"),
    and a rule under a row joins it to the next. A rule is a run of ink longer than
    ``RULE_LENGTH`` of the page's height (vertical) or width (horizontal) and at most
    ``RULE_WIDTH`` of the page's long side thick: no printed character is that long and thin."""
    pixels = np.asarray(image, dtype=np.uint8)
    threshold = _otsu(pixels) if pixels.size else None
    if threshold is None:
        return image
    ink = pixels < threshold
    paper = np.bincount(pixels[::4, ::4][~ink[::4, ::4]], minlength=256)  # a sample is enough
    del pixels  # page-size masks follow: a page's copy at a time, read again at the end
    # Thin: across a rule the ink is at most ``RULE_WIDTH`` (a bar, a filled box is thicker).
    # ``a > b`` of two masks is ``a & ~b``, in place.
    over = max(1, round(RULE_WIDTH * max(ink.shape))) + 1
    rules = long_runs(ink, round(RULE_LENGTH * ink.shape[0]), 0)
    np.greater(rules, long_runs(ink, over, 1), out=rules)
    across = long_runs(ink, round(RULE_LENGTH * ink.shape[1]), 1)
    np.greater(across, long_runs(ink, over, 0), out=across)
    rules |= across
    del ink, across
    if not rules.any():
        return image
    # The anti-aliased fringe beside a rule is grey, not ink: one pixel more on each side.
    grown = rules.copy()
    grown[1:, :] |= rules[:-1, :]
    grown[:-1, :] |= rules[1:, :]
    grown[:, 1:] |= rules[:, :-1]
    grown[:, :-1] |= rules[:, 1:]
    del rules
    cleaned = np.array(image, dtype=np.uint8)
    cleaned[grown] = np.uint8(int(np.searchsorted(np.cumsum(paper), paper.sum() / 2)))
    return Image.fromarray(cleaned, mode="L")


def long_runs(ink: NDArray[np.bool_], length: int, axis: int) -> NDArray[np.bool_]:
    """The ink pixels lying in a run of at least ``length`` pixels down a column (``axis`` 0) or
    along a row (1). An opening by a line of ``length`` pixels is that set: OpenCV's erosion and
    dilation give it about 15 times faster than the runs found with numpy (0.007 against 0.11 s
    on a 200 dpi page), which stay for an OpenCV that cannot be loaded (a slim image without
    libGL)."""
    try:
        import cv2
    except ImportError:
        return _long_runs(ink, length) if axis == 0 else _long_runs(ink.T, length).T
    if length <= 1:
        return ink.copy()
    line = np.ones((length, 1) if axis == 0 else (1, length), dtype=np.uint8)
    # Erosion anchored at the line's first pixel: 1 where a full run starts here; dilation
    # anchored at its last pixel spreads each start over the run. Outside the page is paper.
    end = (0, length - 1) if axis == 0 else (length - 1, 0)
    pixels = np.ascontiguousarray(ink).view(np.uint8)
    paper = cv2.BORDER_CONSTANT
    runs = cv2.erode(pixels, line, anchor=(0, 0), borderType=paper, borderValue=0)
    cv2.dilate(runs, line, dst=runs, anchor=end, borderType=paper, borderValue=0)  # in place
    return np.asarray(runs, dtype=np.uint8).view(np.bool_)


def _long_runs(ink: NDArray[np.bool_], length: int) -> NDArray[np.bool_]:
    """The ink pixels lying in a vertical run (down a column) of at least ``length`` pixels."""
    padded = np.zeros((ink.shape[0] + 2, ink.shape[1]), dtype=np.int8)
    padded[1:-1] = ink
    steps = np.diff(padded, axis=0)
    # Column-major order pairs each run's start with its end.
    start_cols, start_rows = np.nonzero(steps.T == 1)
    _, end_rows = np.nonzero(steps.T == -1)
    long = end_rows - start_rows >= length
    # Runs in one column never overlap: +1 at a start and -1 past the end sum to 0 or 1, so one
    # byte a pixel holds it (an int64 sum took 70 MB on a 300 dpi page).
    marks = np.zeros((ink.shape[0] + 1, ink.shape[1]), dtype=np.int8)
    marks[start_rows[long], start_cols[long]] = 1
    marks[end_rows[long], start_cols[long]] = -1
    return np.cumsum(marks, axis=0, dtype=np.int8)[:-1] > 0


def _ink(image: Image.Image) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Coordinates (x, y) of the ink pixels of a reduced copy, or None for a blank page."""
    small = image.copy()
    small.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
    pixels = np.asarray(small, dtype=np.uint8)
    if pixels.size == 0:
        return None
    threshold = _otsu(pixels)
    if threshold is None:
        return None
    ys, xs = np.nonzero(pixels < threshold)
    if len(xs) < MIN_INK_PIXELS or len(xs) > 0.5 * pixels.size:  # blank, or a dark photo
        return None
    return xs.astype(np.float64), ys.astype(np.float64)


def content_box(image: Image.Image, line_ends: bool = True) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom, in pixels of ``image``) holding the page's ink, with a
    margin; stray specks at the edges are left out, and with ``line_ends`` the ink continuing
    the bulk is kept (``_ink_span``). None for a blank page."""
    ink = _ink(image)
    if ink is None:
        return None
    xs, ys = ink
    scale = max(image.size) / max(ANALYSIS_SIDE, 1) if max(image.size) > ANALYSIS_SIDE else 1.0
    side = max(image.size) / scale  # the reduced copy's long side
    x0, x1 = _ink_span(xs, side if line_ends else 0.0)
    y0, y1 = _ink_span(ys, side if line_ends else 0.0)
    margin = 0.02 * max(image.size)
    return (
        max(int(x0 * scale - margin), 0),
        max(int(y0 * scale - margin), 0),
        min(int(x1 * scale + margin) + 1, image.width),
        min(int(y1 * scale + margin) + 1, image.height),
    )


def _ink_span(coords: NDArray[np.float64], side: float) -> tuple[float, float]:
    """Where the ink lies along one axis: the central 99.6 % of it, widened to the ink that
    continues it with gaps under ``SPECK_GAP`` of the page. The percentiles alone cut the last
    characters of a line that stands out at the edge (an IBAN in a footer's last column); a speck
    beyond a wide blank stays out."""
    low, high = (float(v) for v in np.percentile(coords, [0.2, 99.8]))
    gap = SPECK_GAP * side
    outer = np.sort(coords[coords > high])
    for value in outer:
        if value - high > gap:
            break
        high = float(value)
    inner = np.sort(coords[coords < low])[::-1]
    for value in inner:
        if low - value > gap:
            break
        low = float(value)
    return low, high


def _otsu(pixels: NDArray[np.uint8]) -> float | None:
    """Otsu's threshold between ink and paper; None when the page is one flat tone."""
    if pixels.size == 0:
        return None
    plane = np.ascontiguousarray(pixels if pixels.ndim == 2 else pixels.reshape(1, -1))
    # Pillow's histogram: the same counts as numpy's bincount at 0.004 against 0.01 s a 200 dpi
    # page, and no copy widened to 8-byte integers (bincount's: 31 MB a page).
    hist = np.asarray(Image.fromarray(plane).histogram(), dtype=np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    background = total - weight
    valid = (weight > 0) & (background > 0)
    if not valid.any():
        return None
    mean_ink = np.where(valid, mass / np.maximum(weight, 1), 0)
    mean_paper = np.where(valid, (mass[-1] - mass) / np.maximum(background, 1), 0)
    between = np.where(valid, weight * background * (mean_ink - mean_paper) ** 2, 0)
    level = int(np.argmax(between))
    if mean_paper[level] - mean_ink[level] < 40:  # too little contrast to be text on paper
        return None
    return float(level) + 0.5


def _sharpness(coords: NDArray[np.float64]) -> float:
    """How peaked the ink profile along ``coords`` is: the sum of squared bin counts, which is
    highest when the ink falls into few rows (text rows with clean gaps between them)."""
    counts = np.bincount(np.round(coords - coords.min()).astype(np.int64))
    return float(np.dot(counts, counts)) / max(len(coords), 1)


def _peakedness(coords: NDArray[np.float64]) -> tuple[float, float]:
    """The profile's sharpness relative to an even spread (1.0), and its share of blank bins."""
    counts = np.bincount(np.round(coords - coords.min()).astype(np.int64))
    n = max(len(coords), 1)
    even = len(counts) * float(np.dot(counts, counts)) / (n * n)
    blank = float(np.mean(counts <= 0.02 * counts.max()))
    return even, blank


def is_sideways(image: Image.Image) -> bool | None:
    """Whether the text runs top to bottom (the page is turned a quarter): the ink profile across
    the page is clearly sharper, with more blank gaps, than the one down the page. Both must
    agree by a margin, since a monospaced receipt has sharp columns too. None when the page has
    too little ink to tell."""
    ink = _ink(image)
    if ink is None:
        return None
    xs, ys = ink
    (rows, row_gaps), (cols, col_gaps) = _peakedness(ys), _peakedness(xs)
    return cols > SIDEWAYS_RATIO * rows and col_gaps > row_gaps + SIDEWAYS_GAPS


def skew_angle(image: Image.Image) -> float:
    """The angle in degrees (counter-clockwise) by which the text rows are tilted, within
    ``MAX_SKEW``; 0.0 when the page has too little ink to tell."""
    ink = _ink(image)
    if ink is None:
        return 0.0
    xs, ys = ink
    if len(xs) > 60_000:  # a sample keeps the profile shape and bounds the cost
        pick = np.random.default_rng(0).choice(len(xs), 60_000, replace=False)
        xs, ys = xs[pick], ys[pick]

    def score(degrees: float) -> float:
        theta = np.deg2rad(degrees)
        return _sharpness(ys * np.cos(theta) + xs * np.sin(theta))

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0), key=score)
    fine = np.arange(best - 0.9, best + 0.91, 0.1)
    angle = float(max(fine, key=score))
    return angle if abs(angle) >= MIN_SKEW else 0.0


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """``image`` turned counter-clockwise by ``degrees``, the new corners filled with paper."""
    if degrees % 360 == 0:
        return image
    if degrees % 90 == 0:
        turns = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180}
        return image.transpose(turns.get(int(degrees % 360), Image.Transpose.ROTATE_270))
    fill = 255 if image.mode == "L" else (255, 255, 255)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def upright(image: Image.Image, turn: int, skew: float) -> Image.Image:
    """``image`` turned by ``turn`` and deskewed by ``skew`` (degrees): the page OCR reads, and
    the one the review shows, since the words' boxes are measured on it."""
    image = rotate(image, turn)
    return rotate(image, -skew) if skew else image


def width_in_text_lines(image: Image.Image) -> float | None:
    """How many text-line heights wide the page's ink is (``image`` upright and cropped): a till
    slip prints 32 to 48 characters a line and measures about 20 to 45; a typed page measures
    70 and more. None when the page has too little ink or too few lines to tell."""
    height = line_height(image)
    return image.width / height if height else None


def line_height(image: Image.Image) -> float | None:
    """The median height in pixels of the inked bands of rows of ``image`` (upright and
    cropped): one band per text line, a few merged, which the median outlasts. None when the
    page has too little ink or too few lines to tell."""
    pixels = np.asarray(image, dtype=np.uint8)
    threshold = _otsu(pixels) if pixels.size else None
    if threshold is None:
        return None
    counts = (pixels < threshold).sum(axis=1)
    starts, ends = _runs(counts > max(2, 0.01 * pixels.shape[1]))
    heights = ends - starts
    heights = heights[heights >= 3]
    if len(heights) < MIN_LINES:
        return None
    return float(np.median(heights))


def _runs(flags: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Starts and ends (exclusive) of the runs of True in ``flags``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return edges[::2], edges[1::2]


def line_samples(image: Image.Image, marks: int, count: int) -> list[Image.Image]:
    """Up to ``count`` samples of the page's text lines for a cheap first look at its words
    (``tesseract.SAMPLE_MARKS``): the lines with the most separate marks (letters, or words where
    letters touch) first, each sample about ``marks`` of them, its lines stacked in page order
    with paper between them. Sized by marks, not by a share of the lines, a dense page's sample
    is no longer than it needs to be and a sparse page's holds enough words (docs/ocr.md). Ranked
    by ink instead, bold headings and totals came first. The samples hold at most half the lines'
    height (past that, reading the page costs little more); none when the page has no ink or
    too few lines to leave any out."""
    pixels = np.asarray(image, dtype=np.uint8)
    threshold = _otsu(pixels) if pixels.size else None
    if threshold is None:
        return []
    ink = pixels < threshold
    starts, ends = _runs(ink.sum(axis=1) > max(1, 0.002 * pixels.shape[1]))
    keep = ends - starts >= 3
    starts, ends = starts[keep], ends[keep]
    if len(starts) < MIN_LINES:
        return []
    counts = [
        len(_runs(np.asarray(ink[a:b].any(axis=0), dtype=np.bool_))[0])
        for a, b in zip(starts, ends, strict=True)
    ]
    height = 0.5 * float((ends - starts).sum())
    groups: list[list[int]] = [[]]
    for k in np.argsort(-np.array(counts), kind="stable"):
        height -= float(ends[k] - starts[k])
        if height < 0:
            break
        if sum(counts[j] for j in groups[-1]) >= marks:
            if len(groups) == count:
                break
            groups.append([])
        groups[-1].append(int(k))
    gap = max(4, int(np.median(ends - starts)) // 2)
    return [_stacked(image, starts, ends, sorted(group), gap) for group in groups if group]


def _stacked(
    image: Image.Image,
    starts: NDArray[np.intp],
    ends: NDArray[np.intp],
    chosen: list[int],
    gap: int,
) -> Image.Image:
    """The rows ``starts[k]:ends[k]`` of ``image`` for each k chosen, one under the other."""
    rows = [(int(starts[k]), int(ends[k])) for k in chosen]
    sample = Image.new("L", (image.width, sum(b - a + gap for a, b in rows) + gap), 255)
    top = gap
    for a, b in rows:
        sample.paste(image.crop((0, a, image.width, b)), (0, top))
        top += b - a + gap
    sample.info["dpi"] = image.info.get("dpi", (300, 300))
    return sample
