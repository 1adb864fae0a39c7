"""Valid identifiers for synthetic invoices: VAT ids and IBANs whose checksums hold, BICs of the
right shape. All draws come from the caller's ``random.Random``, so a seed fixes every one."""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Callable

from schwifty import IBAN
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

# A VAT id template: "d" a random digit, "?" a check position (searched until the id validates),
# any other character literal. The check positions are the ones each country's checksum covers.
_VAT_TEMPLATES: dict[str, str] = {
    "DE": "DEdddddddd?",
    "AT": "ATUddddddd?",
    "FR": "FR??dddddddd?",
    "ES": "ESBddddddd?",
    "IT": "ITdddddddddd?",
    "NL": "NLdddddddd?B01",
    "BE": "BE0ddddddd??",
    "GB": "GBddddddd??",
    "CH": "CHEdddddddd?",
}
_CHECKERS: dict[str, Callable[[str], bool]] = {"GB": gb_vat.is_valid, "CH": ch_uid.is_valid}
_CHECK_ALPHABET: dict[str, str] = {"ES": string.digits + "ABCDEFGHIJ"}

# schwifty's generate() computes the national check digits; these are the code lengths it takes.
_IBAN_PARTS: dict[str, tuple[tuple[str, int], ...]] = {
    "DE": (("bank_code", 8), ("account_code", 10)),
    "AT": (("bank_code", 5), ("account_code", 11)),
    "FR": (("bank_code", 5), ("branch_code", 5), ("account_code", 11)),
    "ES": (("bank_code", 4), ("branch_code", 4), ("account_code", 10)),
    "IT": (("bank_code", 5), ("branch_code", 5), ("account_code", 12)),
    "NL": (("bank_code", 4), ("account_code", 10)),
    "BE": (("bank_code", 3), ("account_code", 7)),
    "GB": (("bank_code", 4), ("branch_code", 6), ("account_code", 8)),
    "CH": (("bank_code", 5), ("account_code", 12)),
}
_LETTER_BANK_CODES = frozenset({"NL", "GB"})  # their bank code is four letters


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def vat_id(rng: random.Random, country: str) -> str:
    """A VAT id of ``country`` that passes its checksum (``CHE...`` for Switzerland)."""
    template = _VAT_TEMPLATES[country]
    check = _CHECKERS.get(country, eu_vat.is_valid)
    alphabet = _CHECK_ALPHABET.get(country, string.digits)
    slots = template.count("?")
    while True:  # a random body has a valid check in all but rare cases; draw again if not
        body = "".join(rng.choice(string.digits) if ch == "d" else ch for ch in template)
        for fill in itertools.product(alphabet, repeat=slots):
            chars = iter(fill)
            candidate = "".join(next(chars) if ch == "?" else ch for ch in body)
            if check(candidate):
                return candidate


def iban(rng: random.Random, country: str) -> str:
    """A valid IBAN of ``country`` (compact, upper case)."""
    codes: dict[str, str] = {}
    for part, length in _IBAN_PARTS[country]:
        if part == "bank_code" and country in _LETTER_BANK_CODES:
            codes[part] = "".join(rng.choice(string.ascii_uppercase) for _ in range(length))
        else:
            codes[part] = _digits(rng, length)
    if country == "IT":  # the account may hold letters; keep digits, the CIN is computed
        codes["account_code"] = _digits(rng, 12)
    return str(IBAN.generate(country, **codes).compact)


def bic(rng: random.Random, country: str, bank_name: str) -> str:
    """An 8- or 11-character BIC of the bank's country (its shape; no registry lookup)."""
    letters = "".join(ch for ch in bank_name.upper() if ch.isascii() and ch.isalpha())
    institution = (letters + "".join(rng.choice(string.ascii_uppercase) for _ in range(4)))[:4]
    location = rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_uppercase + "2")
    branch = rng.choice(["", "XXX", _digits(rng, 3)])
    return institution + country + location + branch


def group_iban(value: str) -> str:
    """``DE02 1203 0000 ...``: the way most invoices print an IBAN."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
