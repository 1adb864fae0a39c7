"""Dates in invoice text: numeric forms and written months in EN, DE, FR, ES, IT and NL.

One precompiled regex, anchored on a digit, covers every supported form, so that ``find_dates``
is one fast scan per line (it runs on every line of every page). Numeric dates whose day and
month are both <= 12 are resolved with a :data:`DateOrder`, which :func:`guess_date_order`
infers from the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from .code_cache import compile_regex
from .lexicon import MONTH_NAMES

__all__ = ["DateMatch", "DateOrder", "find_dates", "guess_date_order", "parse_date"]

DateOrder = Literal["DMY", "MDY", "YMD"]

# Invoices outside this window are implausible; rejecting them keeps ids and numbers out.
_MIN_YEAR, _MAX_YEAR = 1990, 2100

# Lower-case month names and abbreviations (with and without accents) per month, from every
# language's lexicon. No name may map to two months; shared abbreviations ("mar", "nov") agree.
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(MONTH_NAMES, start=1):
    for _name in _names:
        if _MONTHS.setdefault(_name, _number) != _number:
            raise AssertionError(f"month name {_name!r} is listed twice")


def _month_pattern() -> str:
    # One alternative per first letter, spelled as a case-free class ("[mM]"): the regex engine
    # skips alternatives that start with a class cheaply, but not case-insensitive literals.
    # Longest first within a letter so that "march" is tried before "mar".
    groups: dict[str, list[str]] = {}
    for name in sorted(_MONTHS, key=len, reverse=True):
        groups.setdefault(name[0], []).append(re.escape(name[1:]))
    alternatives = (f"[{c}{c.upper()}](?i:{'|'.join(rest)})" for c, rest in groups.items())
    return r"(?<![^\W\d_])(?:" + "|".join(alternatives) + r")(?![^\W\d_])"


_MONTH = _month_pattern()
# Every pattern starts with a bare digit so the regex engine can skip non-digit positions in C;
# the "not inside a word, number or date" check therefore looks behind that first digit.
_FIRST = r"(?P<d1>\d)(?<![\w.,/]\d)"
_END = r"(?!\d)(?![.,]\d)"  # letters may follow: PDF text often loses the space after a date
# A till prints its time stamp right after the date and OCR may lose the space between them
# ("2024-03-1214:05", "12.03.202414:05"): a time of day (hours, colon, minutes) may follow.
_GLUED_TIME = r"(?=\d{1,2}:[0-5]\d(?!\d))"
_DATE_END = rf"(?:{_END}|{_GLUED_TIME})"

# Branch groups hold the digits after ``d1``; _resolve prepends it again.
_DATE_RE = compile_regex(
    _FIRST
    + r"(?:"
    # 2024-03-31, 2024/03/31, 2024.03.31
    + r"(?P<iso>(?P<iy>\d{3})(?P<isep>[-./])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2}))"
    # 31.03.2024, 03/31/2024, 31-03-24, 31. 03. 2024
    + r"|(?P<num>(?P<na>\d?)(?P<nsep>\.[ ]?|/|-)(?P<nb>\d{1,2})(?P=nsep)(?P<ny>\d{4}|\d{2}))"
    # 20240331
    + r"|(?P<compact>(?P<cy>\d{3})(?P<cm>[01]\d)(?P<cd>[0-3]\d))"
    # 31. März 2024, 1er mars 2024, 31 de marzo de 2024, 31st March 2024, 31-MAR-24
    + r"|(?P<dmy>(?P<wd>\d?)(?:\.|st|nd|rd|th|er|re|º|°)?[ \t.\-/]*(?:de[ \t]+)?"
    + rf"(?P<wm>{_MONTH})\.?[ \t.\-/,']*(?:del?[ \t]+)?(?P<wy>\d{{4}}|\d{{2}}))"
    # "31, 2024" of "March 31, 2024" / "Sep 13 2022"; the month word before it is checked by
    # _resolve (four-digit year only: "May 5 12" is noise).
    + r"|(?P<mdy>(?P<vd>\d?)(?:st|nd|rd|th)?(?:,[ \t]*|[ \t]+)(?P<vy>\d{4}))"
    + r")"
    + _DATE_END
)
_MONTH_BEFORE_RE = re.compile(r"(?<![^\W\d_])([^\W\d_]{3,10})\.?[ \t]*\Z")
_NUMERIC_DATE_RE = re.compile(
    _FIRST + r"(?P<a>\d?)(?P<sep>\.[ ]?|/|-)(?P<b>\d{1,2})(?P=sep)(?:\d{4}|\d{2})" + _END
)
_TWO_DIGIT_YEAR_SEP_RE = re.compile(r"[-./']")
_STRIP = " \t\r\n\u00a0.,;:()[]"
# English-speaking regions that write day first; "en" alone means the US convention.
# Taxes and currencies of English-writing day-first regions (the US has sales tax and "$").
_DAY_FIRST_HINT = compile_regex(
    r"(?i)(?<![^\W\d_])(?:vat|gst|sst|rm|myr|sgd|s\$|gbp|eur|aud|nzd|inr|rs\.?|hkd)(?![^\W\d_])|[£€₹]"
)
_EN_DMY_REGIONS = frozenset({"gb", "uk", "ie", "au", "nz", "in", "za", "sg", "hk", "mt"})


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in a line; ``ambiguous`` if day and month could be swapped."""

    start: int
    end: int
    value: date
    text: str
    ambiguous: bool


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # two-digit years: 00-69 -> 2000s, 70-99 -> 1900s
        year += 2000 if year < 70 else 1900
    return year


def _make(year: int, month: int, day: int) -> date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _resolve(m: re.Match[str], order: DateOrder | None) -> tuple[int, date, bool] | None:
    """Turn a match of ``_DATE_RE`` into (start, date, ambiguous), or None if it is no date."""
    d1, kind, start = m["d1"], m.lastgroup, m.start()  # the branch's outer group closes last
    ambiguous = False
    if kind == "iso":
        value = _make(int(d1 + m["iy"]), int(m["im"]), int(m["id"]))
    elif kind == "compact":
        value = _make(int(d1 + m["cy"]), int(m["cm"]), int(m["cd"]))
    elif kind == "dmy":
        year = m["wy"]
        if len(year) == 2 and not _TWO_DIGIT_YEAR_SEP_RE.search(
            m.string, m.end("wm"), m.start("wy")
        ):
            return None  # "1 Set 12 Stk": a two-digit year needs "31-Mar-24" style punctuation
        value = _make(_year(year), _MONTHS[m["wm"].lower()], int(d1 + m["wd"]))
    elif kind == "mdy":
        word = _MONTH_BEFORE_RE.search(m.string, max(0, start - 16), start)
        month = _MONTHS.get(word[1].lower()) if word else None
        if word is None or month is None:
            return None
        start = word.start()
        value = _make(int(m["vy"]), month, int(d1 + m["vd"]))
    else:
        a, b, year_num = int(d1 + m["na"]), int(m["nb"]), _year(m["ny"])
        # A part above 12 can only be the day, whatever the order says.
        ambiguous = a <= 12 and b <= 12 and a != b
        month_first = b > 12 or (a <= 12 and order == "MDY")
        value = _make(year_num, a, b) if month_first else _make(year_num, b, a)
    return None if value is None else (start, value, ambiguous)


def parse_date(text: str, order: DateOrder | None = None) -> date | None:
    """Parse a token or short phrase that is exactly one date (surrounding punctuation allowed).

    ``order`` resolves numeric dates whose first two parts are both <= 12 (default DMY; "YMD"
    only matters for forms that start with the year, which are always read as YMD).
    """
    token = text.strip(_STRIP)
    found = find_dates(token, order)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(token):
        return found[0].value
    return None


def find_dates(text: str, order: DateOrder | None = None) -> list[DateMatch]:
    """Find every date in a line; spans index into ``text``."""
    return list(_dates_in(text, order))


@lru_cache(maxsize=16384)  # the receipt, terms and label rules read the same lines
def _dates_in(text: str, order: DateOrder | None) -> tuple[DateMatch, ...]:
    found: list[DateMatch] = []
    pos = end = 0
    while (m := _DATE_RE.search(text, pos)) is not None:
        hit = _resolve(m, order)
        if hit is None or hit[0] < end:
            pos = m.start() + 1  # not a date; a real one may still start inside the match
            continue
        start, value, ambiguous = hit
        pos = end = m.end()
        found.append(DateMatch(start, end, value, text[start:end], ambiguous))
    return tuple(found)


def guess_date_order(texts: Iterable[str], language: str | None = None) -> DateOrder:
    """Infer the document's numeric date order ("DMY" or "MDY").

    A numeric date whose first part is > 12 votes DMY, one whose second part is > 12 votes MDY.
    Without a majority, English ("en", "en-US"; not "en-GB" and other day-first regions) with
    ``/`` dates means MDY and everything else DMY; English text that names VAT, GST or SST or a
    day-first region's currency (RM, £, €, S$, ...) is from a day-first region.
    """
    dmy = mdy = 0
    slashes = False
    # One scan of the lines joined by newlines: neither pattern reads across a newline, and
    # one reads as the edge of a text, so each finds what it finds line by line.
    text = "\n".join(texts)
    for m in _NUMERIC_DATE_RE.finditer(text):
        a, b = int(m["d1"] + m["a"]), int(m["b"])
        if 12 < a <= 31 and 1 <= b <= 12:
            dmy += 1
        elif 12 < b <= 31 and 1 <= a <= 12:
            mdy += 1
        slashes = slashes or m["sep"] == "/"
    if dmy != mdy:
        return "DMY" if dmy > mdy else "MDY"
    if language and slashes:
        lang, _, region = language.lower().replace("_", "-").partition("-")
        # The day-first hints are sought last, only when they decide: a case-free scan.
        if (
            lang == "en"
            and region[:2] not in _EN_DMY_REGIONS
            and _DAY_FIRST_HINT.search(text) is None
        ):
            return "MDY"
    return "DMY"
