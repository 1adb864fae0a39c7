"""The per-language lexicon: every language defines every word group, and labels match their
printed variants (case, accents, umlaut spellings, plurals, compounds, hyphens and Unicode dashes,
a value glued to its label) on small hand-built pages."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from invoice_extractor.extract.embedded.dates import parse_date
from invoice_extractor.extract.embedded.fields import PageIndex
from invoice_extractor.extract.embedded.labels import (
    LABEL_RES,
    LABELS,
    _needles,
    anchor_lines,
    anchors_in,
    hyphenable,
    may_hold_label,
)
from invoice_extractor.extract.embedded.language import detect_language
from invoice_extractor.extract.embedded.lexicon import (
    HEADING_KINDS,
    LABEL_FIELDS,
    LEXICONS,
    TABLE_HEADINGS,
    Lexicon,
)
from invoice_extractor.extract.embedded.lexicon._forms import compound, plain
from invoice_extractor.extract.embedded.parties import LEGAL_FORM
from invoice_extractor.extract.embedded.text import fold
from invoice_extractor.ingest.document import Line, Page, Word

LANGUAGES = ("en", "de", "fr", "es", "it", "nl")


def _page(*lines: str) -> Page:
    """One line per string, words 6 points apart per character, lines 20 points apart."""
    page = Page(1, 595, 842)
    for row, text in enumerate(lines):
        words, x = [], 40.0
        for token in text.split():
            words.append(Word(token, x, 100 + 20 * row, x + 6 * len(token), 110 + 20 * row))
            x += 6 * len(token) + 4
        page.words.extend(words)
        page.lines.append(Line(words))
    return page


def _labels(text: str, field: str) -> list[str]:
    return [hit.text for hit in PageIndex.build(_page(text)).labels(field)]


def test_the_six_languages_are_discovered() -> None:
    assert set(LANGUAGES) <= set(LEXICONS)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_defines_every_group(code: str) -> None:
    lexicon = LEXICONS[code]
    for group in fields(Lexicon):
        assert getattr(lexicon, group.name), f"{code}: {group.name} is empty"
    assert set(lexicon.labels) == set(LABEL_FIELDS)
    for field_name in LABEL_FIELDS:
        assert lexicon.labels[field_name], f"{code}: no label for {field_name}"
    assert set(lexicon.table_headings) == set(HEADING_KINDS)
    for kind in HEADING_KINDS:
        assert lexicon.table_headings[kind], f"{code}: no table heading for {kind}"
    assert len(lexicon.months) == 12 and all(lexicon.months)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_entry_is_in_the_merged_form(code: str) -> None:
    lexicon = LEXICONS[code]
    for field_name, patterns in lexicon.labels.items():
        assert {hyphenable(plain(p)) for p in patterns} <= set(LABELS[field_name])
        for pattern in patterns:
            re.compile(plain(pattern))
    for kind, words in lexicon.table_headings.items():
        assert set(words) <= set(TABLE_HEADINGS[kind])
    for month, names in enumerate(lexicon.months, start=1):
        assert all(parse_date(f"3 {name} 2024").month == month for name in names)  # type: ignore[union-attr]


def test_plain_folds_accents_and_spells_umlauts_both_ways() -> None:
    pattern = re.compile(plain(r"fälligkeit|échéance|straße"))
    for text in ("falligkeit", "faelligkeit", "echeance", "strasse"):
        assert pattern.fullmatch(text)
    assert plain(r"gs\W?t") == r"gs\W?t"  # escapes keep their case


@pytest.mark.parametrize(
    "printed",
    ["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr", "Rechnungs - Nummer", "RECHNUNGS‐NR."],
)
def test_a_compound_matches_in_every_printed_form(printed: str) -> None:
    assert re.fullmatch(compound("rechnung", r"nummer|nr\.?"), fold(printed))
    assert _labels(f"{printed} 4711", "invoice_number")


@pytest.mark.parametrize("dash", ["-", "\u2010", "\u2011", "\u2013", "\u2014", "\u2212"])
def test_unicode_dashes_read_as_hyphens(dash: str) -> None:
    assert fold(f"Sub{dash}Total") == "sub-total"
    assert _labels(f"Sub{dash}Total 100,00", "subtotal")
    assert _labels(f"USt{dash}IdNr. DE123456789", "seller_vat")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Total Taxes 19.00", "tax_total"),
        ("Subtotals 100.00", "subtotal"),
        ("Deposits 50.00", "prepaid"),
        ("Payments received 50.00", "prepaid"),
        ("Erhaltene Anzahlungen 50,00", "prepaid"),
    ],
)
def test_plural_labels(text: str, field: str) -> None:
    assert _labels(text, field)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rechnungs-Nr.12345", "12345"),
        ("Invoice#INV-77", "INV-77"),
        ("Facture n°562044387", "562044387"),
        ("Inv. No.:A-100", "A-100"),
    ],
)
def test_a_value_glued_to_its_label_is_read(text: str, value: str) -> None:
    index = PageIndex.build(_page(text))
    hits = index.labels("invoice_number")
    assert hits, text
    assert [w.text for w in index.right_of(hits[0])][:1] == [value]


def test_a_value_prefix_is_not_a_label() -> None:
    assert not _labels("INV-2024-001", "invoice_number")
    assert not _labels("Steuernummer 123/456/789", "tax_total")
    assert _labels("Liefer-Datum 01.03.2024", "not_a_value")  # a compound not-a-value label


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Fälligkeitsdatum 31.03.2024", "due_date"),
        ("FAELLIGKEITSDATUM 31.03.2024", "due_date"),
        ("Date d’échéance 31/03/2024", "due_date"),
        ("Número de factura F-1", "invoice_number"),
        ("Totale senza IVA 100,00", "tax_exclusive_total"),
        ("BTW-nummer NL123456789B01", "seller_vat"),
        ("Rechnungs-Datum 31.03.2024", "issue_date"),
        ("Factuur-nr. 2024-01", "invoice_number"),
        ("Nº Factura F-1", "invoice_number"),
        ("N. fattura 12", "invoice_number"),
        ("Total hors taxes 100,00", "subtotal"),
        ("Total HTVA 100,00", "subtotal"),
        ("Total a pagar 121,00", "amount_due"),
        ("Invoice Nbr 77", "invoice_number"),
    ],
)
def test_case_accents_and_spellings(text: str, field: str) -> None:
    assert _labels(text.replace("’", "'"), field)


def test_legal_forms_of_every_language() -> None:
    for name in (
        "ACME GmbH",
        "Acme Ltd.",
        "Acme S.A.R.L.",
        "Acme S.L.",
        "Acme S.r.l.",
        "Acme B.V.",
    ):
        assert LEGAL_FORM.search(name), name
    assert not LEGAL_FORM.search("Sagrada Familia")


@pytest.mark.parametrize(
    ("words", "language"),
    [
        ("Rechnung Datum Betrag und die", "de"),
        ("Invoice date amount and the", "en"),
        ("Facture montant et les pour", "fr"),
        ("Factura fecha importe los para", "es"),
        ("Fattura importo il per", "it"),
        ("Factuur bedrag het voor", "nl"),
    ],
)
def test_language_from_frequent_words(words: str, language: str) -> None:
    assert detect_language(words.split()) == language


def test_the_compiled_regexes_cover_every_field() -> None:
    assert set(LABEL_RES) == set(LABEL_FIELDS)


@pytest.mark.parametrize(
    ("pattern", "needles"),
    [
        (r"sub\s*-?\s*totals?", {"total"}),
        (r"(?:amount\s*)?paid", {"paid"}),
        (r"(?:vat|tax(?:es)?|gst)(?:\s*amount)?", {"vat", "tax", "gst"}),
        (r"[a-z]*rechnung[a-z]*\s*(?:nr\.?|#)", {"rechnung"}),
        (r"(?:a|b)?x", {"x"}),
    ],
)
def test_label_anchors_are_text_every_match_contains(pattern: str, needles: set[str]) -> None:
    assert _needles(pattern) == needles


_LINES = [
    "Rechnungs-Nr.12345  Datum: 31.03.2024",
    "Invoice#INV-77 Total Taxes 19.00 Sub-Total 100.00",
    "Date d'echeance 31/03/2024  Net a payer 120,00 EUR",
    "TOTAL (INCL GST) 12.50 Rounding Adj -0.01 CASH 20.00",
    "t.v.a. 20% 24,00  btw 21%  iva 22%  p. iva 01234567890",
    "Bill to: ACME Ltd  Käufer / Leistungsempfänger  Kunden-Nr 4711",
    "Bestellung Nr. Kunde 88  Your order 12  P.O. # 9  Ihre Zeichen ab",
    "Importe total 99,00  Totale da pagare 10,00  Te betalen 5,00",
]


@pytest.mark.parametrize("line", _LINES)
def test_the_prefilter_never_skips_a_line_with_a_label(line: str) -> None:
    folded = fold(line)
    for field_name, regex in LABEL_RES.items():
        if regex.search(folded):
            assert may_hold_label(field_name, folded), (field_name, line)
    assert not may_hold_label("iban", fold("Menge 2 Stück"))


def test_the_page_anchor_index_gives_each_line_its_own_anchors() -> None:
    # Found in the page's joined text, each hit must land on the line it is in: a line with
    # none, a line ending in one, the same anchor twice on a line and on several lines.
    lines = [fold(text) for text in ("Menge 2 Stück", *_LINES, *_LINES[:3], "")]
    expected: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        for anchor in sorted(anchors_in(line)):
            expected.setdefault(anchor, []).append(i)
    assert expected and anchor_lines(lines) == expected
    assert anchor_lines([]) == {}


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("tendered", "BAR 50,00"),
        ("tendered", "EC-Karte 12,90"),
        ("tendered", "ESPECES 20,00"),
        ("tendered", "EFECTIVO 20,00"),
        ("tendered", "CONTANTI 20,00"),
        ("tendered", "PIN 12,90"),
        ("tendered", "CASH 20.00"),
        ("change", "RÜCKGELD 7,10"),
        ("change", "RENDU 7,10"),
        ("change", "CAMBIO 7,10"),
        ("change", "RESTO 7,10"),
        ("change", "WISSELGELD 7,10"),
        ("change", "CHANGE 7.10"),
        ("rounding", "Rundung 0,02"),
        ("total", "SUMME 12,90"),
        ("total", "TOTAL TTC 12,90"),
        ("total", "IMPORTE 12,90"),
        ("total", "TOTALE 12,90"),
        ("total", "TOTAAL 12,90"),
        ("amount_due", "ZU ZAHLEN 12,90"),
        ("tax_total", "di cui IVA 2,33"),
        ("not_a_value", "MwSt-Satz"),
    ],
)
def test_receipt_words_are_labels_of_their_class(field: str, text: str) -> None:
    # A till's words belong to the general classes: totals, what was tendered, the change.
    assert _labels(text, field)
