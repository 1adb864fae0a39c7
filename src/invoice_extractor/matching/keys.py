"""Search keys shared by the purchase-order and payment matchers: document numbers, supplier
names, IBANs and amounts in a form that compares equal however the document printed them."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_WORD = re.compile(r"[0-9a-z]+")
# Legal forms and filler words dropped from supplier names ("ACME GmbH" == "Acme").
_LEGAL = frozenset(
    [
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "mbh",
        "co",
        "ltd",
        "limited",
        "plc",
        "inc",
        "llc",
        "corp",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "the",
        "und",
        "and",
    ]
)
_CENT = Decimal("0.01")
MAX_KEY = 64


def number_key(value: str | None) -> str | None:
    """``"PO-7781 "`` and ``"po 7781"`` -> ``"PO7781"``; None when nothing is left."""
    if not value:
        return None
    key = _NOT_ALNUM.sub("", fold(value).upper())[:MAX_KEY]
    return key or None


def supplier_key(name: str | None) -> str | None:
    """A supplier's name without case, accents, punctuation or legal form."""
    if not name:
        return None
    words = [w for w in _WORD.findall(fold(name).lower()) if w not in _LEGAL]
    key = " ".join(words)[:255]
    return key or None


def iban_key(value: str | None) -> str | None:
    if not value:
        return None
    key = _NOT_ALNUM.sub("", value.upper())
    return key[:34] if len(key) >= 15 else None


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def cents(amount: Decimal) -> int:
    """An amount as whole cents, rounded half-up (what a bank books)."""
    return int(amount.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)


def from_cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(_CENT)


_RF = re.compile(r"RF\d{2}[0-9A-Z]{1,21}")
_RF_START = re.compile(r"\bRF\d{2}")


def creditor_reference(text: str | None) -> str | None:
    """The first ISO 11649 structured creditor reference (``RF18 5390 0754 7034``) in ``text``
    whose check digits are right, without spaces; None if there is none. Printed groups of four
    are joined back, up to the longest prefix that checks."""
    if not text:
        return None
    upper = text.upper()
    for match in _RF_START.finditer(upper):
        candidate, best = "", None
        for token in upper[match.start() :].split()[:8]:
            word = token.rstrip(".,;:)")
            if not word.isalnum() or len(candidate + word) > 25:
                break
            candidate += word
            if is_creditor_reference(candidate):
                best = candidate
            if word != token:
                break
        if best:
            return best
    return None


def is_creditor_reference(ref: str) -> bool:
    """ISO 11649: the first four characters moved to the end, letters as 10..35, mod 97 == 1."""
    ref = ref.replace(" ", "").upper()
    if not _RF.fullmatch(ref):
        return False
    digits = "".join(str(int(c, 36)) for c in ref[4:] + ref[:4])
    return int(digits) % 97 == 1


def reference_keys(text: str | None) -> set[str]:
    """Every token of a remittance text that could be an invoice number, as a number key; an RF
    reference also gives its body (creditors often build it from the invoice number)."""
    if not text:
        return set()
    keys = set()
    for token in re.split(r"[\s,;/:]+", fold(text).upper()):
        key = number_key(token)
        if key and len(key) >= 3 and any(c.isdigit() for c in key):
            keys.add(key)
    ref = creditor_reference(text)
    if ref:
        keys.add(ref[4:].lstrip("0") or "0")
        keys.add(ref[4:])
    return keys
