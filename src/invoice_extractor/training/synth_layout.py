"""How a synthetic invoice is laid out: one ``Layout`` per seller (a seller keeps its template),
drawn from the variety real invoices show."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from .synth_words import Wording

# DejaVu (where the system has it) prints any character; the PDF core fonts only latin-1.
DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
DEJAVU_FILES = {
    "dejavu": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "dejavuserif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
CORE_FONTS = ("helvetica", "helvetica", "times", "courier")
COLUMN_ORDERS: tuple[tuple[str, ...], ...] = (
    ("position", "description", "quantity", "unit", "unit_price", "amount"),
    ("description", "quantity", "unit_price", "amount"),
    ("position", "description", "quantity", "unit_price", "tax_rate", "amount"),
    ("quantity", "description", "unit_price", "amount"),
    ("description", "unit_price", "quantity", "tax_rate", "amount"),
    ("position", "quantity", "unit", "description", "unit_price", "amount"),
    ("description", "quantity", "unit", "unit_price", "tax_rate", "amount"),
)


def font_files(family: str) -> tuple[Path, Path] | None:
    """The regular and bold files of a DejaVu family, if installed."""
    regular, bold = DEJAVU_FILES[family]
    for folder in DEJAVU_DIRS:
        if (folder / regular).is_file() and (folder / bold).is_file():
            return folder / regular, folder / bold
    return None


@dataclass(frozen=True, slots=True)
class Layout:
    font: str
    size: float
    letterhead: str  # "left" | "right" | "center" | "footer" (seller details only in the footer)
    sender_line: bool  # the small seller line above the buyer's window
    buyer_side: str  # "left" | "right"
    buyer_heading: str | None  # a label over the buyer block, or none
    seller_heading: str | None  # a label over the letterhead, or none
    title: str
    credit_title: str
    title_align: str  # "L" | "C" | "R"
    number_in_title: bool
    meta_style: str  # "inline" | "below" | "grid"
    colon: str  # after labels: ":" or ""
    labels: dict[str, str]  # field -> the label wording this seller uses
    columns: tuple[str, ...]
    headings: dict[str, str]  # column -> heading
    currency_in_heading: bool
    currency_line: bool  # a "Currency: EUR" key/value pair
    table_rules: str  # "none" | "horizontal" | "grid" | "header-fill"
    table_money: bool  # table amounts carry the currency too
    totals_style: str  # "lines" | "box" | "tax-table"
    tax_total_line: bool  # a total-tax line under several rates' lines
    due_line: bool  # an amount-due line even with nothing prepaid
    due_style: str  # "field" | "sentence" | "both" | "none"
    iban_place: str  # "footer" | "block" | "none"
    iban_grouped: bool
    vat_place: str  # "header" | "footer" | "letterhead" | "none"
    buyer_vat: bool
    footer: bool
    page_label: str
    page_numbers: bool  # also on one-page invoices
    delivery_date: bool
    customer_number: bool
    pay_by: str  # the payment sentence ("{date}")
    carried: str | None  # a "carried forward" note where the table breaks
    thanks: str | None

    @property
    def unicode_font(self) -> bool:
        return self.font.startswith("dejavu")


def _pick(rng: random.Random, words: Wording, name: str) -> str:
    options: tuple[str, ...] = getattr(words, name)
    return rng.choice(options)


def draw_layout(rng: random.Random, words: Wording, *, allow_unicode: bool) -> Layout:
    fonts = list(CORE_FONTS)
    if allow_unicode:
        fonts += [f for f in DEJAVU_FILES if font_files(f) is not None]
    font = rng.choice(fonts)
    letterhead = rng.choice(["left", "left", "right", "center", "footer"])
    label_fields = (
        "invoice_number", "credit_number", "issue_date", "due_date", "delivery_date",
        "po_number", "customer_number", "vat_id", "iban", "bic", "bank", "subtotal", "discount",
        "tax", "tax_total", "total", "prepaid", "amount_due", "credit_due", "currency",
    )  # fmt: skip
    columns = rng.choice(COLUMN_ORDERS)
    iban_place = rng.choice(["footer", "block", "block", "none"])
    vat_place = rng.choice(["header", "footer", "letterhead", "none"])
    footer = letterhead == "footer" or "footer" in (iban_place, vat_place) or rng.random() < 0.5
    return Layout(
        font=font,
        size=rng.choice([8.0, 8.5, 9.0, 9.5, 10.0, 10.5]) * (0.9 if font == "courier" else 1.0),
        letterhead=letterhead,
        sender_line=rng.random() < 0.5,
        buyer_side=rng.choice(["left", "left", "right"]),
        buyer_heading=_pick(rng, words, "buyer_heading") if rng.random() < 0.55 else None,
        seller_heading=_pick(rng, words, "seller_heading") if rng.random() < 0.2 else None,
        title=_pick(rng, words, "invoice_title"),
        credit_title=_pick(rng, words, "credit_title"),
        title_align=rng.choice(["L", "L", "C", "R"]),
        number_in_title=rng.random() < 0.2,
        meta_style=rng.choice(["inline", "inline", "below", "grid"]),
        colon=rng.choice([":", ":", ""]),
        labels={name: _pick(rng, words, name) for name in label_fields},
        columns=columns,
        headings={c: _pick(rng, words, "col_" + c) for c in columns},
        currency_in_heading=rng.random() < 0.25,
        currency_line=rng.random() < 0.2,
        table_rules=rng.choice(["none", "horizontal", "grid", "header-fill"]),
        table_money=rng.random() < 0.15,
        totals_style=rng.choice(["lines", "lines", "box", "tax-table"]),
        tax_total_line=rng.random() < 0.3,
        due_line=rng.random() < 0.4,
        due_style=rng.choice(["field", "field", "sentence", "both", "none"]),
        iban_place=iban_place,
        iban_grouped=rng.random() < 0.6,
        vat_place=vat_place,
        buyer_vat=rng.random() < 0.35,
        footer=footer,
        page_label=_pick(rng, words, "page"),
        page_numbers=rng.random() < 0.4,
        delivery_date=rng.random() < 0.3,
        customer_number=rng.random() < 0.5,
        pay_by=_pick(rng, words, "pay_by"),
        carried=_pick(rng, words, "carried") if rng.random() < 0.5 else None,
        thanks=_pick(rng, words, "thanks") if rng.random() < 0.6 else None,
    )
