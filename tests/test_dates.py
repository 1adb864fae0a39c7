"""Tests for invoice_extractor.extract.embedded.dates."""

from __future__ import annotations

from datetime import date

import pytest

from invoice_extractor.extract.embedded.dates import (
    DateMatch,
    DateOrder,
    find_dates,
    guess_date_order,
    parse_date,
)

MAR31 = date(2024, 3, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric
        ("31.03.2024", MAR31),
        ("31/03/2024", MAR31),
        ("03/31/2024", MAR31),
        ("2024-03-31", MAR31),
        ("2024/03/31", MAR31),
        ("2024.03.31", MAR31),
        ("31-03-2024", MAR31),
        ("31.03.24", MAR31),
        ("31/03/24", MAR31),
        ("31. 03. 2024", MAR31),
        ("1.3.2024", date(2024, 3, 1)),
        ("2024-3-1", date(2024, 3, 1)),
        ("20240331", MAR31),
        ("05.06.2018", date(2018, 6, 5)),
        # German
        ("31. März 2024", MAR31),
        ("31 MÄRZ 2024", MAR31),
        ("31 Maerz 2024", MAR31),
        ("31 Marz 2024", MAR31),
        ("31 Mrz. 2024", MAR31),
        ("3 Dez. 2024", date(2024, 12, 3)),
        ("3. Okt. 2024", date(2024, 10, 3)),
        ("1. Jänner 2024", date(2024, 1, 1)),
        ("1. Mai 2024", date(2024, 5, 1)),
        # French
        ("31 mars 2024", MAR31),
        ("1er mars 2024", date(2024, 3, 1)),
        ("3 févr. 2024", date(2024, 2, 3)),
        ("3 fevr 2024", date(2024, 2, 3)),
        ("3 déc. 2024", date(2024, 12, 3)),
        ("15 août 2024", date(2024, 8, 15)),
        ("15 aout 2024", date(2024, 8, 15)),
        ("1 juillet 2024", date(2024, 7, 1)),
        # Spanish
        ("31 de marzo de 2024", MAR31),
        ("1 de enero del 2024", date(2024, 1, 1)),
        ("5 sept. 2024", date(2024, 9, 5)),
        ("24 dic 2024", date(2024, 12, 24)),
        # Italian
        ("31 marzo 2024", MAR31),
        ("3 ott. 2024", date(2024, 10, 3)),
        ("3 mag. 2024", date(2024, 5, 3)),
        ("3 gennaio 2024", date(2024, 1, 3)),
        ("10 giugno 2024", date(2024, 6, 10)),
        # Dutch
        ("31 maart 2024", MAR31),
        ("31 mrt 2024", MAR31),
        ("31 mei 2024", date(2024, 5, 31)),
        ("3 okt 2024", date(2024, 10, 3)),
        # English
        ("March 31, 2024", MAR31),
        ("Mar 31 2024", MAR31),
        ("March 31st, 2024", MAR31),
        ("31st March 2024", MAR31),
        ("2nd May 2024", date(2024, 5, 2)),
        ("31-Mar-2024", MAR31),
        ("31-MAR-24", MAR31),
        ("31.Mar.24", MAR31),
        ("Sep 13, 2022", date(2022, 9, 13)),
        ("Sept. 13, 2022", date(2022, 9, 13)),
        ("13 Sept. 2022", date(2022, 9, 13)),
        ("13 Sept. 22", date(2022, 9, 13)),
        ("December 1, 2099", date(2099, 12, 1)),
        # surrounding punctuation is tolerated
        (" (31.03.2024), ", MAR31),
        ("31.03.2024.", MAR31),
        # two-digit years
        ("01.01.00", date(2000, 1, 1)),
        ("01.01.69", date(2069, 1, 1)),
        ("01.01.99", date(1999, 1, 1)),
        ("01.01.89", None),  # 1989 is before the supported range
        # invalid calendar dates and years out of range
        ("31.02.2024", None),
        ("29.02.2023", None),
        ("29.02.2024", date(2024, 2, 29)),
        ("00.01.2024", None),
        ("13/13/2024", None),
        ("31.03.1985", None),
        ("31.12.1989", None),
        ("01.01.1990", date(1990, 1, 1)),
        ("31.12.2100", date(2100, 12, 31)),
        ("01.01.2101", None),
        ("19890331", None),
        ("20241331", None),
        ("12345678", None),
        ("30 February 2024", None),
        # not dates
        ("", None),
        ("abc", None),
        ("1.234,56", None),
        ("2.1", None),
        ("1.2.3", None),
        ("12:30", None),
        ("31.03.", None),
        ("03/2024", None),
        ("March 2024", None),
        ("31 March", None),
        ("31.03.2024 12,00", None),  # more than a date
        ("1 Set 12", None),  # "Set" is a product unit here, not settembre
        ("31 Mar 24", None),  # two-digit year without punctuation is too weak
        ("F20240331", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # ambiguous: the order decides, DMY by default
        ("04/05/2024", None, date(2024, 5, 4)),
        ("04/05/2024", "DMY", date(2024, 5, 4)),
        ("04/05/2024", "MDY", date(2024, 4, 5)),
        ("04.05.24", "MDY", date(2024, 4, 5)),
        ("04/05/2024", "YMD", date(2024, 5, 4)),
        # a part above 12 decides regardless of the order
        ("13/05/2024", "MDY", date(2024, 5, 13)),
        ("05/13/2024", "DMY", date(2024, 5, 13)),
        ("05/13/2024", None, date(2024, 5, 13)),
        # forms that are never ambiguous ignore it
        ("2024-04-05", "MDY", date(2024, 4, 5)),
        ("2024-04-05", "DMY", date(2024, 4, 5)),
        ("4 May 2024", "MDY", date(2024, 5, 4)),
        ("May 4, 2024", "DMY", date(2024, 5, 4)),
        ("20240405", "MDY", date(2024, 4, 5)),
    ],
)
def test_parse_date_order(text: str, order: DateOrder | None, expected: date) -> None:
    assert parse_date(text, order) == expected


def _found(text: str, order: DateOrder | None = None) -> list[tuple[str, date, bool]]:
    """(matched text, date, ambiguous) per match, after checking spans index into ``text``."""
    found = find_dates(text, order)
    for m in found:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.value, m.ambiguous) for m in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rechnung Nr. 471102 vom 05.06.2018", [("05.06.2018", date(2018, 6, 5), True)]),
        ("Datum: 31.03.2024", [("31.03.2024", MAR31, False)]),
        (
            "Zeitraum 01.03.2024-31.03.2024",
            [("01.03.2024", date(2024, 3, 1), True), ("31.03.2024", MAR31, False)],
        ),
        (
            "Invoice date: March 31, 2024 Due: Apr 30, 2024",
            [("March 31, 2024", MAR31, False), ("Apr 30, 2024", date(2024, 4, 30), False)],
        ),
        ("Fällig am 15. April 2024.", [("15. April 2024", date(2024, 4, 15), False)]),
        ("Le 1er mars 2024 à Paris", [("1er mars 2024", date(2024, 3, 1), False)]),
        ("Fecha: 31 de marzo de 2024", [("31 de marzo de 2024", MAR31, False)]),
        ("Created 2024-03-31T12:00:00Z", [("2024-03-31", MAR31, False)]),
        ("Lieferdatum 31.03.2024Rechnung", [("31.03.2024", MAR31, False)]),
        ("Datum 07.07.2024", [("07.07.2024", date(2024, 7, 7), False)]),  # same either way
        ("Ref 20240331 ok", [("20240331", MAR31, False)]),
        # amounts, versions, times, ids and invalid dates are not reported
        ("Total 1.234,56 EUR", []),
        ("Version 2.1 / 1.2.3 build 10.20.30.40", []),
        ("um 12:30 Uhr bzw. 12.30 Uhr", []),
        ("IP 192.168.1.10", []),
        ("Invoice INV2024-03-31", []),
        ("Datum 31.02.2024", []),
        ("Menge 12 2024 Stück", []),
        ("Qty 1 Set 12 pcs", []),
        ("no digits", []),
        ("", []),
        # a rejected candidate does not hide a real date right after it
        ("Pos 12 2024-03-31", [("2024-03-31", MAR31, False)]),
        ("Item 31, 2024-03-31", [("2024-03-31", MAR31, False)]),
    ],
)
def test_find_dates(text: str, expected: list[tuple[str, date, bool]]) -> None:
    assert _found(text) == expected


def test_find_dates_spans_and_order() -> None:
    text = "Date 04/05/2024, due 05/13/2024"
    assert find_dates(text, "MDY") == [
        DateMatch(5, 15, date(2024, 4, 5), "04/05/2024", True),
        DateMatch(21, 31, date(2024, 5, 13), "05/13/2024", False),
    ]
    assert find_dates(text)[0].value == date(2024, 5, 4)


def test_date_match_is_frozen() -> None:
    match = find_dates("31.03.2024")[0]
    with pytest.raises(AttributeError):
        match.value = date(2000, 1, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("texts", "language", "expected"),
    [
        # unambiguous evidence wins over the language
        (["Date 31/03/2024"], "en", "DMY"),
        (["Date 03/31/2024"], "de", "MDY"),
        (["03/31/2024", "04/30/2024", "13/04/2024"], None, "MDY"),
        (["31.03.2024", "30.04.2024", "04/13/2024"], "en", "DMY"),
        # no evidence: English with slashes is MDY, everything else DMY
        (["Date 04/05/2024"], "en", "MDY"),
        (["Date 04/05/2024"], "en-US", "MDY"),
        (["Date 04/05/2024"], "en_US", "MDY"),
        (["Date 04/05/2024"], "en-GB", "DMY"),
        (["Date 04/05/2024"], "de", "DMY"),
        (["Date 04/05/2024"], None, "DMY"),
        (["Date 04.05.2024"], "en", "DMY"),
        (["March 31, 2024"], "en", "DMY"),
        ([], "en", "DMY"),
        ([], None, "DMY"),
        # ISO dates and amounts are no evidence
        (["2024-03-31", "1.234,56", "04/05/2024"], "en", "MDY"),
        # a tie is no evidence either
        (["31/03/2024", "03/31/2024"], "fr", "DMY"),
    ],
)
def test_guess_date_order(texts: list[str], language: str | None, expected: DateOrder) -> None:
    assert guess_date_order(texts, language) == expected


def test_guess_date_order_accepts_iterators() -> None:
    assert guess_date_order((line for line in ["12/31/2024"]), None) == "MDY"
