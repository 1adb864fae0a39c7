"""The wording a synthetic invoice draws from, per language: several realistic variants of every
label (synonyms, plurals, compounds, abbreviations), titles, legal forms, months, names, streets,
towns and goods. ``WORDINGS`` maps a language code to its ``Wording``."""

from __future__ import annotations

from dataclasses import dataclass

Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Wording:
    language: str
    countries: Words  # where sellers of this language are (the first is the most common)
    invoice_title: Words
    credit_title: Words
    invoice_number: Words
    credit_number: Words
    issue_date: Words
    due_date: Words
    delivery_date: Words
    po_number: Words
    customer_number: Words
    vat_id: Words
    iban: Words
    bic: Words
    bank: Words
    subtotal: Words
    discount: Words
    tax: Words  # "{rate}" is replaced by the rate
    tax_total: Words
    total: Words
    prepaid: Words
    amount_due: Words
    credit_due: Words
    seller_heading: Words
    buyer_heading: Words
    col_position: Words
    col_description: Words
    col_quantity: Words
    col_unit: Words
    col_unit_price: Words
    col_amount: Words
    col_tax_rate: Words
    page: Words  # "{x}" and "{y}"
    pay_by: Words  # "{date}"
    carried: Words  # "carried forward" on a page the table continues from
    currency: Words
    thanks: Words
    months: Words
    long_date: str
    legal_forms: Words
    name_stems: Words
    name_trades: Words
    persons: Words
    streets: Words
    towns: Words  # "POSTCODE Town" the way the country writes it
    goods: Words
    units: Words
    banks: Words


def _merge() -> dict[str, Wording]:
    from .synth_words_nl import NL
    from .synth_words_north import DE, EN
    from .synth_words_south import ES, FR, IT

    return {w.language: w for w in (EN, DE, FR, ES, IT, NL)}


WORDINGS: dict[str, Wording] = _merge()
LANGUAGES: tuple[str, ...] = tuple(WORDINGS)
