"""Receipt layouts: what a till slip prints without the labels an invoice uses.

A receipt states its date as a transaction time stamp ("18-11-18 13:58", "28 Mar 18 18:32:36"),
often with no "Date" label; ``transaction_date`` reads it when no labelled date was found. Its
merchant heads the slip, above the address and registration number, often under a brand or a
handwritten note: ``merchant``. Its totals and payment lines are in ``totals`` and ``labels``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from ...ingest.document import Word
from .code_cache import compile_regex
from .dates import DateOrder, find_dates, parse_date
from .fields import Candidate, PageIndex
from .labels import LABEL_RES, anchors_of, lines_holding_any
from .lexicon import RECEIPT_WORDS, alternation
from .parties import LEGAL_FORM, postcode_city
from .values import words_in_span

_SHORT_STAMP = re.compile(r"(?<!\d)(\d{1,2})\s*([A-Za-z]{3,9})\.?\s*(\d{2})\s+\d{1,2}:\d{2}(?!\d)")
_TIME_AFTER = re.compile(r"^\W{0,3}\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?(?!\d)", re.I)
_BLOCKERS = ("not_a_value", "due_date")


def transaction_date(indexes: list[PageIndex], order: DateOrder) -> Candidate[date] | None:
    """The first date printed with a time of day (a till's time stamp), else the first date on
    the first page; dates after a "not a value" or due-date label are skipped ("Card Expiry:
    30/09/18", "Due 31.03.2024")."""
    first: Candidate[date] | None = None
    for page_no, index in enumerate(indexes):
        for i, line in enumerate(index.lines):
            if not index.has_digit(i):
                continue  # no date without a digit
            text, starts = index.joined(i, glue_commas=True)
            for match in find_dates(text, order):
                if _blocked(index, i, match.start):
                    continue
                words = words_in_span(line.words, starts, match.start, match.end)
                if not words:
                    continue
                timed = _TIME_AFTER.match(text[match.end :].lstrip()) is not None
                if timed:
                    return Candidate(match.value, words, 0.45, "time stamp", "pattern")
                if first is None and page_no == 0:
                    first = Candidate(match.value, words, 0.3, "first date", "pattern")
            if first is None:
                stamp = _stamp_date(text)
                if stamp is not None:
                    value, start, end = stamp
                    words = words_in_span(line.words, starts, start, end)
                    if words:
                        return Candidate(value, words, 0.45, "time stamp", "pattern")
    return first


def _stamp_date(text: str) -> tuple[date, int, int] | None:
    """ "28 Mar 18 18:32:36": a two-digit year after a month name, made safe by the time."""
    m = _SHORT_STAMP.search(text)
    if m is None:
        return None
    year = int(m.group(3))
    value = parse_date(f"{m.group(1)} {m.group(2)} {year + (2000 if year < 70 else 1900)}")
    return None if value is None else (value, m.start(), m.end(3))


def _blocked(index: PageIndex, line_index: int, date_start: int) -> bool:
    """Whether a blocking label stands on the line before the date (sought only on a line
    holding one of its anchors)."""
    head = index.folded[line_index][: date_start + 1]
    return any(
        index.may_hold_label(name, line_index) and LABEL_RES[name].search(head)
        for name in _BLOCKERS
    )


# --- the merchant ---------------------------------------------------------------------------

_RECEIPT_MARKERS = compile_regex(rf"(?<![^\W\d_])({alternation(RECEIPT_WORDS)})(?![^\W\d_])")
# Literal texts one of which each marker holds ("thank" of "thank\s*you"): the markers are
# sought only on the lines holding one (a few in a hundred), found in one search of the page.
_RECEIPT_ANCHORS = anchors_of(list(RECEIPT_WORDS))
MIN_MARKERS = 3
_TILL_LINES = ("tendered", "change")
SLIP_SHAPE = 0.6
"""Text this much narrower than tall is a slip (an A4 page's text is about 0.7 to 0.9 wide)."""
TOP_LINES = 8
TOP_SHARE = 0.4
# A company registration number printed after the name: "(728515-M)", "1110644-W", "(JM0517726)".
_REG_NO = re.compile(r"\s*\(?\b[A-Z]{0,3}\d{5,}(?:[-\s]?[A-Z])?\b\)?\s*$")
_REG_LINE = re.compile(r"^\W*(?:(?:co|company|reg|br|roc)\b[\w.\s-]*[:.]?\s*)?\(?[A-Z]{0,3}\d{5,}")
_LABEL_PREFIX = re.compile(r"^[^\W\d_][\w .]{0,20}:\s*")  # "Dimiliki: ..." (owned by)
_REG_LABEL = re.compile(
    r"(?i)\b(?:co(?:mpany)?\.?\s*-?\s*(?:reg(?:istration)?\.?\s*)?(?:no|number)\b|"
    r"reg\.?\s*no\b|co\.?\s*-?\s*reg\b)"
)
# "SDN BHD" as OCR misreads it on slips: "SON BHD", "SIN BHD", "S0N BHD", "SDNBHD".
_SDN = re.compile(r"\bS(?:[OIl0]N\.?\s*|DN\.?)BHD\b", re.I)
_LEADING_NUMBER = re.compile(r"^\d+\s+")
_CONTINUES = re.compile(r"(?:&|\band|-|,)\s*$", re.I)


def _reg_line(text: str) -> bool:
    """A registration-number line ("(728515-M)"), not a postcode and town ("08007 Barcelona")."""
    return _REG_LINE.match(text) is not None and not postcode_city(text)


def is_receipt(index: PageIndex) -> bool:
    """A till receipt: a line of what was tendered and one of the change, several of its
    typical words (cashier, change, rounding, GST, ...), or a tall narrow slip with one. Kept
    with the page: the context and the totals ask."""
    cached = index.page.cache.get("receipt")
    if not isinstance(cached, bool):
        cached = index.page.cache["receipt"] = _is_receipt(index)
    return cached


def _is_receipt(index: PageIndex) -> bool:
    folded = index.folded
    lines = (
        range(len(folded))
        if _RECEIPT_ANCHORS is None
        else lines_holding_any(folded, _RECEIPT_ANCHORS)
    )
    found = {m.group(1) for i in lines for m in _RECEIPT_MARKERS.finditer(folded[i])}
    # Payment lines ("BAR 50,00", "RÜCKGELD 7,10", "PIN 12,90") are a till's marks too.
    paid = {name for name in _TILL_LINES for h in index.labels(name) if h.start == 0}
    if len(paid) == len(_TILL_LINES):
        return True
    found |= paid
    words = index.page.words
    if len(found) >= MIN_MARKERS or not found or not words:
        return len(found) >= MIN_MARKERS
    width = max(w.x1 for w in words) - min(w.x0 for w in words)
    height = max(w.y1 for w in words) - min(w.y0 for w in words)
    return width < SLIP_SHAPE * height


def merchant(index: PageIndex, plausible: Callable[[str], bool]) -> tuple[str, list[Word]] | None:
    """The merchant printed at the top of a receipt: the first line there that names a company
    by its legal form ("... Sdn Bhd", with the line above when the form stands nearly alone on
    its line), else the first name-like line, with the next line when the name runs on to it
    (a trailing "&", or a line followed by the registration number)."""
    page = index.page
    top: list[tuple[int, str, list[Word]]] = []
    for k, line in enumerate(page.lines[:TOP_LINES]):
        if line.y0 > TOP_SHARE * page.height:
            break
        if _REG_LABEL.search(line.text):
            continue  # "Company No: 002643278-A" names no company
        text = _SDN.sub("SDN BHD", _REG_NO.sub("", line.text)).strip(" :,;-")
        if ":" in text and LEGAL_FORM.search(text.split(":", 1)[1]):
            text = _LABEL_PREFIX.sub("", text)
        # At the very top a name may start with a number ("99 Speed Mart"), as addresses do.
        bare = _LEADING_NUMBER.sub("", text) if len(top) < 2 else text
        if (plausible(text) or plausible(bare)) and not text.islower():
            top.append((k, text, line.words))
    if not top:
        return None
    legal = [t for t in top if LEGAL_FORM.search(t[1])]
    if legal:
        k, text, words = legal[0]
        before = LEGAL_FORM.split(text, maxsplit=1)[0].split()
        above = next((t for t in top if t[0] == k - 1), None)
        # "Nando's Chickenland" over "Sdn Bhd", "AIK HUAT" over "HARDWARE SDN BHD": the name
        # runs on; a slogan over a mixed-case name ("Müller GmbH") does not.
        if (
            (not before or (len(before) == 1 and above is not None and above[1].isupper()))
            and above is not None
            and not LEGAL_FORM.search(above[1])
        ):
            name, words = f"{above[1]} {text}", [*above[2], *words]
            # A capitals name in three lines from the top of the slip ("AIK HUAT HARDWARE /
            # ENTERPRISE (SETIA / ALAM) SDN BHD"); a brand line repeats the name's words.
            first = top[0]
            if (
                first[0] == k - 2
                and first[1].isupper()
                and name.isupper()
                and not set(first[1].split()) & set(name.split())
            ):
                return f"{first[1]} {name}", [*first[2], *words]
            return name, words
        return text, words
    k, text, words = top[0]
    lines = page.lines
    below = next((t for t in top if t[0] == k + 1), None)
    if (
        below is not None
        and not below[1].islower()
        and (_CONTINUES.search(text) or (k + 2 < len(lines) and _reg_line(lines[k + 2].text)))
    ):
        return f"{text} {below[1]}", [*words, *below[2]]
    return text, words
