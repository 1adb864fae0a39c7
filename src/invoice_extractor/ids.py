"""Identifier helpers: IBAN, BIC and VAT ids.

Used by the extraction engine (to confirm candidates found on the page) and by ``validate``
(to turn checksum failures into warnings). Everything here is offline and never raises: a
garbage string is simply "not valid" (or "unknown" for VAT ids without a known checksum).
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.no import orgnr as no_orgnr

__all__ = [
    "check_vat_id",
    "iban_country",
    "is_valid_bic",
    "is_valid_iban",
    "normalize_bic",
    "normalize_iban",
    "normalize_vat_id",
    "vat_id_country",
]

# Separators printed inside identifiers ("DE89 3704 0044", "FR 11.123.456.782", "CHE-123.456.789").
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]+")
# Swiss VAT numbers carry a language suffix (MWST/TVA/IVA/TPV) that is not part of the UID.
_CH_SUFFIX = re.compile(r"(MWST|TVA|IVA|TPV)$")
# Norwegian VAT numbers are the 9-digit organisation number followed by "MVA".
_NO_VAT = re.compile(r"NO(\d{9})(MVA)?")

# VAT prefix -> ISO 3166-1 alpha-2 country. Greece uses "EL" for VAT; "XI" is Northern Ireland.
_VAT_PREFIX_COUNTRY: dict[str, str] = {
    cc.upper(): cc.upper() for cc in eu_vat.MEMBER_STATES if cc not in ("gr", "xi")
} | {"EL": "GR", "GR": "GR", "XI": "GB", "GB": "GB", "CH": "CH", "NO": "NO"}


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def normalize_iban(text: str) -> str:
    """Upper case, without spaces, dots or dashes."""
    return _compact(text)


@lru_cache(maxsize=4096)
def is_valid_iban(text: str) -> bool:
    """True for an IBAN with a known country, the right length and structure, and mod-97 == 1."""
    try:
        compact = normalize_iban(text)
    except Exception:  # not a string: never raise
        return False
    if not _mod97_may_hold(compact):
        return False  # what schwifty would answer, without building (and raising) its IBAN
    from schwifty import IBAN  # its registry takes a while to load: only when an IBAN is checked

    try:
        IBAN(compact)
    except Exception:  # schwifty raises ValueError subclasses; never let one escape
        return False
    return True


_IBAN_CHARS = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")


def _mod97_may_hold(compact: str) -> bool:
    """False when ISO 13616's mod-97 check fails (an IBAN whose rearranged digits leave 1); the
    engine asks of every spaced group run on a page, most of them no IBAN at all. Anything this
    cannot read (other characters) is left to schwifty."""
    if not compact.isascii() or _IBAN_CHARS.fullmatch(compact) is None:
        return True
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1


def iban_country(text: str) -> str | None:
    """ISO country code of a valid IBAN, else None."""
    return normalize_iban(text)[:2] if is_valid_iban(text) else None


def normalize_bic(text: str) -> str:
    """Upper case, without spaces, dots or dashes."""
    return _compact(text)


@lru_cache(maxsize=4096)
def is_valid_bic(text: str) -> bool:
    """True for an 8 or 11 character BIC with a valid structure and country code."""
    from schwifty import BIC

    try:
        BIC(normalize_bic(text))
    except Exception:  # schwifty raises ValueError subclasses; never let one escape
        return False
    return True


def normalize_vat_id(text: str) -> str:
    """Upper case, without spaces, dots, dashes or a Swiss language suffix.

    ``FR 11 123 456 782`` -> ``FR11123456782``; ``CHE-123.456.789 MWST`` -> ``CHE123456789``.
    The Norwegian ``MVA`` suffix is kept: it is part of the printed VAT number.
    """
    compact = _compact(text)
    if compact.startswith("CHE"):
        compact = _CH_SUFFIX.sub("", compact)
    return compact


def vat_id_country(text: str) -> str | None:
    """ISO 3166-1 alpha-2 country of a VAT id's prefix (EL -> GR, XI -> GB), None if unknown."""
    return _VAT_PREFIX_COUNTRY.get(normalize_vat_id(text)[:2])


@lru_cache(maxsize=4096)
def check_vat_id(text: str) -> bool | None:
    """True if the checksum holds, False if a known scheme rejects it, None if none is known."""
    try:
        number = normalize_vat_id(text)
        prefix = number[:2]
        if prefix not in _VAT_PREFIX_COUNTRY:
            return None
        if prefix == "CH":
            return number.startswith("CHE") and bool(ch_uid.is_valid(number))
        if prefix == "NO":
            match = _NO_VAT.fullmatch(number)
            return match is not None and bool(no_orgnr.is_valid(match.group(1)))
        if prefix == "GB":
            return bool(gb_vat.is_valid(number))
        # EU member states, EL/GR and XI: stdnum caches the per-country module after first use.
        return bool(eu_vat.is_valid(number))
    except Exception:  # a non-str argument, or an error stdnum's is_valid does not catch
        return None
