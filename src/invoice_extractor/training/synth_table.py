"""The body of a synthetic invoice: items table over as many pages as it needs, totals, payment
details, footer and page numbers (``render`` puts a whole document together)."""

from __future__ import annotations

from .synth_content import Content, Line
from .synth_formats import Formats
from .synth_ids import group_iban
from .synth_layout import Layout
from .synth_render import (
    COLUMN_WIDTHS,
    LEFT,
    NUMERIC_COLUMNS,
    PAGE_BOTTOM,
    RIGHT,
    Canvas,
    Printed,
    draw_header,
)


def _widths(c: Canvas) -> list[float]:
    """Each column as wide as its usual values or its heading; the description takes the rest."""
    if c.column_widths:
        return c.column_widths
    c.pdf.set_font(c.family, "B", c.layout.size)
    fixed = {
        col: max(COLUMN_WIDTHS[col], c.pdf.get_string_width(_heading(c, col)) + 3)
        for col in c.layout.columns
        if col != "description"
    }
    rest = RIGHT - LEFT - sum(fixed.values())
    c.column_widths = [fixed.get(col, rest) for col in c.layout.columns]
    return c.column_widths


def _heading(c: Canvas, column: str) -> str:
    text = c.layout.headings[column]
    if c.layout.currency_in_heading and column in ("unit_price", "amount"):
        return f"{text} ({c.fmt.currency})"
    return text


def _table_head(c: Canvas, y: float) -> float:
    lay, height = c.layout, c.line_h * 1.5
    if lay.table_rules == "header-fill":
        c.pdf.set_fill_color(225, 225, 225)
        c.pdf.rect(LEFT, y, RIGHT - LEFT, height, style="F")
    x = LEFT
    for column, width in zip(lay.columns, _widths(c), strict=True):
        align = "R" if column in NUMERIC_COLUMNS else "L"
        c.text(x + 1, y + c.line_h * 0.25, _heading(c, column), bold=True, align=align,
               width=width - 2)  # fmt: skip
        if lay.table_rules == "grid":
            c.pdf.rect(x, y, width, height)
        x += width
    if lay.table_rules in ("horizontal", "header-fill", "none"):
        c.pdf.line(LEFT, y + height, RIGHT, y + height)
    return y + height + 1


def _cell(c: Canvas, line: Line, number: int, column: str) -> str:
    fmt = c.fmt
    money = fmt.money if c.layout.table_money else fmt.number
    values = {
        "position": str(number),
        "description": line.description,
        "quantity": fmt.quantity(line.quantity),
        "unit": line.unit,
        "unit_price": money(line.unit_price),
        "tax_rate": fmt.rate(line.rate),
        "amount": money(line.amount),
    }
    return values[column]


def _row(c: Canvas, line: Line, number: int, y: float) -> float:
    lay, widths = c.layout, _widths(c)
    desc_w = widths[lay.columns.index("description")] - 2
    c.pdf.set_font(c.family, "", lay.size)
    lines = c.pdf.multi_cell(desc_w, c.line_h, line.description, dry_run=True, output="LINES")
    wrapped = [str(part) for part in lines] if isinstance(lines, list) else [line.description]
    height: float = c.line_h * len(wrapped) + 1.2
    x = LEFT
    for column, width in zip(lay.columns, widths, strict=True):
        if column == "description":
            for i, part in enumerate(wrapped):
                c.text(x + 1, y + 0.6 + i * c.line_h, part, width=width - 2)
        else:
            align = "R" if column in NUMERIC_COLUMNS else "L"
            c.text(x + 1, y + 0.6, _cell(c, line, number, column), align=align, width=width - 2)
        if lay.table_rules == "grid":
            c.pdf.rect(x, y, width, height)
        x += width
    if lay.table_rules == "horizontal":
        c.pdf.line(LEFT, y + height, RIGHT, y + height)
    return y + height


def _continuation(c: Canvas) -> float:
    c.pdf.add_page()
    lay, content = c.layout, c.content
    title = lay.credit_title if content.credit_note else lay.title
    number_label = c.label("credit_number" if content.credit_note else "invoice_number")
    c.text(LEFT, 12, content.seller.party.name, bold=True)
    c.text(LEFT, 12 + c.line_h, f"{title} - {number_label} {content.number}")
    return 26.0


def _totals_rows(c: Canvas) -> list[tuple[str, str, bool]]:
    lay, content, fmt = c.layout, c.content, c.fmt
    rows = [(c.label("subtotal"), c.money(content.subtotal), False)]
    if content.discount:
        label = f"{lay.labels['discount']} {fmt.rate(content.discount_percent)}{lay.colon}"
        rows.append((label, "-" + c.money(content.discount), False))
    if lay.totals_style != "tax-table":
        for tax in content.tax_lines:
            label = lay.labels["tax"].format(rate=fmt.rate(tax.rate)) + lay.colon
            rows.append((label, c.money(tax.amount), False))
    several = len(content.tax_lines) > 1
    if lay.totals_style == "tax-table" or (several and lay.tax_total_line):
        rows.append((c.label("tax_total"), c.money(content.tax_total), False))
        c.printed.fields.add("tax_total")
    elif not several:  # the one tax line is the tax total
        c.printed.fields.add("tax_total")
    total_label = c.label("total")
    if fmt.money_style == "bare" and not (lay.currency_in_heading or lay.currency_line):
        total_label = f"{lay.labels['total']} {fmt.currency}{lay.colon}"
    rows.append((total_label, c.money(content.total), True))
    if content.prepaid:
        rows.append((c.label("prepaid"), "-" + c.money(content.prepaid), False))
    if content.prepaid or lay.due_line:
        due = "credit_due" if content.credit_note else "amount_due"
        rows.append((c.label(due), c.money(content.amount_due), True))
    return rows


def _tax_table(c: Canvas, y: float) -> float:
    lay, fmt = c.layout, c.fmt
    heads = (lay.headings.get("tax_rate") or lay.labels["tax"].format(rate="%"),
             lay.labels["subtotal"], lay.labels["tax_total"])  # fmt: skip
    for i, head in enumerate(heads):
        c.text(LEFT + i * 28, y, head, size=lay.size - 1, bold=True, align="R", width=27)
    c.pdf.line(LEFT, y + c.line_h, LEFT + 84, y + c.line_h)
    for tax in c.content.tax_lines:
        y += c.line_h * 1.1
        for i, value in enumerate(
            (fmt.rate(tax.rate), fmt.number(tax.base), fmt.number(tax.amount))
        ):
            c.text(LEFT + i * 28, y + 0.5, value, size=lay.size - 1, align="R", width=27)
    return y + c.line_h * 1.5


def _totals(c: Canvas, y: float) -> float:
    rows = _totals_rows(c)
    height = len(rows) * c.line_h * 1.25 + 6
    if y + height > PAGE_BOTTOM:
        y = _continuation(c)
    top = y + 3
    if c.layout.totals_style == "tax-table":
        _tax_table(c, top)
    if c.layout.totals_style == "box":
        c.pdf.rect(112, top - 1.5, RIGHT - 112, len(rows) * c.line_h * 1.25 + 3)
    y = top
    for label, value, bold in rows:
        c.text(114, y, label, bold=bold)
        c.text(150, y, value, bold=bold, align="R", width=RIGHT - 151)
        y += c.line_h * 1.25
    return max(y, top + (len(c.content.tax_lines) + 2) * c.line_h * 1.1) + 4


def _payment(c: Canvas, y: float) -> float:
    lay, content, seller = c.layout, c.content, c.content.seller
    notes: list[str] = []
    if lay.due_style in ("sentence", "both"):
        notes.append(lay.pay_by.format(date=c.date(content.due_date)))
        c.printed.fields.add("due_date")
    if lay.iban_place == "block" and seller.iban:
        iban = group_iban(seller.iban) if lay.iban_grouped else seller.iban
        notes += [f"{c.label('bank')} {seller.bank}", f"{c.label('iban')} {iban}",
                  f"{c.label('bic')} {seller.bic}"]  # fmt: skip
        c.printed.fields.add("iban")
    if lay.thanks:
        notes.append(lay.thanks)
    if y + len(notes) * c.line_h > PAGE_BOTTOM:
        y = _continuation(c)
    for note in notes:
        c.text(LEFT, y, note)
        y += c.line_h * 1.1
    return y


def _footer(c: Canvas, page: int) -> None:
    lay, seller = c.layout, c.content.seller
    c.pdf.page = page
    if lay.footer:
        party = seller.party
        columns = [[party.name, party.street, party.town], [seller.phone, seller.email]]
        if lay.vat_place == "footer" and party.vat_id:
            columns[1].append(f"{c.label('vat_id')} {party.vat_id}")
            c.printed.fields.add("seller_vat_id")
        if lay.iban_place == "footer" and seller.iban:
            iban = group_iban(seller.iban) if lay.iban_grouped else seller.iban
            columns.append(
                [seller.bank, f"{c.label('iban')} {iban}", f"{c.label('bic')} {seller.bic}"]
            )
            c.printed.fields.add("iban")
        c.pdf.line(LEFT, PAGE_BOTTOM + 4, RIGHT, PAGE_BOTTOM + 4)
        for i, column in enumerate(columns):
            for j, text in enumerate(column):
                c.text(LEFT + i * 62, PAGE_BOTTOM + 6 + j * 3.2, text, size=7)
    if c.printed.pages > 1 or lay.page_numbers:
        label = lay.page_label.format(x=page, y="{nb}")
        c.text(LEFT, PAGE_BOTTOM + 18, label, size=7.5, align="R", width=RIGHT - LEFT)


def render(
    content: Content, layout: Layout, fmt: Formats, *, letter: bool
) -> tuple[bytes, Printed]:
    c = Canvas(layout, fmt, content, letter)
    c.pdf.add_page()
    y = _table_head(c, draw_header(c))
    for number, line in enumerate(content.lines, start=1):
        if y + c.line_h * 3 > PAGE_BOTTOM:
            if layout.carried:
                c.text(LEFT, y + 1, layout.carried, size=layout.size - 1)
            y = _table_head(c, _continuation(c))
        y = _row(c, line, number, y)
    y = _totals(c, y + 2)
    _payment(c, y + 2)
    c.printed.pages = c.pdf.page
    for page in range(1, c.printed.pages + 1):
        _footer(c, page)
    return bytes(c.pdf.output()), c.printed
