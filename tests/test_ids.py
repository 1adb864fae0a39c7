"""Tests for the IBAN, BIC and VAT id helpers (expected values confirmed with stdnum, schwifty)."""

from __future__ import annotations

from typing import Any

import pytest

from invoice_extractor.ids import (
    check_vat_id,
    iban_country,
    is_valid_bic,
    is_valid_iban,
    normalize_bic,
    normalize_iban,
    normalize_vat_id,
    vat_id_country,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("gb82-west-1234-5698-7654-32", "GB82WEST12345698765432"),
        ("FR14.2004.1010.0505.0001.3M02.606", "FR1420041010050500013M02606"),
        ("", ""),
    ],
)
def test_normalize_iban(text: str, expected: str) -> None:
    assert normalize_iban(text) == expected


@pytest.mark.parametrize(
    ("text", "valid", "country"),
    [
        ("DE89370400440532013000", True, "DE"),
        ("DE89 3704 0044 0532 0130 00", True, "DE"),
        ("de89370400440532013000", True, "DE"),
        ("GB82WEST12345698765432", True, "GB"),
        ("FR1420041010050500013M02606", True, "FR"),
        ("CH9300762011623852957", True, "CH"),
        ("NO9386011117947", True, "NO"),
        ("DE89370400440532013001", False, None),  # one digit off: mod-97 fails
        ("DE8937040044053201300", False, None),  # one character short for DE
        ("XX89370400440532013000", False, None),  # unknown country
        ("GB82WEST1234569876543X", False, None),
        ("", False, None),
        ("not an iban", False, None),
    ],
)
def test_iban(text: str, valid: bool, country: str | None) -> None:
    assert is_valid_iban(text) is valid
    assert iban_country(text) == country


@pytest.mark.parametrize(
    ("text", "expected"),
    [("deut de ff", "DEUTDEFF"), ("COBA-DE-FF-XXX", "COBADEFFXXX"), ("", "")],
)
def test_normalize_bic(text: str, expected: str) -> None:
    assert normalize_bic(text) == expected


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("DEUTDEFF", True),
        ("DEUTDEFF500", True),
        ("COBADEFFXXX", True),
        ("deutdeff", True),
        ("DEUT DE FF", True),
        ("DEUTXXFF", False),  # XX is not a country
        ("DEUTDEF", False),  # 7 characters
        ("DEUTDEFFX", False),  # 9 characters
        ("DEUTDEFF5000", False),  # 12 characters
        ("", False),
    ],
)
def test_is_valid_bic(text: str, valid: bool) -> None:
    assert is_valid_bic(text) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FR 11 123 456 782", "FR11123456782"),
        ("CHE-123.456.789 MWST", "CHE123456789"),
        ("CHE-107.787.577 IVA", "CHE107787577"),
        ("che 107.787.577 tva", "CHE107787577"),
        ("NO 995 525 828 MVA", "NO995525828MVA"),  # MVA is part of the Norwegian number
        ("de136-695-976", "DE136695976"),
        ("", ""),
    ],
)
def test_normalize_vat_id(text: str, expected: str) -> None:
    assert normalize_vat_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE136695976", "DE"),
        ("de 136 695 976", "DE"),
        ("EL094259216", "GR"),
        ("GR094259216", "GR"),
        ("XI980780684", "GB"),
        ("GB980780684", "GB"),
        ("CHE-107.787.577 MWST", "CH"),
        ("NO995525828MVA", "NO"),
        ("ATU13585627", "AT"),
        ("US123456789", None),
        ("EU372009975", None),
        ("123456789", None),
        ("", None),
    ],
)
def test_vat_id_country(text: str, expected: str | None) -> None:
    assert vat_id_country(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Checksum-valid per stdnum.
        ("DE136695976", True),
        ("FR11123456782", True),
        ("FR 11 123 456 782", True),
        ("FR40303265045", True),
        ("ATU13585627", True),
        ("BE0403019261", True),
        ("NL004495445B01", True),
        ("IT00743110157", True),
        ("EL094259216", True),
        ("GR094259216", True),
        ("XI980780684", True),
        ("GB980780684", True),
        ("GB 980 7806 84", True),
        ("CHE-107.787.577 IVA", True),
        ("CHE107787577", True),
        ("NO 995 525 828 MVA", True),
        ("NO995525828", True),
        # Known country, checksum fails.
        ("DE123456789", False),
        ("FR12123456782", False),
        ("ATU13585628", False),
        ("IT00743110158", False),
        ("GB980780685", False),
        ("CHE-123.456.789 MWST", False),
        ("NO995525827MVA", False),
        ("DE12345", False),  # wrong length
        # No known checksum.
        ("US123456789", None),
        ("EU372009975", None),
        ("123456789", None),
        ("", None),
    ],
)
def test_check_vat_id(text: str, expected: bool | None) -> None:
    assert check_vat_id(text) is expected


@pytest.mark.parametrize("junk", [None, 123, "\x00\x01", "DE" + "9" * 500])
def test_helpers_never_raise(junk: Any) -> None:
    assert check_vat_id(junk) in (None, False)
    assert is_valid_iban(junk) is False
    assert is_valid_bic(junk) is False
