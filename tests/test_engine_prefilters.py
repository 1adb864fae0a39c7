"""Candidate generation's shortcuts: each finds what the plain way finds, on generated text."""

from __future__ import annotations

import random

from invoice_extractor.extract.embedded.labels import _ALIKE_ANCHORS, _EVERY_ANCHOR, _lines_holding


def _plain_lines_holding(lines: list[str], anchors: tuple[str, ...]) -> dict[str, list[int]]:
    """Each anchor -> the lines it stands in, one substring test per anchor and line."""
    found: dict[str, list[int]] = {}
    for anchor in anchors:
        for i, line in enumerate(lines):
            if anchor in line:
                found.setdefault(anchor, []).append(i)
    return found


def _generated_lines(rng: random.Random, anchors: tuple[str, ...], count: int) -> list[str]:
    """Lines of anchors, their prefixes, suffixes and overlaps glued or spaced, and noise."""
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 6)):
            anchor = rng.choice(anchors)
            cut = rng.randrange(0, len(anchor) + 1)
            parts.append(
                rng.choice(
                    [
                        anchor,
                        anchor[:cut],
                        anchor[cut:],
                        anchor + rng.choice(anchors),  # glued: overlapping and nested anchors
                        anchor[:cut] + rng.choice(anchors)[cut:],
                        "".join(rng.choice("abcdeilnorst 0123:.-") for _ in range(5)),
                    ]
                )
            )
        lines.append(rng.choice([" ", "", "  "]).join(parts))
    return lines


def test_the_anchor_trie_finds_every_anchor_on_every_line_it_stands_in() -> None:
    rng = random.Random(11)
    for anchors in (_EVERY_ANCHOR, _ALIKE_ANCHORS):
        for _ in range(200):
            lines = _generated_lines(rng, anchors, rng.randrange(0, 8))
            assert _lines_holding(lines, anchors) == _plain_lines_holding(lines, anchors), lines


def test_the_anchor_trie_finds_an_anchor_inside_a_longer_one() -> None:
    anchors = ("bill", "billing", "ill", "in", "ing")
    lines = ["billing", "bil", "xbillx", "", "ingbill"]
    assert _lines_holding(lines, anchors) == _plain_lines_holding(lines, anchors)
    assert _lines_holding(lines, anchors)["ill"] == [0, 2, 4]
