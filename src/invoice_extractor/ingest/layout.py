"""Words into lines: the reading order the extractors walk."""

from __future__ import annotations

from .document import Line, Word


def build_lines(words: list[Word]) -> list[Line]:
    """Group words into visual rows (top to bottom), each sorted left to right.

    A word joins a row when its vertical centre lies within half a line height of the row's centre;
    rows are built in one sweep over words sorted by centre, so this is O(n log n).
    """
    if not words:
        return []
    # Centres and heights are computed inline (Word.cy, Word.height): this runs on every word.
    ordered = sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0))
    rows: list[list[Word]] = []
    centre = height = 0.0
    for word in ordered:
        cy = (word.y0 + word.y1) / 2
        h = max(word.y1 - word.y0, 1.0)
        if rows and abs(cy - centre) <= min(height, h) * 0.5:
            row = rows[-1]
            row.append(word)
            # Running mean keeps the row centre stable against one taller word.
            centre += (cy - centre) / len(row)
            height = max(height, h)
        else:
            rows.append([word])
            centre, height = cy, h
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        lines.append(Line(_drop_overprint(row)))
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
