"""Identifiers found anywhere on the page by pattern, confirmed by checksum (VAT ids, IBAN, BIC)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...ids import (
    check_vat_id,
    is_valid_bic,
    is_valid_iban,
    normalize_iban,
    normalize_vat_id,
    vat_id_country,
)
from ...ingest.document import Word
from .fields import PageIndex
from .values import words_in_span

# Each id starts with a bare capital so the regex engine can skip the other positions in C (a
# pattern that starts with a look-behind is tried at every position, two to three times slower
# over a page's lines); "not inside a word" therefore looks behind that first capital, and the
# prefixes "ATU" and "CHE" look back at it ("(?<=A)TU").
_VAT = re.compile(
    r"[A-Z](?<![A-Z0-9][A-Z])(?:(?<=A)TU|(?<=C)HE|[A-Z])"
    r"[ \-.]?[0-9A-Z](?:[ \-.]?[0-9A-Z]){7,13}(?![A-Z0-9])"
)
_IBAN = re.compile(r"[A-Z](?<![A-Z0-9][A-Z])[A-Z][0-9]{2}(?:[ ]?[A-Z0-9]){10,30}(?![A-Z0-9])")
_BIC = re.compile(r"(?<![A-Z0-9])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Z0-9])")
_BUYER_HINTS = re.compile(
    r"(?i)\b(ihre|your|votre|vos|client|customer|kunde|kunden|buyer|k[aä]ufer|acheteur|"
    r"destinataire|cliente|klant|empf[aä]nger)\b"
)


@dataclass(slots=True)
class IdHit:
    value: str
    words: list[Word]
    line_index: int
    buyer_hint: bool
    checked: bool  # the checksum confirmed it (or it was labelled)


def find_vat_ids(index: PageIndex) -> list[IdHit]:
    """VAT ids confirmed by checksum, or printed right after a VAT-id label (then the checks
    warn if the checksum fails: the value is on the page either way)."""
    # Per line, the first word after a VAT-id label (punctuation skipped).
    after_label: dict[int, Word] = {}
    for hit in index.labels("seller_vat"):
        rest = index.right_of(hit)
        if rest:
            after_label.setdefault(hit.line_index, rest[0])
    hits: list[IdHit] = []
    for i, line in enumerate(index.lines):
        # The joined text only widens some spaces of the line's text, and a VAT id holds no
        # two spaces running: without a match in the line's text there is none to find.
        if _VAT.search(line.text) is None:
            continue
        text, starts = index.joined(i)
        labelled_line = i in after_label
        for m in _VAT.finditer(text):
            # An uppercase run ("INVOICE NUMBER") whose letters prefix no known scheme has no
            # checksum to pass: it is kept only right after a VAT-id label.
            if not labelled_line and vat_id_country(m.group(0)[:2]) is None:
                continue
            value, end = _vat_prefix(m.group(0))
            checked = check_vat_id(value)
            used = words_in_span(line.words, starts, m.start(), m.start() + end)
            if checked is not True:
                labelled = after_label.get(i) is used[0]
                if checked is False and not labelled:
                    continue
                if checked is None and not (labelled and value[:2].isalpha()):
                    continue
            before = text[: m.start()]
            hits.append(IdHit(value, used, i, bool(_BUYER_HINTS.search(before)), True))
    return hits


_GROUP_SEP = re.compile(r"[ \-.]")


def _vat_prefix(text: str) -> tuple[str, int]:
    """The VAT id inside a greedy match of spaced groups ("FR 11 123 456 782 C" -> FR11...782):
    the longest prefix of groups whose checksum holds, else the groups before a trailing letter
    group. Returns the normalised id and the length of the text it came from."""
    cuts = [m.start() for m in _GROUP_SEP.finditer(text)] + [len(text)]
    for end in reversed(cuts):
        if end >= 8 and check_vat_id(normalize_vat_id(text[:end])) is True:
            return normalize_vat_id(text[:end]), end
    end = len(text)
    for cut in reversed(cuts[:-1]):
        tail = text[cut + 1 : end]
        if tail[:1].isalpha() and cut >= 8:
            end = cut
        else:
            break
    return normalize_vat_id(text[:end]), end


def find_ibans(index: PageIndex) -> list[IdHit]:
    hits: list[IdHit] = []
    for i, line in enumerate(index.lines):
        if not index.has_digit(i):
            continue  # an IBAN's check digits
        text, starts = index.joined(i)
        upper = text.upper()
        for m in _IBAN.finditer(upper):
            # The pattern is greedy over spaced groups: shrink until the checksum holds.
            groups = m.group(0).split(" ")
            for end in range(len(groups), 0, -1):
                candidate = normalize_iban("".join(groups[:end]))
                if len(candidate) >= 15 and is_valid_iban(candidate):
                    span_end = m.start() + len(" ".join(groups[:end]))
                    used = words_in_span(line.words, starts, m.start(), span_end)
                    hits.append(IdHit(candidate, used, i, False, True))
                    break
    return hits


def labelled_iban(index: PageIndex) -> list[IdHit]:
    """What follows an "IBAN" label, even when its checksum fails (the checks then warn)."""
    hits: list[IdHit] = []
    for hit in index.labels("iban"):
        words = index.right_of(hit)
        parts: list[Word] = []
        for word in words:
            token = word.text.strip(":")
            # A comma or semicolon ends the value: "IBAN DE37 0800 ... 89, SWIFT/BIC: ...".
            ends = token[-1:] in (",", ";")
            token = token.rstrip(",;")
            if not token.isalnum() or (parts and not token.isdigit() and len(token) > 4):
                break
            parts.append(word)
            if ends:
                break
        value = normalize_iban("".join(w.text.strip(":").rstrip(",;") for w in parts))
        if len(value) >= 12 and value[:2].isalpha() and value[2:4].isdigit():
            hits.append(IdHit(value, parts, hit.line_index, False, is_valid_iban(value)))
    return hits


def find_bics(index: PageIndex) -> list[IdHit]:
    hits: list[IdHit] = []
    for hit in index.labels("bic"):
        for word in index.right_of(hit)[:3]:
            token = word.text.strip(":,;()")
            if _BIC.fullmatch(token) and is_valid_bic(token):
                hits.append(IdHit(token, [word], hit.line_index, False, True))
                break
    return hits
