"""Money amounts, currencies and percentages in invoice text.

Everything here is regex based, precompiled at import time and free of I/O, because it runs on
every line of every page. Amounts keep the document's own precision (``"10,50"`` parses to
``Decimal("10.50")``); the decimal separator is inferred per number and, where a number alone is
ambiguous (``1.234``), from the ``decimal_sep`` the caller guessed for the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .code_cache import compile_regex
from .text import DIGIT

__all__ = [
    "AmountMatch",
    "detect_currency",
    "find_amounts",
    "guess_decimal_separator",
    "parse_amount",
    "parse_percent",
]

# --- currencies ---------------------------------------------------------------------------------

# The most common ISO 4217 codes; a bare three-letter word is only a currency if it is listed,
# since invoices are full of other upper-case abbreviations (VAT, QTY, PCS, ...).
_ISO_CODES = frozenset(
    re.findall(
        "[A-Z]{3}",
        "EUR USD GBP CHF JPY CNY INR AUD CAD NZD SEK NOK DKK PLN CZK HUF RON BGN HRK TRY RUB UAH "
        "BRL MXN ARS CLP COP PEN ZAR SGD HKD KRW TWD MYR THB IDR PHP VND AED SAR QAR KWD ILS EGP "
        "NGN KES MAD ISK",
    )
)
# Ranks: 0 = specific, 1 = generic ("$" is also the sign of many non-US dollars), 2 = weak ("kr"
# is shared by SEK, NOK, DKK and ISK). detect_currency prefers lower ranks.
_TOKENS: dict[str, tuple[str, int]] = {code: (code, 0) for code in _ISO_CODES}
for _code, _toks in (
    ("EUR", "€ Euro EURO euro Euros EUROS euros"),
    ("USD", "US$ US-Dollar"),
    ("GBP", "£"),
    ("JPY", "¥ ￥ Yen"),
    ("CNY", "CN¥ RMB"),
    ("INR", "₹ Rs. Rs"),
    ("AUD", "A$ AU$"),
    ("CAD", "C$ CA$"),
    ("NZD", "NZ$"),
    ("HKD", "HK$"),
    ("SGD", "S$ SG$"),
    ("BRL", "R$"),
    ("CHF", "Fr. SFr. sFr. Franken"),
    ("PLN", "zł"),
    ("CZK", "Kč"),
    ("MYR", "RM"),
    ("KRW", "₩"),
    ("RUB", "₽"),
    ("TRY", "₺"),
    ("ILS", "₪"),
    ("VND", "₫"),
    ("PHP", "₱"),
    ("THB", "฿"),
):
    _TOKENS.update({tok: (_code, 0) for tok in _toks.split()})
_TOKENS.update({tok: ("USD", 1) for tok in ("$", "Dollar", "Dollars", "dollar", "dollars")})
_TOKENS.update({tok: ("SEK", 2) for tok in ("kr", "kr.")})


def _token_tail(tok: str) -> str:
    """Pattern for ``tok`` minus its first character, plus the token's boundary checks."""
    # The checks come *after* the token (as look-behinds over the whole token) so that every
    # alternative starts with a literal, which the regex engine rejects cheaply.
    pat = re.escape(tok)
    out = re.escape(tok[1:]) + (rf"(?<![^\W\d_]{pat})" if tok[0].isalpha() else "")
    if tok.startswith(("Fr.", "SFr.", "sFr.")):
        # "Fr." is also German for "Mrs.", so it only counts right next to a number.
        return out + rf"(?:(?<=\d{pat})|(?<=\d[ \u00a0]{pat})|(?=[ \u00a0]?[-\d]))"
    return out + (r"(?![^\W\d_])" if tok[-1].isalpha() else "")


def _currency_pattern() -> str:
    # Grouped by first character (one cheap test per position instead of one per token); longest
    # first inside a group so that "US$" wins over "US-Dollar"'s prefix and "EURO" over "EUR".
    groups: dict[str, list[str]] = {}
    # (ties in length by text: the same pattern text in every process, whatever the set order)
    for tok in sorted(_TOKENS, key=lambda t: (-len(t), t)):
        groups.setdefault(tok[0], []).append(tok)
    return (
        "(?:"
        + "|".join(
            re.escape(first) + "(?:" + "|".join(_token_tail(t) for t in toks) + ")"
            for first, toks in groups.items()
        )
        + ")"
    )


_CUR = _currency_pattern()
_CURRENCY_RE = compile_regex(_CUR)
# Every match of _CUR starts with the first character of a token (its alternatives do).
_CURRENCY_FIRST = frozenset(tok[0] for tok in _TOKENS)

# --- amount grammar -----------------------------------------------------------------------------

_SP = r"[ \t\u00a0\u202f\u2009]*"  # any run of (narrow/no-break) spaces
_SP1 = r"[ \u00a0\u202f]?"  # at most one space, between a sign and its number
_NEG = "\u2212\u2013\\-"  # regex class body: unicode minus, en dash (common in PDFs), hyphen
_DEC = r"(?:[.,](?:\d+|[-\u2013\u2014](?!\d)))"  # decimals, or ",-" / ".-" for whole amounts
# Plain-space grouping ("1 234,56") is accepted inside lines only with decimals, so that table
# columns like "2 120,00" are not merged unless the number is clearly one amount.
_NUM_STRICT = (
    rf"(?P<num>\d{{1,3}}(?P<g>[.,'’\u00a0\u202f\u2009])\d{{3}}(?:(?P=g)\d{{3}})*{_DEC}?"
    rf"|\d{{1,3}}(?: \d{{3}})+{_DEC}|\d+{_DEC}?)"
)
_NUM_LOOSE = (
    rf"(?P<num>\d{{1,3}}(?P<g>[.,'’ \u00a0\u202f\u2009])\d{{3}}(?:(?P=g)\d{{3}})*{_DEC}?"
    rf"|\d+{_DEC}?)"
)
# A number must not continue into a date, time, version, range or percentage.
_NUM_END = rf"(?!\d|[.,'’:/{_NEG}]\d|{_SP}%|{_SP}(?:Uhr|h)(?!\w))"


def _amount_pattern(num: str) -> str:
    return (
        # Not a piece of a word, an id (INV-2024-001, A/12) or of a date/time/number.
        rf"(?<!\w)(?<!\w[/{_NEG}])(?<!\d[.,:'’])"
        rf"(?:(?P<open>\(){_SP})?"
        rf"(?:(?P<sign1>[{_NEG}+]){_SP1})?"
        rf"(?:(?P<cur1>{_CUR}){_SP})?"
        rf"(?:(?P<sign2>[{_NEG}+]){_SP1})?"
        rf"{num}{_NUM_END}"
        r"(?P<trail>[-\u2212](?!\d))?"
        # Greedy; find_amounts hands it to the next number when that one has none of its own.
        rf"(?(cur1)|(?:{_SP}(?P<cur2>{_CUR}))?)"
        # "(12.00) USD": a currency may also follow the closing parenthesis.
        rf"(?(open){_SP}\)(?(cur1)|(?(cur2)|(?:{_SP}(?P<cur3>{_CUR}))?)))"
        r"(?!\w)"
    )


_AMOUNT_IN_TEXT_RE = compile_regex(_amount_pattern(_NUM_STRICT))


@lru_cache(maxsize=1)
def _amount_token_re() -> re.Pattern[str]:
    """One amount token (``parse_amount``): compiled on first use, since compiling the
    currency alternation costs tens of milliseconds and the engine itself never needs it."""
    return compile_regex(_amount_pattern(_NUM_LOOSE))


# Digit runs that belong to IBANs or international phone numbers are never amounts.
_NOT_AMOUNT_RE = compile_regex(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){2,7}(?:[ \u00a0]?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
    r"|\+\d{1,3}(?:[ \u00a0]?\(0\))?[ \u00a0/-]?\d+(?:[ \u00a0/-]\d+)+|\+\d{8,}"
)
_DELETE_DIGITS = str.maketrans("", "", "0123456789")
_GROUP_SEPS = str.maketrans("", "", ".,'’ \u00a0\u202f\u2009")
_NEGATIVE = frozenset("\u2212\u2013-")


@dataclass(frozen=True, slots=True)
class AmountMatch:
    """An amount found in a line; ``start``/``end`` index into the searched text."""

    start: int
    end: int
    value: Decimal
    currency: str | None
    text: str


def _number_value(num: str, decimal_sep: str | None) -> Decimal | None:
    """Interpret a number string already shaped by the grammar (groups of 3, one decimal part)."""
    if num[-1] in "-\u2013\u2014":  # "12,-": whole amount; its marker can't also be a group sep
        head = num[:-2]
        return None if num[-2] in head else Decimal(head.translate(_GROUP_SEPS))
    if num.isdigit():
        return Decimal(num)
    seps = num.translate(_DELETE_DIGITS)
    last = seps[-1]
    if last not in ".,":  # only space/apostrophe grouping
        return Decimal(num.translate(_GROUP_SEPS))
    idx = num.rfind(last)
    head, tail = num[:idx], num[idx + 1 :]
    if len(seps) > 1 and seps.count(last) == len(seps):
        # "1.234.567" is grouping; "1.234.56" mixes the roles of one character and is garbage.
        return Decimal(num.translate(_GROUP_SEPS)) if len(tail) == 3 else None
    # "1,234" is a thousands-grouped integer unless the document says "," is its decimal mark.
    if len(seps) == 1 and len(tail) == 3 and len(head) <= 3 and head != "0" and decimal_sep != last:
        return Decimal(head + tail)
    return Decimal(head.translate(_GROUP_SEPS) + "." + tail)


def _match_value(m: re.Match[str], decimal_sep: str | None) -> Decimal | None:
    value = _number_value(m["num"], decimal_sep)
    if value is None:
        return None
    opened, trail, sign1, sign2 = m.group("open", "trail", "sign1", "sign2")
    if opened or trail or (sign1 and sign1 in _NEGATIVE) or (sign2 and sign2 in _NEGATIVE):
        return -value
    return value


def parse_amount(text: str, decimal_sep: str | None = None) -> Decimal | None:
    """Parse one token or short phrase (``"€ 1.234,56"``, ``"(12.00)"``) as a money amount.

    ``decimal_sep`` ("," or ".") resolves numbers that are ambiguous on their own, e.g. ``1,234``
    (a thousands-grouped integer by default). Returns None for anything that is not an amount.
    """
    m = _amount_token_re().fullmatch(text.strip())
    return None if m is None else _match_value(m, decimal_sep)


def find_amounts(text: str, decimal_sep: str | None = None) -> list[AmountMatch]:
    """Find every amount in a line, with the currency of an adjacent symbol or code.

    Integers are reported too (the caller decides whether ``42`` is money); pieces of dates,
    times, percentages, ids, IBANs and international phone numbers are not.
    """
    if DIGIT.search(text) is None:
        return []
    return list(_amounts_in(text, decimal_sep))


@lru_cache(maxsize=16384)  # the items, totals, tax and sum rules each read the same lines
def _amounts_in(text: str, decimal_sep: str | None) -> tuple[AmountMatch, ...]:
    blocked = [m.span() for m in _NOT_AMOUNT_RE.finditer(text)]
    hits: list[tuple[re.Match[str], Decimal]] = []
    for m in _AMOUNT_IN_TEXT_RE.finditer(text):
        if blocked and any(s < m.end() and m.start() < e for s, e in blocked):
            continue
        value = _match_value(m, decimal_sep)
        if value is not None:
            hits.append((m, value))
    found: list[AmountMatch] = []
    carry: tuple[int, str] | None = None  # (start, token) of a currency moved to the next hit
    for i, (m, value) in enumerate(hits):
        start, end = m.span()
        cur = m["cur1"] or m["cur2"] or m["cur3"]
        if carry is not None:
            start, cur = carry
            carry = None
        elif (
            m["cur2"] is not None
            and i + 1 < len(hits)
            and _prefixes_next(text, m, value, hits[i + 1])
        ):
            # "2   EUR 12,00": the code is the next amount's prefix, not this one's suffix.
            carry = (m.start("cur2"), m["cur2"])
            end = m.start("cur2")
            cur = None
            while text[end - 1].isspace():
                end -= 1
        currency = _TOKENS[cur][0] if cur else None
        found.append(AmountMatch(start, end, value, currency, text[start:end]))
    return tuple(found)


def _has_decimals(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent < 0


def _prefixes_next(
    text: str, m: re.Match[str], value: Decimal, nxt: tuple[re.Match[str], Decimal]
) -> bool:
    """True if ``m``'s trailing currency reads better as the prefix of the following amount."""
    n, n_value = nxt
    if n["cur1"] or n["cur2"] or n["open"]:
        return False
    if m.end("cur2") != m.end() or text[m.end() : n.start()].strip():
        return False
    # Suffix style ("12,00 EUR 13,00 EUR") ends with a currency, so a bare last amount means
    # prefix style; still, "12,00 EUR 3 Stk" keeps its code when only the next is an integer.
    return _has_decimals(n_value) or not _has_decimals(value)


@lru_cache(maxsize=16384)  # asked of every word of a document: the same words recur
def detect_currency(text: str) -> str | None:
    """Return the ISO 4217 code of the first specific currency marker in ``text``.

    Generic markers (``$``, "Dollar" -> USD) and the weak ``kr`` (-> SEK) are used only when
    nothing more specific appears anywhere in the text.
    """
    if _CURRENCY_FIRST.isdisjoint(text):  # most words: no character a marker can start with
        return None
    best: str | None = None
    best_rank = 3
    for m in _CURRENCY_RE.finditer(text):
        code, rank = _TOKENS[m.group()]
        if rank == 0:
            return code
        if rank < best_rank:
            best, best_rank = code, rank
    return best


def may_hold_currency(text: str) -> bool:
    """False only if no word of ``text`` (a line's words joined by spaces) holds a currency
    marker: each word's marker is one in the line too, as its boundary checks (no letter
    before or after the token) see a space where the word ends. Most lines hold none."""
    return not _CURRENCY_FIRST.isdisjoint(text) and _CURRENCY_RE.search(text) is not None


# --- document-level separator guess -------------------------------------------------------------

# Maximal numeric tokens, not inside ids; digit first so non-digit positions are skipped fast.
_VOTE_TOKEN_RE = compile_regex(r"\d(?<![\w.,'’]\d)[\d.,'’]*\d(?!\w)")
_GROUPED_DECIMAL_RE = re.compile(r"\d{1,3}(?:([.,'’])\d{3})+([.,])\d+")
_MULTI_GROUP_RE = re.compile(r"\d{1,3}(?:([.,])\d{3}){2,}")
_SINGLE_SEP_RE = re.compile(r"(\d+)([.,])(\d+)")


def _is_day_month(head: str, tail: str) -> bool:
    return len(head) <= 2 and len(tail) == 2 and 1 <= int(head) <= 31 and 1 <= int(tail) <= 12


@lru_cache(maxsize=16384)  # the same numbers recur in a document and across documents
def _token_vote(tok: str) -> tuple[str | None, int, bool]:
    """(the separator a numeric token votes for, None if none; its votes; whether it is a
    day and month should a "." follow it)."""
    if g := _MULTI_GROUP_RE.fullmatch(tok):
        return ("," if g[1] == "." else "."), 1, False
    if g := _GROUPED_DECIMAL_RE.fullmatch(tok):
        return (g[2], 2, False) if g[1] != g[2] else (None, 0, False)
    if g := _SINGLE_SEP_RE.fullmatch(tok):
        head, sep, tail = g.groups()
        if len(tail) == 3 and len(head) <= 3 and head != "0":
            return None, 0, False  # "1,234" could be either
        return sep, 1, sep == "." and _is_day_month(head, tail)
    return None, 0, False


def guess_decimal_separator(texts: Iterable[str]) -> str | None:
    """Vote for the document's decimal separator ("," or ".") over all numbers in ``texts``.

    ``1.234,56`` counts double, ``12,50`` once, a multi-group ``1.234.567`` once for the other
    character; dates, ``1,234`` (ambiguous) and ``dd.mm.`` do not vote. None without evidence.
    """
    votes = {",": 0, ".": 0}
    # One scan of the lines joined by newlines: a token reads no newline, and one reads as
    # the edge of a text, so the tokens are those found line by line.
    text = "\n".join(texts)
    for m in _VOTE_TOKEN_RE.finditer(text):
        sep, count, day_month = _token_vote(m.group())
        if sep is None or (day_month and text[m.end() : m.end() + 1] == "."):
            continue  # no vote, or "31.03." (a day and month, not 31.03)
        votes[sep] += count
    if votes[","] == votes["."]:
        return None
    return "," if votes[","] > votes["."] else "."


# --- percentages --------------------------------------------------------------------------------

_PERCENT_RE = compile_regex(
    rf"(?P<sign>[{_NEG}+])?{_SP1}(?P<num>\d{{1,3}}(?:[.,]\d+)?){_SP}(?P<pct>%)?"
)


def parse_percent(text: str, *, require_sign: bool = True) -> Decimal | None:
    """Parse ``"19 %"``, ``"19,00%"`` or ``"7.5 %"`` keeping precision (``Decimal("19.00")``).

    The ``%`` sign is required unless ``require_sign=False`` (then ``"19"`` is 19 percent).
    """
    m = _PERCENT_RE.fullmatch(text.strip())
    if m is None or (require_sign and m["pct"] is None):
        return None
    value = Decimal(m["num"].replace(",", "."))
    return -value if m["sign"] is not None and m["sign"] in _NEGATIVE else value
