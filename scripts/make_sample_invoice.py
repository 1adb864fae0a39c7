"""Write ``examples/sample-invoice.pdf``: a fictional one-page German invoice with a text layer.

The README's quick start runs the engine on it and ``tests/test_docs.py`` checks the result, so the
layout is a conventional one (DIN 5008 letter: letterhead, sender line over the address window,
label/value block, items table, totals, bank details, footer). Every company, person and number is
made up; the IBAN and the VAT id are the usual checksum-valid documentation examples.

Run from anywhere: ``python scripts/make_sample_invoice.py [OUTPUT.pdf]`` (needs fpdf2, a dev
dependency). The output is reproducible: the creation date is fixed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "examples" / "sample-invoice.pdf"

SELLER = "Nordlicht Bürotechnik GmbH"
SELLER_STREET = "Hafenstraße 12"
SELLER_CITY = "20457 Hamburg"
BUYER = ("Beispiel Handels AG", "z. Hd. Frau Erika Musterfrau", "Musterweg 5", "80331 München")
HEADER_FIELDS = (
    ("Rechnungsnummer:", "RE-2024-0815"),
    ("Rechnungsdatum:", "15.03.2024"),
    ("Fälligkeitsdatum:", "14.04.2024"),
    ("Kundennummer:", "10023"),
    ("Ihre Bestellung:", "PO-4711"),
)
# (position, description, quantity, unit, unit price, amount): amounts as printed (German format).
ITEMS = (
    ("1", "Laserdrucker LX-200, Duplex, Netzwerk", "2", "Stk.", "249,00", "498,00"),
    ("2", "Tonerkartusche schwarz, hohe Reichweite", "5", "Stk.", "39,90", "199,50"),
    ("3", "Installation und Einweisung vor Ort", "3", "Std.", "85,00", "255,00"),
)
TOTALS = (
    ("Zwischensumme (netto)", "952,50 EUR"),
    ("Umsatzsteuer 19 %", "180,98 EUR"),
    ("Gesamtbetrag", "1.133,48 EUR"),
)
IBAN = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"
VAT_ID = "DE136695976"

LEFT, RIGHT = 57.0, 538.0  # text margins in points (A4 is 595 x 842)
# Items table columns: (heading, x of the left edge or right edge for numbers, align).
COLUMNS = (
    ("Pos.", LEFT, "L"),
    ("Beschreibung", 90.0, "L"),
    ("Menge", 355.0, "R"),
    ("Einheit", 365.0, "L"),
    ("Einzelpreis", 465.0, "R"),
    ("Gesamt", RIGHT, "R"),
)


def _text(pdf: FPDF, x: float, y: float, text: str, align: str = "L") -> None:
    """``text`` with its baseline at ``y``, starting at ``x`` (``L``) or ending at ``x`` (``R``)."""
    if align == "R":
        x -= pdf.get_string_width(text)
    pdf.text(x, y, text)


def build() -> FPDF:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(datetime(2024, 3, 15, 9, 0, tzinfo=UTC))
    pdf.set_title("Rechnung RE-2024-0815")
    pdf.set_author(SELLER)
    pdf.add_page()

    # Letterhead: the company name large on the left, its contact details on the right.
    pdf.set_font("Helvetica", "B", 20)
    _text(pdf, LEFT, 70, SELLER)
    pdf.set_font("Helvetica", size=9)
    for i, line in enumerate(
        (SELLER_STREET, SELLER_CITY, "Tel. +49 40 555 0100", "info@nordlicht-buero.example")
    ):
        _text(pdf, RIGHT, 100 + i * 12, line, "R")

    # Sender line over the address window, then the recipient.
    pdf.set_font("Helvetica", size=7)
    _text(pdf, LEFT, 140, f"{SELLER} · {SELLER_STREET} · {SELLER_CITY}")
    pdf.set_font("Helvetica", size=10)
    for i, line in enumerate(BUYER):
        _text(pdf, LEFT, 160 + i * 13, line)

    # Invoice data: labels and values in two aligned columns beside the address.
    for i, (label, value) in enumerate(HEADER_FIELDS):
        y = 160 + i * 13
        pdf.set_font("Helvetica", size=10)
        _text(pdf, 350, y, label)
        _text(pdf, 460, y, value)

    pdf.set_font("Helvetica", "B", 14)
    _text(pdf, LEFT, 260, "Rechnung")
    pdf.set_font("Helvetica", size=10)
    _text(pdf, LEFT, 285, "Sehr geehrte Damen und Herren,")
    _text(pdf, LEFT, 299, "für unsere Lieferungen und Leistungen berechnen wir Ihnen:")

    # Items table: a bold header row between rules, one line per item.
    pdf.set_line_width(0.5)
    pdf.line(LEFT, 318, RIGHT, 318)
    pdf.set_font("Helvetica", "B", 10)
    for heading, x, align in COLUMNS:
        _text(pdf, x, 332, heading, align)
    pdf.line(LEFT, 338, RIGHT, 338)
    pdf.set_font("Helvetica", size=10)
    for row_no, row in enumerate(ITEMS):
        y = 356 + row_no * 18
        for value, (_, x, align) in zip(row, COLUMNS, strict=True):
            _text(pdf, x, y, value, align)
    pdf.line(LEFT, 404, RIGHT, 404)

    # Totals, right-aligned under the amount column.
    for i, (label, value) in enumerate(TOTALS):
        y = 422 + i * 16
        pdf.set_font("Helvetica", "B" if i == len(TOTALS) - 1 else "", 10)
        _text(pdf, 340, y, label)
        _text(pdf, RIGHT, y, value, "R")

    pdf.set_font("Helvetica", size=10)
    _text(pdf, LEFT, 500, "Zahlbar innerhalb von 30 Tagen ohne Abzug bis zum 14.04.2024.")
    _text(pdf, LEFT, 514, "Bitte geben Sie bei der Zahlung die Rechnungsnummer an.")
    _text(pdf, LEFT, 536, "Bankverbindung: Commerzbank Hamburg")
    _text(pdf, LEFT, 550, f"IBAN: {IBAN}")
    _text(pdf, LEFT, 564, f"BIC: {BIC}")
    _text(pdf, LEFT, 592, "Vielen Dank für Ihren Auftrag!")

    # Footer: legal details, as German company letters must print them.
    pdf.line(LEFT, 770, RIGHT, 770)
    pdf.set_font("Helvetica", size=7)
    footer = (
        f"{SELLER} · {SELLER_STREET} · {SELLER_CITY}",
        "Amtsgericht Hamburg HRB 999999 · Geschäftsführer: Jan Petersen",
        f"USt-IdNr.: {VAT_ID} · Steuernummer: 22/815/08154",
    )
    for i, line in enumerate(footer):
        _text(pdf, LEFT, 784 + i * 10, line)
    return pdf


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    build().output(str(output))
    print(f"wrote {output} ({output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
