"""Which language a page is written in, from a few frequent words (enough for labels and dates)."""

from __future__ import annotations

from collections import Counter

from .lexicon import FREQUENT_WORDS
from .text import fold

_MARKERS = FREQUENT_WORDS


def detect_language(words: list[str]) -> str | None:
    counts: Counter[str] = Counter()
    for word in words:
        key = fold(word).strip(".,:;()")
        for lang, markers in _MARKERS.items():
            if key in markers:
                counts[lang] += 1
    if not counts:
        return None
    return counts.most_common(1)[0][0]
