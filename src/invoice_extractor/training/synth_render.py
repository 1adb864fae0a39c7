"""Drawing a synthetic invoice with fpdf2: letterhead, buyer window, key/value header, items
table (breaking over pages with its heading repeated), totals, payment details and footer.

``render`` returns the PDF and what it printed (``Printed``), so the truth lists exactly the
fields that are on the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF

from .synth_content import Content, printable
from .synth_formats import Formats
from .synth_layout import Layout, font_files

LEFT, RIGHT, PAGE_BOTTOM = 15.0, 195.0, 262.0
# Widths (mm) of the items table's columns, before a long heading widens one.
COLUMN_WIDTHS = {
    "position": 10.0,
    "quantity": 17.0,
    "unit": 14.0,
    "unit_price": 26.0,
    "tax_rate": 15.0,
    "amount": 29.0,
}
NUMERIC_COLUMNS = frozenset({"position", "quantity", "unit_price", "tax_rate", "amount"})


@dataclass(slots=True)
class Printed:
    fields: set[str] = field(default_factory=set)  # truth fields printed on the page
    pages: int = 1


class Canvas:
    def __init__(self, layout: Layout, fmt: Formats, content: Content, letter: bool) -> None:
        self.layout, self.fmt, self.content = layout, fmt, content
        self.pdf = FPDF(format="Letter" if letter else "A4", unit="mm")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creation_date(_stamp(content.issue_date))
        self.pdf.set_producer("invoice-extractor synth")
        self.pdf.alias_nb_pages("{nb}")
        self.family = layout.font
        files = font_files(layout.font) if layout.unicode_font else None
        if files is not None:
            self.pdf.add_font(layout.font, "", str(files[0]))
            self.pdf.add_font(layout.font, "B", str(files[1]))
        self.line_h = layout.size * 0.46
        self.printed = Printed()
        self.column_widths: list[float] = []  # the items table's, measured once

    def text(self, x: float, y: float, value: str, *, size: float | None = None,
             bold: bool = False, align: str = "L", width: float = 0.0) -> None:  # fmt: skip
        self.pdf.set_font(self.family, "B" if bold else "", size or self.layout.size)
        self.pdf.set_xy(x, y)
        text = printable(value, self.layout.unicode_font)
        self.pdf.cell(w=width or self.pdf.get_string_width(text) + 1, h=self.line_h, text=text,
                      align=align)  # fmt: skip

    def label(self, name: str) -> str:
        return self.layout.labels[name] + self.layout.colon

    def money(self, value: Decimal) -> str:
        return self.fmt.money(value)

    def date(self, value: date) -> str:
        return self.fmt.date(value)


def _stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


# --- header -----------------------------------------------------------------------------------


def _letterhead(c: Canvas) -> float:
    lay, seller = c.layout, c.content.seller
    if lay.letterhead == "footer":
        return 15.0
    party = seller.party
    lines = [party.street, party.town, seller.phone, seller.email]
    if lay.vat_place == "letterhead" and party.vat_id:
        lines.append(f"{c.label('vat_id')} {party.vat_id}")
        c.printed.fields.add("seller_vat_id")
    align = {"left": "L", "right": "R", "center": "C"}[lay.letterhead]
    y = 14.0
    if lay.seller_heading:
        c.text(LEFT, y, lay.seller_heading, size=lay.size - 1.5, align=align, width=RIGHT - LEFT)
        y += c.line_h
    c.text(LEFT, y, party.name, size=lay.size + 5, bold=True, align=align, width=RIGHT - LEFT)
    y += c.line_h * 1.8
    for line in lines:
        c.text(LEFT, y, line, size=lay.size - 1, align=align, width=RIGHT - LEFT)
        y += c.line_h * 0.9
    return y + 3


def _buyer_block(c: Canvas, x: float, y: float) -> float:
    lay, content = c.layout, c.content
    party = content.seller.party
    if lay.sender_line:
        sep = " · " if lay.unicode_font or lay.font != "courier" else " - "
        c.text(x, y, sep.join([party.name, party.street, party.town]), size=6.5)
        c.pdf.line(x, y + c.line_h * 0.8, x + 80, y + c.line_h * 0.8)
        y += c.line_h * 1.4
    if lay.buyer_heading:
        c.text(x, y, lay.buyer_heading + lay.colon, bold=True)
        y += c.line_h * 1.1
    buyer = content.buyer
    for i, line in enumerate([buyer.name, buyer.street, buyer.town]):
        c.text(x, y, line, bold=i == 0 and not lay.buyer_heading)
        y += c.line_h
    if lay.buyer_vat and buyer.vat_id:
        c.text(x, y, f"{c.label('vat_id')} {buyer.vat_id}")
        c.printed.fields.add("buyer_vat_id")
        y += c.line_h
    return y


def _meta_pairs(c: Canvas) -> list[tuple[str, str]]:
    lay, content = c.layout, c.content
    number_label = c.label("credit_number" if content.credit_note else "invoice_number")
    pairs = [] if lay.number_in_title else [(number_label, content.number)]
    pairs.append((c.label("issue_date"), c.date(content.issue_date)))
    if lay.delivery_date:
        pairs.append((c.label("delivery_date"), c.date(content.delivery_date)))
    if lay.due_style in ("field", "both"):
        pairs.append((c.label("due_date"), c.date(content.due_date)))
        c.printed.fields.add("due_date")
    if content.po_number:
        pairs.append((c.label("po_number"), content.po_number))
        c.printed.fields.add("po_number")
    if lay.customer_number:
        pairs.append((c.label("customer_number"), content.customer_number))
    if lay.vat_place == "header" and content.seller.party.vat_id:
        pairs.append((c.label("vat_id"), content.seller.party.vat_id))
        c.printed.fields.add("seller_vat_id")
    if lay.currency_line:
        pairs.append((c.label("currency"), c.fmt.currency))
    return pairs


def _meta_block(c: Canvas, x: float, y: float, width: float) -> float:
    pairs = _meta_pairs(c)
    if c.layout.meta_style == "inline":
        label_w = max(c.pdf.get_string_width(label) for label, _ in pairs) + 4
        for label, value in pairs:
            c.text(x, y, label)
            c.text(x + label_w, y, value)
            y += c.line_h * 1.05
        return y
    # "below": each value under its label, two pairs a row.
    col = width / 2
    for i, (label, value) in enumerate(pairs):
        cx, cy = x + (i % 2) * col, y + (i // 2) * c.line_h * 2.4
        c.text(cx, cy, label, size=c.layout.size - 1.5)
        c.text(cx, cy + c.line_h, value, bold=True)
    return y + ((len(pairs) + 1) // 2) * c.line_h * 2.4


def _meta_grid(c: Canvas, y: float) -> float:
    pairs = _meta_pairs(c)
    width = (RIGHT - LEFT) / len(pairs)
    for i, (label, value) in enumerate(pairs):
        x = LEFT + i * width
        c.pdf.rect(x, y, width, c.line_h * 2.6)
        c.text(x + 1, y + 0.5, label, size=c.layout.size - 2, width=width - 2)
        c.text(x + 1, y + c.line_h * 1.3, value, width=width - 2)
    return y + c.line_h * 2.6 + 2


def _title(c: Canvas, y: float) -> float:
    lay, content = c.layout, c.content
    title = lay.credit_title if content.credit_note else lay.title
    if lay.number_in_title:
        number_label = lay.labels["credit_number" if content.credit_note else "invoice_number"]
        title = f"{title} {number_label} {content.number}"
    c.text(LEFT, y, title, size=lay.size + 7, bold=True, align=lay.title_align,
           width=RIGHT - LEFT)  # fmt: skip
    return y + c.line_h * 2.5


def draw_header(c: Canvas) -> float:
    """Page one down to the items table; returns where the table starts."""
    y = _letterhead(c)
    window = max(y, 45.0)
    lay = c.layout
    if lay.title_align != "L" or lay.meta_style == "grid":
        window = _title(c, window)
        titled = True
    else:
        titled = False
    buyer_x, meta_x = (LEFT, 118.0) if lay.buyer_side == "left" else (118.0, LEFT)
    bottom = _buyer_block(c, buyer_x, window)
    if lay.meta_style != "grid":
        bottom = max(bottom, _meta_block(c, meta_x, window, 77.0))
    y = bottom + 6
    if not titled:
        y = _title(c, y)
    if lay.meta_style == "grid":
        y = _meta_grid(c, y)
    return y + 3
