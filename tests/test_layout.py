"""Words into lines: rows by vertical centre, left to right, overprinted words once."""

from __future__ import annotations

import random

import pytest

from invoice_extractor.ingest.document import Line, Word
from invoice_extractor.ingest.layout import build_lines


def _reference(words: list[Word]) -> list[list[Word]]:
    """The rule as first written (sorted by centre then x0, one sweep, a running mean centre)."""
    ordered = sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0))
    rows: list[list[Word]] = []
    centre = height = 0.0
    for word in ordered:
        cy = (word.y0 + word.y1) / 2
        h = max(word.y1 - word.y0, 1.0)
        if rows and abs(cy - centre) <= min(height, h) * 0.5:
            rows[-1].append(word)
            centre += (cy - centre) / len(rows[-1])
            height = max(height, h)
        else:
            rows.append([word])
            centre, height = cy, h
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        kept: list[Word] = []
        for word in row:
            if kept and kept[-1].text == word.text and abs(kept[-1].x0 - word.x0) < 1.0:
                continue
            kept.append(word)
        lines.append(kept)
    return lines


def _words(seed: int) -> list[Word]:
    rng = random.Random(seed)
    words = []
    for n in range(rng.randint(1, 120)):
        x0 = rng.choice([10.0, 50.0, 50.5, 120.0, rng.uniform(0, 500)])
        y0 = rng.choice([100.0, 100.4, 112.0, rng.uniform(0, 800)])
        height = rng.choice([0.2, 0.9, 1.0, 8.0, 10.0, rng.uniform(0.1, 30)])
        text = rng.choice(["Total", "EUR", "1.00", f"w{n}"])
        words.append(Word(text, x0, y0, x0 + 20, y0 + height))
        if rng.random() < 0.1:  # fake bold: the same word printed again a hair to the right
            words.append(Word(text, x0 + 0.3, y0, x0 + 20.3, y0 + height))
    return words


@pytest.mark.parametrize("seed", range(300))
def test_lines_follow_the_rule(seed: int) -> None:
    words = _words(seed)
    assert [line.words for line in build_lines(words)] == _reference(words)


def test_rows_top_to_bottom_left_to_right_with_overprint_dropped() -> None:
    words = [
        Word("right", 300, 100, 340, 110),
        Word("left", 50, 101, 80, 111),
        Word("left", 50.4, 101, 80.4, 111),  # printed twice: kept once
        Word("below", 50, 130, 90, 140),
        Word("tiny", 400, 107.8, 410, 108.2),  # a sliver of a word, its height counted as 1 pt
    ]
    lines = build_lines(words)
    assert [[w.text for w in line.words] for line in lines] == [
        ["left", "right"],
        ["tiny"],
        ["below"],
    ]
    assert all(isinstance(line, Line) for line in lines)
    assert build_lines([]) == []
