"""Characters recognisers confuse inside identifiers that carry a checksum.

An IBAN's check digits and its digit groups are read with letters of the same shape ("DEO2",
"1O1l"): the number no longer validates, and the extractor finds no IBAN. Only where the checksum
holds after the letters are read as the digits they resemble is the word mended, so a word that is
not an IBAN, or a letter that belongs there, is never changed. A VAT id is mended alike, or where
its number is all digits but for look-alikes inside it ("DEO96876543"): no VAT scheme puts an O
or I among its digits (a final letter may be a check letter, "CY10259033L", so it is kept).
"""

from __future__ import annotations

import re

from ...ids import check_vat_id, is_valid_iban, vat_id_country
from ..document import Word

_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_START = re.compile(r"^[A-Z]{2}[0-9OoIl|]{2}")  # a country code, then two check digits
_GROUP = re.compile(r"^[0-9A-Za-z|]{1,34}$")
MAX_IBAN = 34
# A VAT id in one word: its country prefix ("ATU", "CHE" or two letters), then its number.
_VAT_WORD = re.compile(r"^(ATU|CHE|[A-Z]{2})([0-9A-Za-z|]{8,13})$")
_LOOK_ALIKES = frozenset("OoIl|")


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


def mend_vat_ids(words: list[Word]) -> list[Word]:
    """``words`` with each VAT id read with look-alike letters in its number read with the
    digits: where its checksum then holds, or where the number is digits but for look-alikes
    before its last digit ("DEO96876543")."""
    return [_mended_vat_id(word) for word in words]


def _mended_vat_id(word: Word) -> Word:
    match = _VAT_WORD.match(word.text)
    if match is None or vat_id_country(match.group(1)[:2]) is None:
        return word
    prefix, number = match.groups()
    if not _LOOK_ALIKES.intersection(number) or check_vat_id(word.text) is True:
        return word
    mended = prefix + number.translate(_AS_DIGIT)
    digits = sum(c.isdigit() for c in number)
    digit_shaped = number[-1].isdigit() and digits * 2 > len(number)
    if check_vat_id(mended) is True or (
        digit_shaped and all(c.isdigit() or c in _LOOK_ALIKES for c in number)
    ):
        return Word(mended, word.x0, word.y0, word.x1, word.y1, word.page, word.confidence)
    return word
