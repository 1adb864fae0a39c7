"""Patterns rewritten to start with a bare character class (so the regex engine skips the other
positions in C) find exactly what their look-behind-first originals found, on generated text."""

from __future__ import annotations

import random
import re

import pytest

from invoice_extractor.extract.embedded.patterns import _IBAN, _VAT
from invoice_extractor.extract.embedded.taxes import _PERCENT

# The patterns as they were written before: "not inside a word" looked behind the match start.
_ORIGINALS = {
    "vat": (
        _VAT,
        r"(?<![A-Z0-9])(?:ATU|CHE|[A-Z]{2})[ \-.]?[0-9A-Z](?:[ \-.]?[0-9A-Z]){7,13}(?![A-Z0-9])",
    ),
    "iban": (_IBAN, r"(?<![A-Z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){10,30}(?![A-Z0-9])"),
    "percent": (_PERCENT, r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%"),
}

_PIECES = (
    "ATU12345678", "ATU 1234 5678", "CHE-123.456.789", "CHE123456789 MWST", "DE 123 456 789",
    "FR11123456782", "XATU12345678", "1ATU12345678", "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000", "GB29NWBK60161331926819", "aDE89370400440532013000",
    "19%", "19 %", "7,5 %", "7.25%", "100%", "1.19%", "0,19%", "5%%", "12,345%", "VAT 20%",
    "A", "AT", "ATU", "CH", "CHE", "C", "U", "-", ".", ",", " ", "  ", "\u00a0", "%", "x", "é",
)  # fmt: skip
_ALPHABET = "ACEHTUXZaz0123456789 .,-%/\u00a0"


def _texts(seed: int, count: int) -> list[str]:
    """Ids, rates and their near misses glued, spaced and mixed with random characters."""
    rng = random.Random(seed)
    texts = list(_PIECES)
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(1, 7)):
            if rng.random() < 0.5:
                parts.append(rng.choice(_PIECES))
            else:
                parts.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(1, 16))))
        texts.append(rng.choice(("", " ", "-", ".")).join(parts))
    return texts


def _found(pattern: re.Pattern[str], text: str, pos: int = 0) -> list[tuple[object, ...]]:
    return [(m.span(), m.group(0), m.groups()) for m in pattern.finditer(text, pos)]


@pytest.mark.parametrize("name", sorted(_ORIGINALS))
def test_first_char_patterns_find_what_the_originals_found(name: str) -> None:
    rewritten, source = _ORIGINALS[name]
    original = re.compile(source)
    texts = _texts(seed=len(name), count=3000)
    hits = 0
    for text in texts:
        expected = _found(original, text)
        assert _found(rewritten, text) == expected, text
        hits += len(expected)
        # A search started inside the text still sees the characters before it.
        for pos in (1, len(text) // 2):
            assert _found(rewritten, text, pos) == _found(original, text, pos), (text, pos)
    assert hits > 100  # the generated texts do hold ids and rates
