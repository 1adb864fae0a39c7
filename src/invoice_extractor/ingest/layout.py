"""Words into lines: the reading order the extractors walk."""

from __future__ import annotations

from operator import attrgetter

from .document import Line, Word

_X0 = attrgetter("x0")


def build_lines(words: list[Word]) -> list[Line]:
    """Group words into visual rows (top to bottom), each sorted left to right.

    A word joins a row when its vertical centre lies within half a line height of the row's centre;
    rows are built in one sweep over words sorted by centre, so this is O(n log n).
    """
    if not words:
        return []
    # Centres and heights are computed inline (Word.cy, Word.height), each centre once for the
    # sort and the sweep: this runs on every word. The index breaks ties as a stable sort would.
    keyed = sorted([((w.y0 + w.y1) / 2, w.x0, i) for i, w in enumerate(words)])
    rows: list[list[Word]] = []
    row: list[Word] = []
    centre = height = 0.0
    for cy, _, i in keyed:
        word = words[i]
        h = word.y1 - word.y0
        if h < 1.0:  # max(h, 1.0), and below min(height, h), spelled out: this is the hot loop
            h = 1.0
        if row and abs(cy - centre) <= (h if h < height else height) * 0.5:
            row.append(word)
            # Running mean keeps the row centre stable against one taller word.
            centre += (cy - centre) / len(row)
            if h > height:
                height = h
        else:
            row = [word]
            rows.append(row)
            centre, height = cy, h
    lines = []
    for row in rows:
        if len(row) > 1:
            row.sort(key=_X0)
            row = _drop_overprint(row)
        lines.append(Line(row))
    return lines


def _drop_overprint(row: list[Word]) -> list[Word]:
    """Remove words printed twice at the same place (fake bold), which would double values."""
    kept: list[Word] = []
    for word in row:
        if kept:
            prev = kept[-1]
            if prev.text == word.text and abs(prev.x0 - word.x0) < 1.0:
                continue
        kept.append(word)
    return kept
