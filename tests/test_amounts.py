"""Tests for invoice_extractor.extract.embedded.amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoice_extractor.extract.embedded.amounts import (
    AmountMatch,
    detect_currency,
    find_amounts,
    guess_decimal_separator,
    parse_amount,
    parse_percent,
)


def _same(actual: Decimal | None, expected: str | None) -> bool:
    """Equal value *and* equal precision ("10.50" is not "10.5")."""
    if expected is None or actual is None:
        return actual is None and expected is None
    return actual == Decimal(expected) and str(actual) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # precision is the document's
        ("10,50", "10.50"),
        ("10.50", "10.50"),
        ("3,3333", "3.3333"),
        ("0,500", "0.500"),
        ("0.5", "0.5"),
        ("42", "42"),
        ("0", "0"),
        # grouping styles
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("1’234.56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567", "1234567"),
        ("12 345 678", "12345678"),
        ("1 234", "1234"),
        ("1234,56", "1234.56"),
        ("1234.5", "1234.5"),
        # negatives
        ("-12.00", "-12.00"),
        ("- 12,00", "-12.00"),
        ("12.00-", "-12.00"),
        ("(12.00)", "-12.00"),
        ("( 1.234,56 )", "-1234.56"),
        ("−12,00", "-12.00"),
        ("–12,00", "-12.00"),
        ("+12,00", "12.00"),
        # whole amounts
        ("12,-", "12"),
        ("12.-", "12"),
        ("1.234,-", "1234"),
        ("12,–", "12"),
        # currencies attached or separated
        ("€ 1.234,56", "1234.56"),
        ("€1.234,56", "1234.56"),
        ("1.234,56 EUR", "1234.56"),
        ("1.234,56 €", "1234.56"),
        ("$12.00", "12.00"),
        ("USD 12.00", "12.00"),
        ("12,00€", "12.00"),
        ("EUR1,00", "1.00"),
        ("EUR -12,00", "-12.00"),
        ("-€12,00", "-12.00"),
        ("€-12,00", "-12.00"),
        ("(€ 12,00)", "-12.00"),
        ("12,00 EUR-", None),
        ("12,00- EUR", "-12.00"),
        ("£1,234.50", "1234.50"),
        ("US$ 5", "5"),
        ("CHF 1'234.50", "1234.50"),
        ("Fr. 12.50", "12.50"),
        ("12.50 Fr.", "12.50"),
        ("12,50 zł", "12.50"),
        ("₹ 1,234.00", "1234.00"),
        ("Rs. 1,234.00", "1234.00"),
        ("100 kr", "100"),
        ("12,00 Euro", "12.00"),
        ("  12,00  ", "12.00"),
        # not amounts
        ("", None),
        ("   ", None),
        ("abc", None),
        ("EUR", None),
        ("31.03.2024", None),
        ("31/03/2024", None),
        ("2024-03-31", None),
        ("05.06.18", None),
        ("19 %", None),
        ("19%", None),
        ("19,00 %", None),
        ("12:30", None),
        ("1.2.3", None),
        ("1.234.56", None),
        ("1,234.567.89", None),
        ("12,5.3", None),
        ("+49 30 123456", None),
        ("+49 (0)30 1234567", None),
        ("030/123456", None),
        ("DE89 3704 0044 0532 0130 00", None),
        ("DE89370400440532013000", None),
        ("INV-2024-001", None),
        ("F20220023", None),
        ("12kg", None),
        ("Total 12,00", None),
        ("12,00 12,00", None),
        ("(12.00", None),
        ("12.00)", None),
    ],
)
def test_parse_amount(text: str, expected: str | None) -> None:
    result = parse_amount(text)
    assert _same(result, expected), (text, result, expected)


@pytest.mark.parametrize(
    ("text", "decimal_sep", "expected"),
    [
        # a lone separator before exactly three digits is grouping by default ...
        ("1,234", None, "1234"),
        ("1.234", None, "1234"),
        ("-1.234", None, "-1234"),
        # ... unless the document's decimal separator says otherwise
        ("1,234", ",", "1.234"),
        ("1.234", ".", "1.234"),
        ("1,234", ".", "1234"),
        ("1.234", ",", "1234"),
        ("12,345 EUR", ",", "12.345"),
        # unambiguous numbers ignore the hint
        ("10.50", ",", "10.50"),
        ("10,50", ".", "10.50"),
        ("1.234,56", ".", "1234.56"),
        ("1,234.56", ",", "1234.56"),
        ("1.234.567", ".", "1234567"),
        ("1234,567", None, "1234.567"),
        ("0,123", None, "0.123"),
    ],
)
def test_parse_amount_decimal_sep(text: str, decimal_sep: str | None, expected: str) -> None:
    result = parse_amount(text, decimal_sep)
    assert _same(result, expected), (text, decimal_sep, result)


def _spans(text: str, decimal_sep: str | None = None) -> list[tuple[str, str, str | None]]:
    """(matched text, value, currency) per match, after checking spans index into ``text``."""
    found = find_amounts(text, decimal_sep)
    for m in found:
        assert text[m.start : m.end] == m.text
    return [(m.text, str(m.value), m.currency) for m in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Total 1.234,56 EUR", [("1.234,56 EUR", "1234.56", "EUR")]),
        ("Total: € 1.234,56", [("€ 1.234,56", "1234.56", "EUR")]),
        ("Total:12,00", [("12,00", "12.00", None)]),
        ("Amount due $1,234.50 by Friday", [("$1,234.50", "1234.50", "USD")]),
        ("Betrag EUR1,00.", [("EUR1,00", "1.00", "EUR")]),
        ("Summe 12,00€", [("12,00€", "12.00", "EUR")]),
        ("Gutschrift (12.00) USD", [("(12.00) USD", "-12.00", "USD")]),
        ("Rabatt -5,00 EUR", [("-5,00 EUR", "-5.00", "EUR")]),
        ("Rabatt 5,00- EUR", [("5,00- EUR", "-5.00", "EUR")]),
        ("Skonto − 2,50", [("− 2,50", "-2.50", None)]),
        ("Preis 12,- pro Stück", [("12,-", "12", None)]),
        ("Total CHF 1'234.50", [("CHF 1'234.50", "1234.50", "CHF")]),
        ("Montant 1\u202f234,56\u00a0€", [("1\u202f234,56\u00a0€", "1234.56", "EUR")]),
        ("Montant TTC 1 234,56 €", [("1 234,56 €", "1234.56", "EUR")]),
        ("Grand total A$ 99.95", [("A$ 99.95", "99.95", "AUD")]),
        (
            "1 Widget 2 Stk 12,50 EUR 25,00 EUR",
            [
                ("1", "1", None),
                ("2", "2", None),
                ("12,50 EUR", "12.50", "EUR"),
                ("25,00 EUR", "25.00", "EUR"),
            ],
        ),
        (
            "Netto 100,00 EUR 19 % 19,00 EUR",
            [("100,00 EUR", "100.00", "EUR"), ("19,00 EUR", "19.00", "EUR")],
        ),
        # prefix-style rows: the code belongs to the number after it
        ("Menge 2    EUR 12,00", [("2", "2", None), ("EUR 12,00", "12.00", "EUR")]),
        (
            "EUR 12,00 EUR 13,00",
            [("EUR 12,00", "12.00", "EUR"), ("EUR 13,00", "13.00", "EUR")],
        ),
        (
            "12,00 EUR 13,00 EUR",
            [("12,00 EUR", "12.00", "EUR"), ("13,00 EUR", "13.00", "EUR")],
        ),
        # ... but a trailing integer does not steal the code of a money amount
        ("12,00 EUR 3 Stk", [("12,00 EUR", "12.00", "EUR"), ("3", "3", None)]),
        ("Total 12,00 EUR 31.03.2024", [("12,00 EUR", "12.00", "EUR")]),
        # dates, times, percentages and ids are not amounts, nor pieces of them
        ("Rechnung Nr. 471102 vom 05.06.2018", [("471102", "471102", None)]),
        ("Datum 05.06.18 und 2018-06-05 sowie 05/06/2018", []),
        ("USt 19,00 % 3,61", [("3,61", "3.61", None)]),
        ("USt 19% 3,61", [("3,61", "3.61", None)]),
        ("MwSt 7.5 %", []),
        ("um 14:30 Uhr, bzw. 14.30 Uhr", []),
        ("Invoice INV-2024-001 VAT DE123456789 Ref F20220023", []),
        ("Order 2024/001", []),
        ("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", []),
        ("Tel +49 30 123456, Fax +49 (0)30 1234-567", []),
        ("Version 1.2.3", []),
        ("Weight 12kg", []),
        ("no digits here", []),
        ("", []),
        # a plain-space group needs decimals inside a line: "2 120" stays two numbers
        ("Qty 2 120", [("2", "2", None), ("120", "120", None)]),
    ],
)
def test_find_amounts(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _spans(text) == expected


def test_find_amounts_spans_and_type() -> None:
    text = "Summe: 1.234,56 EUR"
    assert find_amounts(text) == [AmountMatch(7, 19, Decimal("1234.56"), "EUR", "1.234,56 EUR")]


def test_find_amounts_uses_decimal_sep() -> None:
    assert _spans("Menge 1,500 kg zu 2,000", ",") == [
        ("1,500", "1.500", None),
        ("2,000", "2.000", None),
    ]
    assert _spans("Menge 1,500 kg zu 2,000") == [("1,500", "1500", None), ("2,000", "2000", None)]


def test_amount_match_is_frozen() -> None:
    match = find_amounts("12,00")[0]
    with pytest.raises(AttributeError):
        match.value = Decimal(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€", "EUR"),
        ("Total € 12", "EUR"),
        ("12,00 EUR", "EUR"),
        ("EUR1,00", "EUR"),
        ("$12.00", "USD"),
        ("US$ 12", "USD"),
        ("A$ 12", "AUD"),
        ("AU$ 12", "AUD"),
        ("C$ 12", "CAD"),
        ("CA$ 12", "CAD"),
        ("NZ$ 12", "NZD"),
        ("HK$ 12", "HKD"),
        ("S$ 12", "SGD"),
        ("£ 12", "GBP"),
        ("¥ 1200", "JPY"),
        ("₹ 500", "INR"),
        ("Rs. 500", "INR"),
        ("Rs 500", "INR"),
        ("INR 500", "INR"),
        ("CHF 12.50", "CHF"),
        ("Fr. 12.50", "CHF"),
        ("12.50 Fr.", "CHF"),
        ("12,50 zł", "PLN"),
        ("RM 12.00", "MYR"),
        ("Betrag in Euro", "EUR"),
        ("EURO", "EUR"),
        ("12 euros", "EUR"),
        ("20 Dollar", "USD"),
        ("100 kr", "SEK"),
        ("1.234,00 DKK", "DKK"),
        ("Summe in PLN", "PLN"),
        ("ZAR 99.00", "ZAR"),
        # the most specific marker wins over generic ones, whatever the order
        ("$ 12.00 (CAD)", "CAD"),
        ("100 kr NOK", "NOK"),
        ("Dollar amount in AUD", "AUD"),
        # otherwise the first one
        ("12 EUR, 13 USD", "EUR"),
        ("£ 12 or € 14", "GBP"),
        # not currencies
        ("", None),
        ("Rechnung Nr. 12", None),
        ("Fr. Müller", None),  # "Frau", not francs
        ("Mrs. Smith", None),
        ("EURX 12", None),
        ("DEUR", None),
        ("eur 12", None),  # codes are upper case
        ("RMA 12", None),
        ("Kreditkarte", None),
        ("ABC 12", None),
    ],
)
def test_detect_currency(text: str, expected: str | None) -> None:
    assert detect_currency(text) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Summe 1.234,56"], ","),
        (["Preis 12,50", "Menge 3"], ","),
        (["Total 1,234.56"], "."),
        (["Price 12.50"], "."),
        (["1.234.567 Stück"], ","),
        (["1,234,567 pcs"], "."),
        (["1'234.50"], "."),
        (["3,3333 EUR/Stk"], ","),
        # grouped decimals outweigh a single x.yy
        (["1.234,56", "Version 2.10"], ","),
        # dates, ambiguous groups and "dd.mm." never vote
        (["31.03.2024", "05.06.18", "2024-03-31"], None),
        (["Lieferung 31.03.", "Summe 12,50"], ","),
        (["Total due 12.50."], "."),
        (["1,234", "1.234"], None),
        (["Rechnung 471102"], None),
        ([], None),
        # ties are no evidence
        (["12,50", "12.50"], None),
        (["Datum 31.03.2024 Betrag 1.234,56 EUR", "USt 19 % 197,11"], ","),
    ],
)
def test_guess_decimal_separator(texts: list[str], expected: str | None) -> None:
    assert guess_decimal_separator(texts) == expected


def test_guess_decimal_separator_accepts_iterators() -> None:
    assert guess_decimal_separator(line for line in ["12,50", "7,00"]) == ","


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19 %", "19"),
        ("19%", "19"),
        ("19,00%", "19.00"),
        ("19,00 %", "19.00"),
        ("7.5 %", "7.5"),
        ("7,5\u00a0%", "7.5"),
        ("0 %", "0"),
        ("100 %", "100"),
        ("-10 %", "-10"),
        (" 19 % ", "19"),
        ("19", None),
        ("19,00", None),
        ("", None),
        ("%", None),
        ("abc %", None),
        ("MwSt 19 %", None),
        ("1.2.3 %", None),
        ("1000 %", None),
    ],
)
def test_parse_percent(text: str, expected: str | None) -> None:
    assert _same(parse_percent(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("19", "19"), ("7,5", "7.5"), ("19 %", "19"), ("abc", None), ("", None)],
)
def test_parse_percent_without_sign(text: str, expected: str | None) -> None:
    assert _same(parse_percent(text, require_sign=False), expected)
