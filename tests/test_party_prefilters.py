"""The party rules' shortcuts: each answers as the plain search does, on generated text."""

from __future__ import annotations

import random

from invoice_extractor.extract.embedded.parties import _POSTCODE_CITY, _STREET, address_line


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
