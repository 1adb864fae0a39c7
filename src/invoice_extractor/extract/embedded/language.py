"""Which language a page is written in, from a few frequent words (enough for labels and dates)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import chain

from .lexicon import FREQUENT_WORDS
from .text import fold

_MARKERS = FREQUENT_WORDS


def _languages_of_markers() -> dict[str, tuple[str, ...]]:
    """Marker word -> the languages it marks, in the order of ``_MARKERS`` (on a tie in the
    counts the language counted first wins): one look-up per word instead of one per language."""
    languages: dict[str, tuple[str, ...]] = {}
    for lang, markers in _MARKERS.items():
        for marker in markers:
            languages[marker] = (*languages.get(marker, ()), lang)
    return languages


_LANGUAGES_OF = _languages_of_markers()


@lru_cache(maxsize=65536)
def languages_of(word: str) -> tuple[str, ...]:
    """The languages a word marks (most words: none). Memoised: a document repeats its words,
    and every word of every document is asked."""
    return _LANGUAGES_OF.get(fold(word).strip(".,:;()"), ())


def detect_language(words: list[str]) -> str | None:
    # Counted in C, in the words' order: on a tie the language met first wins, as before.
    counts = Counter(chain.from_iterable(map(languages_of, words)))
    if not counts:
        return None
    return counts.most_common(1)[0][0]
