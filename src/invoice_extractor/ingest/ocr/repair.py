"""Repairs of what OCR gets wrong in the layout of a line, before lines are built.

Rows: on a photographed slip the value at the right end of a row sits lower than its label (the
paper curves), and a bold label is taller than its value, so the two no longer share a centre;
``snap_rows`` gives the words of each printed row one common height. Numbers: a recogniser may put
a space after a decimal point ("64. 15", "RM 5. 83") or lose the one between a date and a time
("22/12/201714:03", "Mar201818:24"), breaking patterns that text layers never break.
"""

from __future__ import annotations

import itertools
import re
import statistics

from ..document import Line, Word
from .confusions import mend_ibans, mend_vat_ids

_HEAD = re.compile(r"^[-(]?(?:[A-Z]{1,3}\$?|\$|€|£)?\d[\d,.]*[.,]$")  # "64." "RM5." "1,234."
_CENTS = re.compile(r"^\d{2}(?![\d.,])")  # "15" "20)" "00*"
_I_FOR_L = re.compile(r"(?<=[a-z])I(?=[a-z])")  # "WorId": a capital I inside a lower-case word
_CAPS_WORD = re.compile(r"^(?=.*[A-Z].*[A-Z])[A-Z!|]{3,}$")  # capitals with "!" or "|" for I
_S_DOLLAR = re.compile(r"^S(\d{1,3}(?:,\d{3})*\.\d{2})$")
_DATE = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1\d{2}(?:\d{2})?$")
_DATE_PART = re.compile(r"^[\d/.-]+$")
_DATE_TIME = re.compile(
    r"^((?:\d{1,2}[/.-]\d{1,2}[/.-]|[A-Za-z]{3,9}\.?)(?:19|20)\d{2})(\d{1,2}[:.]\d{2}.*)$"
)
MAX_POINT_GAP = 1.2
"""A gap after a decimal point narrower than this share of the text height is no space."""
ROW_OVERLAP = 0.5
"""Words overlapping a row's band by this share of the lower one's height are on that row."""
STACKED = 0.3
CAP_HEIGHT, X_HEIGHT, DESCENT = 0.72, 0.52, 0.21
"""Heights of capitals, of small letters and of descenders, as shares of the type size (the
usual values of text faces such as Helvetica, Arial and Times)."""
_ASCENDERS = frozenset("bdfhklt")
_DESCENDERS = frozenset("gjpqy()[]{}|,;")
MAX_DATE_PIECES = 8
"""A date printed spaced out ("1 4 / 03 /2018") comes in up to this many pieces."""


def snap_rows(words: list[Word]) -> list[Line]:
    """The printed rows of ``words``, top to bottom, each word given its row's height (the
    median top and bottom of its words). A word joins the row whose band it overlaps most, by at
    least ``ROW_OVERLAP``, unless it would cover a word already on that row: then the two are
    stacked rows (the lines of a slanted letterhead), which stay apart."""
    rows: list[list[Word]] = []
    bands: list[tuple[float, float]] = []
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        best, best_share = -1, ROW_OVERLAP
        for r in range(max(0, len(rows) - 4), len(rows)):
            top, bottom = bands[r]
            overlap = min(bottom, word.y1) - max(top, word.y0)
            share = overlap / max(min(bottom - top, word.height), 1e-6)
            if share >= best_share and not any(_covers(w, word) for w in rows[r]):
                best, best_share = r, share
        if best < 0:
            rows.append([word])
            bands.append((word.y0, word.y1))
        else:
            rows[best].append(word)
            bands[best] = (
                statistics.median(w.y0 for w in rows[best]),
                statistics.median(w.y1 for w in rows[best]),
            )
    order = sorted(range(len(rows)), key=lambda r: (bands[r][0] + bands[r][1], bands[r][0]))
    lines = []
    for r in order:
        top, bottom = em_band(*bands[r], "".join(w.text for w in rows[r]))
        words = [Word(w.text, w.x0, top, w.x1, bottom, w.page, w.confidence) for w in rows[r]]
        lines.append(Line(sorted(words, key=lambda w: w.x0)))
    return lines


def em_band(top: float, bottom: float, text: str) -> tuple[float, float]:
    """The type size band of a row of ink: OCR boxes hug the ink (capitals alone are 0.72 of the
    type size, with descenders 0.93), while a text layer's boxes span the type size, which the
    extractor's gaps and distances are measured in. From the letters printed, the band is scaled
    to the type size around the baseline (0.8 above it, 0.2 below)."""
    tall = any(c.isupper() or c.isdigit() or c in _ASCENDERS for c in text)
    deep = any(c in _DESCENDERS for c in text)
    ink = bottom - top
    if ink <= 0:
        return top, bottom
    above = CAP_HEIGHT if tall else X_HEIGHT
    size = ink / (above + (DESCENT if deep else 0.0))
    baseline = bottom - (DESCENT * size if deep else 0.0)
    return baseline - 0.8 * size, baseline + 0.2 * size


def _covers(a: Word, b: Word) -> bool:
    """Whether two words stand one above the other: they share over ``STACKED`` of the narrower
    one's width and their centres lie apart by over ``STACKED`` of the lower one's height.
    (Neighbours on one row may overlap widely when an engine pads the box of a bold word, but
    they share their centre line.)"""
    shared = min(a.x1, b.x1) - max(a.x0, b.x0)
    return shared > STACKED * max(min(a.x1 - a.x0, b.x1 - b.x0), 1e-6) and abs(
        a.cy - b.cy
    ) > STACKED * min(a.height, b.height)


def repair_lines(lines: list[Line]) -> list[Line]:
    """``lines`` with split decimals joined, glued date-times split and IBANs read with
    look-alike letters mended (``confusions``)."""
    return [
        Line(mend_vat_ids(mend_ibans(_split_date_times(_join_dates(_join_decimals(line.words))))))
        for line in lines
    ]


def _join_decimals(words: list[Word]) -> list[Word]:
    """ "64." "15" -> "64.15"."""
    out: list[Word] = []
    for word in words:
        prev = out[-1] if out else None
        if (
            prev is not None
            and _HEAD.match(prev.text)
            and _CENTS.match(word.text)
            and word.x0 - prev.x1 <= MAX_POINT_GAP * max(prev.height, word.height, 1.0)
        ):
            out[-1] = Word(
                prev.text + word.text,
                prev.x0,
                min(prev.y0, word.y0),
                word.x1,
                max(prev.y1, word.y1),
                word.page,
                min(prev.confidence, word.confidence),
            )
        else:
            out.append(word)
    return out


def _join_dates(words: list[Word]) -> list[Word]:
    """A date cut into pieces by a till's padding or a monospaced font: "5/" "3/2018",
    "20" "/03/20" "18" -> one word, when the pieces sit close together."""
    out: list[Word] = []
    k = 0
    while k < len(words):
        joined = None
        for end in range(min(len(words), k + MAX_DATE_PIECES), k + 1, -1):
            parts = words[k:end]
            text = "".join(w.text for w in parts)
            if (
                all(_DATE_PART.match(w.text) for w in parts)
                and _DATE.match(text)
                and all(
                    b.x0 - a.x1 <= MAX_POINT_GAP * max(a.height, b.height, 1.0)
                    for a, b in itertools.pairwise(parts)
                )
            ):
                joined = Word(
                    text,
                    parts[0].x0,
                    min(w.y0 for w in parts),
                    parts[-1].x1,
                    max(w.y1 for w in parts),
                    parts[0].page,
                    min(w.confidence for w in parts),
                )
                k = end
                break
        if joined is None:
            joined = words[k]
            k += 1
        out.append(joined)
    return out


def _split_date_times(words: list[Word]) -> list[Word]:
    """ "22/12/201714:03" -> "22/12/2017" "14:03"; and letters recognisers confuse: "S8.20" ->
    "$8.20", "WorId" -> "World", "JIAWE!" -> "JIAWEI", "Nando’ s" -> "Nando’s"."""
    out: list[Word] = []
    for word in words:
        dollar = _S_DOLLAR.match(word.text)
        text = "$" + dollar[1] if dollar is not None else _I_FOR_L.sub("l", word.text)
        if _CAPS_WORD.match(text):
            text = text.replace("!", "I").replace("|", "I")  # "JIAWE!" -> "JIAWEI"
        if text == "s" and out and out[-1].text[-1:] in "'’":  # "Nando’ s" -> "Nando’s"
            prev = out.pop()
            word = Word(
                prev.text + text,
                prev.x0,
                prev.y0,
                word.x1,
                word.y1,
                word.page,
                min(prev.confidence, word.confidence),
            )
            text = word.text
        if text != word.text:
            word = Word(text, word.x0, word.y0, word.x1, word.y1, word.page, word.confidence)
        m = _DATE_TIME.match(word.text)
        if m is None:
            out.append(word)
            continue
        cut = word.x0 + (word.x1 - word.x0) * len(m[1]) / len(word.text)
        out.append(Word(m[1], word.x0, word.y0, cut, word.y1, word.page, word.confidence))
        out.append(Word(m[2], cut, word.y0, word.x1, word.y1, word.page, word.confidence))
    return out
