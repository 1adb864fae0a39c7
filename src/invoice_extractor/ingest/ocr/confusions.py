"""Characters recognisers confuse inside identifiers that carry a checksum.

An IBAN's check digits and its digit groups are read with letters of the same shape ("DEO2",
"1O1l"): the number no longer validates, and the extractor finds no IBAN. Only where the checksum
holds after the letters are read as the digits they resemble is the word mended, so a word that is
not an IBAN, or a letter that belongs there, is never changed.
"""

from __future__ import annotations

import re

from ...ids import is_valid_iban
from ..document import Word

_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_START = re.compile(r"^[A-Z]{2}[0-9OoIl|]{2}")  # a country code, then two check digits
_GROUP = re.compile(r"^[0-9A-Za-z|]{1,34}$")
MAX_IBAN = 34


def mend_ibans(words: list[Word]) -> list[Word]:
    """``words`` of one line with each IBAN whose checksum fails only by look-alike letters
    ("DEO2 1203 ...") read with the digits."""
    out = list(words)
    for start, word in enumerate(words):
        if _START.match(word.text) is None:
            continue
        end, length = start, 0
        while end < len(words) and _GROUP.match(words[end].text):
            length += len(words[end].text)
            if length > MAX_IBAN:
                break
            end += 1
        for stop in range(end, start, -1):  # the longest run of groups that validates
            mended = _mended(words[start:stop])
            if mended is not None:
                out[start:stop] = mended
                break
    return out


def _mended(groups: list[Word]) -> list[Word] | None:
    """``groups`` with look-alike letters read as digits, when only then they form a valid IBAN
    (the country code kept; letters of the rest changed only where the checksum asks for it)."""
    text = "".join(w.text for w in groups)
    if len(text) < 15 or is_valid_iban(text):
        return None
    check = text[:2] + text[2:4].translate(_AS_DIGIT)
    for rest in (text[4:], text[4:].translate(_AS_DIGIT)):
        if is_valid_iban(check + rest):
            return _split_like(groups, check + rest)
    return None


def _split_like(groups: list[Word], text: str) -> list[Word]:
    """``text`` (as long as the groups' text) cut back into words as ``groups`` were."""
    out, at = [], 0
    for word in groups:
        piece = text[at : at + len(word.text)]
        at += len(word.text)
        out.append(Word(piece, word.x0, word.y0, word.x1, word.y1, word.page, word.confidence))
    return out
