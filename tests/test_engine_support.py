"""Evidence that makes a reading sure of itself or not: the block under a party name, the other
party's name as no rival, and the number after a document title with extra words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoice_extractor.extract.embedded.engine import agree, party_rivals
from invoice_extractor.extract.embedded.fields import Candidate, PageIndex
from invoice_extractor.extract.embedded.numbers import titled_numbers
from invoice_extractor.extract.embedded.parties import letterheads
from invoice_extractor.extract.embedded.party_support import party_support
from invoice_extractor.extract.embedded.terms import dates_in_terms
from invoice_extractor.extract.embedded.totals import collect
from invoice_extractor.ingest.document import Line, Page, Word


def _page(*lines: tuple[float, float, str]) -> Page:
    """One line per (x, y, text); cells two spaces apart in the text stand 40 points apart."""
    page = Page(1, 595, 842)
    for x0, y, text in lines:
        words, x = [], x0
        for cell in text.split("  "):
            for token in cell.split():
                words.append(Word(token, x, y, x + 5 * len(token), y + 9))
                x += 5 * len(token) + 3
            x += 40
        page.words.extend(words)
        page.lines.append(Line(words))
    return page


def _words(page: Page, text: str) -> list[Word]:
    line = next(line for line in page.lines if " ".join(w.text for w in line.words) == text)
    return line.words


def test_a_name_heading_an_address_block_with_an_id_is_supported() -> None:
    page = _page(
        (50, 88, "Seller"),
        (50, 100, "Acme Trading"),
        (50, 112, "Hauptstr. 5"),
        (50, 124, "10115 Berlin"),
        (50, 136, "USt-IdNr. DE123456789"),
        (50, 300, "Thank you for your order"),
        (50, 790, "Acme Trading - Registered in Berlin"),
    )
    index = PageIndex.build(page)
    assert party_support(index, _words(page, "Acme Trading")) == (1.0, 1.0, 1.0)
    # Not asked for the footer (no tree reads it), the name's repetition there is not sought.
    assert party_support(index, _words(page, "Acme Trading"), footer=False) == (1.0, 1.0, 0.0)
    assert party_support(index, _words(page, "Thank you for your order")) == (0.0, 0.0, 0.0)
    # A heading above the name has the address a line further away.
    assert party_support(index, _words(page, "Seller"))[0] == 0.5


def test_the_block_ends_at_a_wide_gap_and_keeps_to_its_column() -> None:
    page = _page(
        (50, 100, "Acme Trading  Globex Ltd"),
        (50, 112, "Paper and more  Hauptstr. 5"),
        (50, 200, "10115 Berlin"),
    )
    index = PageIndex.build(page)
    # The street stands in the other column, the postcode after a gap: neither is Acme's.
    assert party_support(index, _words(page, "Acme Trading Globex Ltd")[:2]) == (0.0, 0.0, 0.0)


def _name(value: str, score: float) -> Candidate[str]:
    return Candidate(value, [Word(value, 0, 0, 1, 1)], score, "", "block", None, "letterhead")


def test_the_other_partys_name_and_the_same_name_in_more_words_are_no_rivals() -> None:
    seller, buyer = _name("LE FOURNISSEUR", 0.9), _name("LE CLIENT", 0.3)
    longer, other = _name("LOGO LE FOURNISSEUR", 0.5), _name("Globex SARL", 0.2)
    rivals = party_rivals(seller, [seller, buyer, longer, other], buyer)
    assert [c.value for c in rivals] == ["Globex SARL"]
    assert [c.value for c in party_rivals(seller, [seller, buyer], None)] == ["LE CLIENT"]


def test_a_number_after_a_title_with_extra_words_is_a_candidate() -> None:
    page = _page(
        (300, 40, "FACTURE"),
        (300, 52, "AFFACTUREE N°  UC1_2023020_AFF"),
        (50, 100, "Rechnung Korrektur Nr. 4711"),
    )
    found = [c.value for c in titled_numbers(PageIndex.build(page))]
    assert found == ["UC1_2023020_AFF", "4711"]


@pytest.mark.parametrize(
    "caption", ["SELLER TRADE NAME", "CLIENT NOM COMMERCIAL", "Bedrijfsnaam", "Ragione sociale"]
)
def test_a_line_ending_in_a_name_caption_is_no_name(caption: str) -> None:
    page = _page((50, 100, caption), (50, 112, "Acme Trading"), (50, 124, "10115 Berlin"))
    names = [hit.name for hit in letterheads(PageIndex.build(page), set())]
    assert caption not in names and "Acme Trading" in names


@pytest.mark.parametrize("label", ["USt.-IdentNr.:", "USt-Ident-Nr.", "Ust-Ident-Nummer"])
def test_the_ident_abbreviation_labels_a_german_vat_id(label: str) -> None:
    index = PageIndex.build(_page((50, 100, f"{label} DE123456789")))
    assert [hit.field for hit in index.labels("seller_vat")] == ["seller_vat"]


@pytest.mark.parametrize(
    ("line", "tax"),
    [
        ("VAT @ 0% on 80.65", None),
        ("MwSt 19 % auf 100,00", None),
        ("VAT 20% 40.00", Decimal("40.00")),
        ("zzgl. Umsatzsteuer 7% von 129,37 9,06", Decimal("9.06")),
    ],
)
def test_an_amount_after_a_rate_and_a_preposition_is_the_base_not_the_tax(
    line: str, tax: Decimal | None
) -> None:
    found = collect([PageIndex.build(_page((50, 600, line)))], None)
    assert [c.value for c in found["tax_total"]] == ([tax] if tax is not None else [])


def test_independent_rules_reading_the_same_value_back_it_once_each() -> None:
    title, label = _name("4711", 0.5), _name("4711", 0.6)
    title.source, label.source = "title", "labelled"
    again, other = _name("4711", 0.3), _name("0815", 0.55)
    again.source, other.source = "labelled", "labelled"
    agree([title, label, again, other])
    assert abs(title.score - 0.8) < 1e-9 and abs(label.score - 0.8) < 1e-9
    assert abs(again.score - 0.8) < 1e-9  # its own source's best reading already counted
    assert other.score == 0.55


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        (
            "Zahlbar innerhalb 30 Tagen netto bis 04.04.2018, 3% Skonto innerhalb 10 Tagen bis "
            "15.03.2018",
            [date(2018, 4, 4)],
        ),
        (
            "Zahlbar innerhalb 10 Tagen mit 2 % Skonto bis 15.03.2018, netto bis 04.04.2018",
            [date(2018, 4, 4)],
        ),
        # No rate: no discount granted, every date stays a candidate.
        (
            "Zahlbar innerhalb 30 Tagen 04.04.2018, Skonto nach Absprache 15.03.2018",
            [date(2018, 4, 4), date(2018, 3, 15)],
        ),
    ],
)
def test_the_deadline_of_a_cash_discount_is_no_due_date(terms: str, due: list[date]) -> None:
    index = PageIndex.build(_page((50, 700, terms)))
    assert [c.value for c in dates_in_terms([index], None)] == due
