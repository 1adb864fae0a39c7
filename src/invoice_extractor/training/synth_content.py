"""What a synthetic invoice says: seller, buyer, numbers, dates, lines and totals, with the
arithmetic an invoice must satisfy (lines sum to the subtotal; subtotal - discount + tax = total;
amount due = total - prepaid), every amount rounded half up to cents."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .synth_ids import bic, iban, vat_id
from .synth_words import Wording

CENT = Decimal("0.01")
# Standard and reduced VAT rates of each seller country (US: a state sales tax).
RATES: dict[str, tuple[str, ...]] = {
    "DE": ("19", "7"),
    "AT": ("20", "10"),
    "CH": ("8.1", "2.6"),
    "FR": ("20", "10", "5.5"),
    "BE": ("21", "6"),
    "ES": ("21", "10"),
    "IT": ("22", "10"),
    "NL": ("21", "9"),
    "GB": ("20", "5"),
    "US": ("8.25", "6.5", "7"),
}
CURRENCIES: dict[str, str] = {"GB": "GBP", "US": "USD", "CH": "CHF"}
_NUMBER_PATTERNS = (
    "{y}-{n:04d}",
    "RE-{y}-{n:05d}",
    "INV-{n:05d}",
    "F{y}/{n:03d}",
    "A-{n:05d}",
    "{yy}{n:06d}",
    "{n}",
    "{y}{n:05d}",
    "FA{yy}-{n:04d}",
)
_PO_PATTERNS = ("PO-{n:05d}", "4500{n:06d}", "B{n:04d}/{yy}", "ORD-{n:04d}")
# Replacements for characters the PDF core fonts (latin-1) cannot show.
_LATIN1 = str.maketrans({"œ": "oe", "Œ": "OE", "€": "EUR", "’": "'", "–": "-", "—": "-"})


def printable(text: str, unicode_font: bool) -> str:
    if unicode_font:
        return text
    text = text.translate(_LATIN1)
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    street: str
    town: str
    country: str
    vat_id: str | None


@dataclass(frozen=True, slots=True)
class Seller:
    party: Party
    wording: Wording
    currency: str
    iban: str | None
    bic: str
    bank: str
    email: str
    phone: str
    number_pattern: str
    rates: tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Content:
    seller: Seller
    buyer: Party
    credit_note: bool
    number: str
    issue_date: date
    due_date: date
    delivery_date: date
    po_number: str | None
    customer_number: str
    lines: tuple[Line, ...]
    subtotal: Decimal
    discount_percent: Decimal
    discount: Decimal
    tax_lines: tuple[TaxLine, ...]
    tax_total: Decimal
    total: Decimal
    prepaid: Decimal
    amount_due: Decimal

    @property
    def tax_base(self) -> Decimal:
        return self.subtotal - self.discount


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _company(rng: random.Random, words: Wording, unicode_font: bool) -> str:
    stem = rng.choice(words.name_stems)
    shape = rng.random()
    if shape < 0.45:
        name = f"{stem} {rng.choice(words.name_trades)} {rng.choice(words.legal_forms)}"
    elif shape < 0.7:
        name = f"{stem} {rng.choice(words.legal_forms)}"
    elif shape < 0.85:
        name = f"{rng.choice(words.name_trades)} {stem} {rng.choice(words.legal_forms)}"
    else:
        other = rng.choice([s for s in words.name_stems if s != stem])
        name = f"{stem} & {other} {rng.choice(words.legal_forms)}"
    return printable(name, unicode_font)


def _party(
    rng: random.Random, words: Wording, country: str, unicode_font: bool, *, person: bool
) -> Party:
    name = rng.choice(words.persons) if person else _company(rng, words, unicode_font)
    street = rng.choice(words.streets).format(n=rng.randint(1, 180))
    has_vat = country != "US" and not person
    return Party(
        name=printable(name, unicode_font),
        street=printable(street, unicode_font),
        town=printable(rng.choice(words.towns), unicode_font),
        country=country,
        vat_id=vat_id(rng, country) if has_vat else None,
    )


def draw_seller(rng: random.Random, words: Wording, unicode_font: bool) -> Seller:
    country = rng.choice(words.countries)
    party = _party(rng, words, country, unicode_font, person=False)
    currency = CURRENCIES.get(country, "EUR")
    if country == "CH" and rng.random() < 0.3:
        currency = "EUR"
    bank = printable(rng.choice(words.banks), unicode_font)
    domain = "".join(ch for ch in party.name.split()[0].lower() if ch.isascii() and ch.isalnum())
    rates = RATES[country]
    chosen = rates[:1] if rng.random() < 0.6 else rates
    return Seller(
        party=party,
        wording=words,
        currency=currency,
        iban=iban(rng, country) if country != "US" else None,
        bic=bic(rng, country if country != "US" else "US", bank),
        bank=bank,
        email=f"{rng.choice(['info', 'billing', 'accounts', 'office'])}@{domain or 'mail'}.example",
        phone=f"+{rng.randint(30, 49)} {rng.randint(10, 999)} {rng.randint(100000, 9999999)}",
        number_pattern=rng.choice(_NUMBER_PATTERNS),
        rates=tuple(Decimal(r) for r in chosen),
    )


def _line(rng: random.Random, seller: Seller, unicode_font: bool) -> Line:
    words = seller.wording
    description = rng.choice(words.goods)
    if rng.random() < 0.25:
        description += f" {rng.choice(['- ', '', '#'])}{rng.randint(100, 99999)}"
    if rng.random() < 0.3:
        quantity = Decimal(rng.choice(["0.5", "1.5", "2.25", "2.5", "3.75", "7.5", "12.5"]))
    else:
        quantity = Decimal(rng.choice([1, 1, 1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 50, 100]))
    magnitude = rng.choice([10, 100, 100, 1000, 5000])
    unit_price = _cents(Decimal(rng.randint(50, magnitude * 100)) / 100)
    return Line(
        description=printable(description, unicode_font),
        quantity=quantity,
        unit=printable(rng.choice(words.units), unicode_font),
        unit_price=unit_price,
        amount=_cents(quantity * unit_price),
        rate=rng.choice(seller.rates),
    )


def draw_content(
    rng: random.Random, seller: Seller, index: int, unicode_font: bool, line_count: int
) -> Content:
    """One invoice (or, now and then, a credit note) of ``seller``."""
    words = seller.wording
    buyer_country = seller.party.country if rng.random() < 0.8 else rng.choice(words.countries)
    buyer = _party(rng, words, buyer_country, unicode_font, person=rng.random() < 0.15)
    issue = date(2021, 1, 1) + timedelta(days=rng.randint(0, 5 * 365))
    year = issue.year
    number = seller.number_pattern.format(y=year, yy=year % 100, n=rng.randint(1, 9999) + index)
    lines = tuple(_line(rng, seller, unicode_font) for _ in range(line_count))
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    percent = Decimal(rng.choice(["2", "3", "5", "10"])) if rng.random() < 0.15 else Decimal(0)
    tax_lines = []
    for rate in sorted({line.rate for line in lines}, reverse=True):
        net = sum((line.amount for line in lines if line.rate == rate), Decimal("0.00"))
        base = _cents(net * (100 - percent) / 100)
        tax_lines.append(TaxLine(rate, base, _cents(base * rate / 100)))
    discount = subtotal - sum((t.base for t in tax_lines), Decimal("0.00"))
    tax_total = sum((t.amount for t in tax_lines), Decimal("0.00"))
    total = subtotal - discount + tax_total
    prepaid = Decimal("0.00")
    if rng.random() < 0.15:
        prepaid = _cents(total * Decimal(rng.choice(["0.2", "0.25", "0.3", "0.5"])))
    pattern = rng.choice(_PO_PATTERNS)
    return Content(
        seller=seller,
        buyer=buyer,
        credit_note=rng.random() < 0.08,
        number=number,
        issue_date=issue,
        due_date=issue + timedelta(days=rng.choice([7, 10, 14, 14, 30, 30, 30, 45, 60])),
        delivery_date=issue - timedelta(days=rng.randint(0, 20)),
        po_number=pattern.format(n=rng.randint(1, 99999), yy=year % 100)
        if rng.random() < 0.4
        else None,
        customer_number=f"{rng.randint(10000, 99999)}",
        lines=lines,
        subtotal=subtotal,
        discount_percent=percent,
        discount=discount,
        tax_lines=tuple(tax_lines),
        tax_total=tax_total,
        total=total,
        prepaid=prepaid,
        amount_due=total - prepaid,
    )
