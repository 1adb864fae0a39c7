"""Clean-up of photographed pages: the page found in the photo and warped flat, and uneven light
(a shadow, a lamp on one side) divided out.

Both are measured on a reduced copy (``ANALYSIS_SIDE``), so they cost tens of milliseconds on a
12-megapixel photo; the warp itself is one Pillow resampling. A scan (paper to the edges, even
light) is left untouched: each step acts only where its measure says the photo needs it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from .cleanup import _otsu

ANALYSIS_SIDE = 600
"""Long side, in pixels, of the reduced copy the page outline and the light are measured on."""
MIN_PAGE, MAX_PAGE = 0.2, 0.97
"""The page must cover this share of the photo: less is no page, more is a scan or a page
photographed edge to edge (nothing to crop)."""
SURROUNDED, EDGE_SURFACE = 3, 0.6
"""The surface must show along ``EDGE_SURFACE`` of at least ``SURROUNDED`` edges of the photo: a
page lies on it (a shadow falling over one side of a scan darkens one edge only)."""
MIN_FILL = 0.93
"""The paper must fill this share of the quadrilateral its corners span (a page, not a blob)."""
MIN_GAIN = 0.02
"""A warp that would move no corner by more than this share of the photo's side is skipped."""
BACKGROUND_CONTRAST = 40.0
"""Paper and the surface it lies on must differ by this many grey levels to be told apart."""
LIGHT_WINDOW = 40
"""The paper's brightness is estimated over windows of 1/40 of the page's long side (a closing,
maximum then minimum filter, over 1/20 lost a receipt's seller name and gained nothing on the
photos: docs/ocr.md)."""
SURFACE_MARGIN = 0.2
"""Paper is brighter than the surface's median level by this share of the way to the paper's."""
LIGHT_FIT_ROUNDS = 2
"""Rounds of fitting the light's gradient and telling paper from surface again by it."""
UNEVEN_LIGHT = 30.0
"""Light whose estimated paper brightness varies by more than this many grey levels over the
page is flattened."""


def find_page(image: Image.Image) -> NDArray[np.float64] | None:
    """The page's four corners (top-left, top-right, bottom-right, bottom-left; pixels of
    ``image``) when the photo shows a page lying on a darker surface; else None."""
    small = image.convert("L")
    small.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
    # Blurred and opened: the text on the paper and the specks on the surface disappear.
    small = small.filter(ImageFilter.GaussianBlur(2)).filter(ImageFilter.MinFilter(5))
    small = small.filter(ImageFilter.MaxFilter(5))
    raw = np.asarray(small, dtype=np.uint8)
    pixels = _evenly_lit(raw)
    threshold = _otsu(pixels)
    if threshold is None:
        return None
    # Paper is whatever is clearly brighter than the surface, not only what is as white as most
    # of it: a page's tinted header or a shaded corner stays paper.
    surface, sheet = np.median(pixels[pixels < threshold]), np.median(pixels[pixels >= threshold])
    paper = pixels >= surface + SURFACE_MARGIN * (sheet - surface)
    share = float(paper.mean())
    if not MIN_PAGE <= share <= MAX_PAGE:
        return None
    if float(raw[paper].mean()) - float(raw[~paper].mean()) < BACKGROUND_CONTRAST:
        return None
    if _surrounded(paper) < SURROUNDED:  # a shadow over one side of a scan, not a desk
        return None
    ys, xs = np.nonzero(paper)
    corners = np.array(
        [
            _extreme(xs, ys, -(xs + ys)),  # top-left
            _extreme(xs, ys, xs - ys),  # top-right
            _extreme(xs, ys, xs + ys),  # bottom-right
            _extreme(xs, ys, ys - xs),  # bottom-left
        ]
    )
    area = _area(corners)
    if area <= 0 or paper.sum() < MIN_FILL * area or not _convex(corners):
        return None
    frame = np.array(
        [[0, 0], [pixels.shape[1], 0], [pixels.shape[1], pixels.shape[0]], [0, pixels.shape[0]]]
    )
    if np.abs(corners - frame).max() < MIN_GAIN * max(pixels.shape):
        return None
    scale = np.array([image.width / pixels.shape[1], image.height / pixels.shape[0]])
    return np.asarray(corners * scale, dtype=np.float64)


def _evenly_lit(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``pixels`` with a light gradient across the photo divided out. The light falls on the
    paper and the surface alike, so in logarithms it is a plane added to two levels: the plane is
    fitted with one offset per class (paper or surface by Otsu's threshold, refined once). A
    shadowed corner of the paper is then brighter than the lit surface, not darker."""
    logs = np.log1p(pixels.astype(np.float64))
    ys, xs = np.mgrid[0 : pixels.shape[0], 0 : pixels.shape[1]]
    xs_, ys_ = xs.ravel() / pixels.shape[1] - 0.5, ys.ravel() / pixels.shape[0] - 0.5
    flat = logs
    for _ in range(LIGHT_FIT_ROUNDS):
        threshold = _otsu(_levels(flat))
        if threshold is None:
            return pixels
        paper = (_levels(flat) >= threshold).ravel().astype(np.float64)
        design = np.column_stack([np.ones_like(xs_), paper, xs_, ys_])
        coefficients, *_ = np.linalg.lstsq(design, logs.ravel(), rcond=None)
        flat = logs - (coefficients[2] * xs_ + coefficients[3] * ys_).reshape(logs.shape)
    return _levels(flat)


def _levels(logs: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Log brightness back to 0..255 grey levels, stretched to its range."""
    low, high = float(logs.min()), float(logs.max())
    scaled = (logs - low) * (255.0 / max(high - low, 1e-6))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _surrounded(paper: NDArray[np.bool_]) -> int:
    """On how many of the photo's four edges the surface shows along most of the edge."""
    edges = (paper[0], paper[-1], paper[:, 0], paper[:, -1])
    return sum(float(edge.mean()) <= 1 - EDGE_SURFACE for edge in edges)


def _extreme(xs: NDArray[np.intp], ys: NDArray[np.intp], key: NDArray[np.intp]) -> list[float]:
    """The paper pixel farthest along ``key``: a corner of the page (the pixel's outer edge)."""
    k = int(np.argmax(key))
    return [float(xs[k]) + 0.5, float(ys[k]) + 0.5]


def _area(corners: NDArray[np.float64]) -> float:
    x, y = corners[:, 0], corners[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _convex(corners: NDArray[np.float64]) -> bool:
    edges = np.roll(corners, -1, axis=0) - corners
    turns = edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1)
    return bool((turns > 0).all() or (turns < 0).all())


def warp_page(image: Image.Image, corners: NDArray[np.float64]) -> Image.Image:
    """The quadrilateral ``corners`` of ``image`` warped to an upright rectangle, as wide and as
    tall as its edges are long."""
    tl, tr, br, bl = corners
    width = round((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2)
    height = round((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    coefficients = homography(target, corners)
    return image.transform(
        (max(1, width), max(1, height)),
        Image.Transform.PERSPECTIVE,
        tuple(coefficients),
        resample=Image.Resampling.BICUBIC,
        fillcolor=255 if image.mode == "L" else (255, 255, 255),
    )


def homography(source: NDArray[np.float64], target: NDArray[np.float64]) -> list[float]:
    """The eight coefficients (Pillow's PERSPECTIVE order) mapping ``source`` points to
    ``target`` points: x' = (a x + b y + c) / (g x + h y + 1), y' likewise with d, e, f."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(values))
    return [float(c) for c in solution]


def flatten_page(image: Image.Image) -> Image.Image:
    """``image`` with a photographed page cut out and warped flat; any other image as it is."""
    corners = find_page(image)
    return image if corners is None else warp_page(image, corners)


def max_filter(grey: Image.Image, size: int) -> Image.Image:
    """Pillow's ``MaxFilter(size)`` (edges repeated), computed along rows then columns: the same
    pixels in 2 * size comparisons each instead of size squared (0.4 CPU s a page to 0.01)."""
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.pad(np.asarray(grey, dtype=np.uint8), size // 2, mode="edge")
    rows = sliding_window_view(padded, size, axis=1).max(axis=2)
    return Image.fromarray(sliding_window_view(rows, size, axis=0).max(axis=2), mode="L")


def flatten_light(grey: Image.Image) -> Image.Image:
    """A greyscale page with uneven light divided out: the paper's brightness is estimated
    everywhere (the text removed by a maximum filter on a reduced copy, then blurred) and each
    pixel divided by it. A page lit evenly is returned as it is."""
    small = grey.copy()
    small.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
    # A maximum filter wider than a text line's strokes keeps the paper; the blur smooths it.
    size = max(3, (max(small.size) // LIGHT_WINDOW) | 1)
    background = max_filter(small, size).filter(ImageFilter.GaussianBlur(size))
    levels = np.asarray(background, dtype=np.float64)
    inner = levels[size:-size, size:-size] if min(levels.shape) > 4 * size else levels
    low, high = np.percentile(inner, [2, 98])
    if high - low <= UNEVEN_LIGHT:
        return grey
    # In place in one float32 page (a 200 dpi A4 page: 15 MB; the expression took four).
    flat = np.asarray(background.resize(grey.size, Image.Resampling.BILINEAR), np.float32)
    np.maximum(flat, 1.0, out=flat)
    np.divide(np.float32(high), flat, out=flat)
    np.multiply(flat, np.asarray(grey, dtype=np.uint8), out=flat)
    np.clip(flat, 0, 255, out=flat)
    return Image.fromarray(flat.astype(np.uint8), mode="L")
