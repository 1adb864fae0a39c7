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


def snap_rows(words: list[Word]) -> list[Word]:
    """``words`` with the words of each printed row given the row's height (the median top and
    bottom of its words). A word joins the row whose band it overlaps most, by at least
    ``ROW_OVERLAP``, unless it would cover a word already on that row (stacked rows)."""
    rows: list[list[Word]] = []
    bands: list[tuple[float, float]] = []
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        best, best_share = -1, ROW_OVERLAP
        for r in range(max(0, len(rows) - 4), len(rows)):
            top, bottom = bands[r]
            overlap = min(bottom, word.y1) - max(top, word.y0)
            share = overlap / max(min(bottom - top, word.height), 1e-6)
            if share >= best_share and not any(w.x0 < word.x1 and word.x0 < w.x1 for w in rows[r]):
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
    return [
        Word(w.text, w.x0, top, w.x1, bottom, w.page)
        for row, (top, bottom) in zip(rows, bands, strict=True)
        for w in row
    ]


def repair_lines(lines: list[Line]) -> list[Word]:
    """Every word of ``lines``, with split decimals joined and glued date-times split."""
    words: list[Word] = []
    for line in lines:
        words += _split_date_times(_join_dates(_join_decimals(line.words)))
    return words


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
        for end in range(min(len(words), k + 4), k + 1, -1):
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
            word = Word(prev.text + text, prev.x0, prev.y0, word.x1, word.y1, word.page)
            text = word.text
        if text != word.text:
            word = Word(text, word.x0, word.y0, word.x1, word.y1, word.page)
        m = _DATE_TIME.match(word.text)
        if m is None:
            out.append(word)
            continue
        cut = word.x0 + (word.x1 - word.x0) * len(m[1]) / len(word.text)
        out.append(Word(m[1], word.x0, word.y0, cut, word.y1, word.page))
        out.append(Word(m[2], cut, word.y0, word.x1, word.y1, word.page))
    return out
