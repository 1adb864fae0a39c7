"""Where each character the recogniser read lies on the page: rapidocr's ``CalRecBoxes`` computed
with arrays, one line at a time, instead of point by point in Python.

rapidocr spreads a line's characters over its crop by the recogniser's output columns, widens
each to the line's mean letter width, trims overlaps between neighbours, and maps the four
corners of each back through the line box's perspective. Point by point (with a deep copy of
every box and a sort of its corners) that took 16 % of a receipt's CPU time; here the same
integer corners come out (``tests/test_ocr_speed.py``). Lines the arrays do not cover (Chinese
characters, boxes standing upright) are handed to rapidocr's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Box = list[list[int]]


def line_boxes(
    fallback: Any, crops: list[NDArray[np.uint8]], boxes: Any, read: list[Any]
) -> list[list[Any]]:
    """``[text, score, character boxes, characters, character confidences]`` for each line,
    as ``fallback`` (rapidocr's ``CalRecBoxes``) gives them: ``read`` is the recogniser's output
    with its word information, ``crops`` the line images it read, ``boxes`` their boxes on the
    page."""
    result: list[list[Any]] = []
    for crop, box, (text, score, info) in zip(crops, boxes, read, strict=True):
        corners = np.asarray(box, dtype=np.float32)
        height, width = crop.shape[:2]
        if "cn" in info[3] or _upright(corners):
            result += fallback([crop], [box], [(text, score, info)])
            continue
        columns = [column for word in info[2] for column in word]
        characters = [character for word in info[1] for character in word]
        result.append(
            [text, score, _character_boxes(corners, width, height, text, info), characters, info[4]]
            if columns
            else [text, score, [], [], info[4]]
        )
    return result


def _upright(corners: NDArray[np.float32]) -> bool:
    """rapidocr's test for a line read top to bottom (its crop was turned a quarter)."""
    across = max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3]))
    down = max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))
    return int(down) / int(across) >= 1.5 if int(across) else True


def _character_boxes(
    corners: NDArray[np.float32], width: int, height: int, text: str, info: list[Any]
) -> list[Box]:
    """The four corners (page pixels) of each character of a line read left to right."""
    column_count, _, word_columns = info[0], info[1], info[2]
    cell = width / column_count
    widths = [
        (word[-1] - word[0]) * cell / (len(word) - 1) for word in word_columns if len(word) > 1
    ]
    letter = float(np.mean(widths)) if widths else width / len(text)
    centres = (np.array([c for word in word_columns for c in word], dtype=np.float64) + 0.5) * cell
    left = np.maximum(np.trunc(centres - letter / 2), 0)
    right = np.minimum(np.trunc(centres + letter / 2), width)
    # Neighbours that overlap meet halfway (each pair is compared before either moves).
    overlap = np.where(right[:-1] > left[1:], right[:-1] - left[1:], 0.0)
    right[:-1] -= overlap / 2
    left[1:] += overlap - overlap / 2
    # The crop's corners back onto the page, through the inverse of the crop's perspective.
    origin = np.array([int(corners[:, 0].min()), int(corners[:, 1].min())])
    shifted = (corners - origin).astype(np.float32)
    crop_width = int(np.linalg.norm(shifted[0] - shifted[1]))
    crop_height = int(np.linalg.norm(shifted[0] - shifted[3]))
    straight = np.array(
        [[0, 0], [crop_width, 0], [crop_width, crop_height], [0, crop_height]], dtype=np.float32
    )
    import cv2

    _, inverse = cv2.invert(cv2.getPerspectiveTransform(shifted, straight))
    count = len(centres)
    xs = np.stack([left, right, right, left], axis=1).ravel()
    ys = np.tile(np.array([0.0, 0.0, height, height]), count)
    points = np.stack([xs, ys, np.ones_like(xs)], axis=1).astype(np.float32) @ inverse.T
    page = np.trunc(points[:, :2] / points[:, 2:] + origin).astype(np.int64).reshape(count, 4, 2)
    return [_clockwise(corner) for corner in page]


def _clockwise(points: NDArray[np.int64]) -> Box:
    """A box's corners from the top-left, clockwise."""
    by_sum, by_diff = points.sum(axis=1), np.diff(points, axis=1).ravel()
    order = [by_sum.argmin(), by_diff.argmin(), by_sum.argmax(), by_diff.argmax()]
    return [[int(x), int(y)] for x, y in points[order]]
