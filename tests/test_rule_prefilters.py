"""The party, currency and receipt rules' shortcuts: each answers as the plain search does,
on generated text."""

from __future__ import annotations

import random
import re

from invoice_extractor.extract.embedded.amounts import detect_currency, may_hold_currency
from invoice_extractor.extract.embedded.labels import lines_holding_any
from invoice_extractor.extract.embedded.parties import (
    _NOT_NAME,
    _POSTCODE_CITY,
    _STREET,
    address_line,
)
from invoice_extractor.extract.embedded.receipts import _RECEIPT_ANCHORS, _RECEIPT_MARKERS


def test_an_address_line_is_sought_only_in_a_text_with_a_digit() -> None:
    rng = random.Random(31)
    pieces = ["Hauptstr.", "12", "10115", "Berlin", "rue", "de la Paix", "SW1A", "1AA", "ACME"]
    pieces += ["GmbH", "Straße", "Weg", "٣", "²", ",", " ", "Road", "5b"]
    matched = 0
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
        plain = bool(_POSTCODE_CITY.search(text) or _STREET.search(text))
        matched += plain
        assert address_line(text) == plain, text
    assert matched > 300


# ``_STREET`` as first written: a street name's ending ("Hauptstraße 5") after "\w+".
_STREET_PLAIN = re.compile(
    r"(?i)(^\d+[a-z]?,?\s+[^\W\d_]{2}|\b(rue|avenue|av\.|boulevard|bd|chemin|all[eé]e|place|impasse|"
    r"stra(ss|ß)e|str\.|weg|platz|allee|gasse|ring|damm|ufer|street|st\.|road|rd\.|lane|drive|"
    r"way|via|viale|piazza|calle|avenida|plaza|straat|laan|plein|gracht)\b.*\d|"
    r"\w+(stra(ss|ß)e|str\.|weg|platz|allee|gasse|straat|laan)\s+\d)"
)


def test_a_street_ending_is_found_where_the_plain_pattern_finds_it() -> None:
    rng = random.Random(47)
    pieces = ["Hauptstraße", "Hauptstrasse", "Lindenstr.", "Kirchweg", "Marktplatz", "Weg"]
    pieces += ["Lindenallee", "Keizersgracht", "Dorpstraat", "Stationslaan", "straße", "xweg"]
    pieces += ["str.", "12", "5b", "10115", " ", "  ", "\t", ",", "-", "Berlin", "rue", "ß", "1"]
    assert _matches_alike(_STREET, _STREET_PLAIN, pieces, rng, 3000) > 300


def _matches_alike(
    pattern: re.Pattern[str], plain: re.Pattern[str], pieces: list[str], rng: random.Random, n: int
) -> int:
    """Asserts that ``pattern`` matches where ``plain`` does in ``n`` texts glued of ``pieces``;
    how many texts ``plain`` matched (the test's own check that they hold some)."""
    matched = 0
    for _ in range(n):
        text = rng.choice(("", " ")).join(rng.choice(pieces) for _ in range(rng.randrange(0, 7)))
        found = plain.search(text) is not None
        matched += found
        assert (pattern.search(text) is not None) == found, text
    return matched


def test_a_line_without_a_currency_marker_has_no_word_with_one() -> None:
    rng = random.Random(53)
    pieces = ["EUR", "EURO", "eur", "€", "$", "US$", "USD", "US-Dollar", "Dollar", "kr", "kr."]
    pieces += ["Fr.", "SFr.", "CHF", "zł", "Kč", "Rs.", "12", "1.234,56", "Fr.5", "12Fr.", "-"]
    pieces += ["EURUSD", "xEUR", "EURx", "Total", "ACME", "Berlin", "S", "C", "(", ")", ":", "é"]
    marked = 0
    for _ in range(5000):
        words = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 3)))]
        words += [rng.choice(pieces) for _ in range(rng.randrange(0, 5))]
        in_a_word = any(detect_currency(word) is not None for word in words)
        marked += in_a_word
        if in_a_word:
            assert may_hold_currency(" ".join(words)), words
    assert marked > 1000


def test_a_receipt_marker_stands_only_on_a_line_holding_one_of_its_anchors() -> None:
    assert _RECEIPT_ANCHORS is not None
    rng = random.Random(59)
    pieces = ["thank you", "thankyou", "thank", "vielen  dank", "kassiererin", "ruckgeld"]
    pieces += ["rueckgeld", "caissiere", "ticket de caisse", "mwst-satz", "bar", "barcelona"]
    pieces += ["total", "12,50", "eur", "2cash", "cash2", "xcash", "documento commerciale", ":"]
    lines = [
        rng.choice(("", " ", "-")).join(rng.choice(pieces) for _ in range(rng.randrange(0, 5)))
        for _ in range(3000)
    ]
    marked = [i for i, line in enumerate(lines) if _RECEIPT_MARKERS.search(line)]
    held = lines_holding_any(lines, _RECEIPT_ANCHORS)
    assert set(marked) <= set(held)
    assert held == sorted(set(held))  # in order, each once
    assert len(marked) > 1000


# ``_NOT_NAME`` as first written: one alternative per word, each with its own boundaries.
_NOT_NAME_PLAIN = re.compile(
    r"(?i)(@|www\.|https?:|\btel\b|\bfax\b|\bphone\b|\biban\b|\bbic\b|\bseite\b|\bpage\b|"
    r"\bnummer\b|\bnumber\b|\bn°|\bdate\b|\bdatum\b|:\s*\S*\d|^attn\b|^z\.\s?hd|^c/o\b|"
    r"^attention\b|\w-nr\b|\w-no\b)"
)


def test_a_name_is_refused_where_the_plain_pattern_refuses_it() -> None:
    rng = random.Random(61)
    pieces = ["Tel", "tel.", "hotel", "Fax", "Phone", "IBAN", "BIC", "Seite", "page", "pages"]
    pieces += ["Nummer", "number", "N°", "n°", "DATE", "Datum", "updated", "attn", "Attention"]
    pieces += ["z. Hd", "z.Hd", "c/o", "co", "Art-Nr", "Kunden-No", "-nr", "-No.", "a@b", "www."]
    pieces += ["https:", "http:", ": 12", ":x1", "ACME", "GmbH", "12", " ", "-", "_", "é", "ı"]
    assert _matches_alike(_NOT_NAME, _NOT_NAME_PLAIN, pieces, rng, 4000) > 1000
