"""Invoices of one seller's layout for the seller-memory tests: the due date stands in a sentence
("Wir erwarten Ihre Überweisung bis 04.04.2024 ohne Abzug."), which no rule of the engine reads
(no payment-terms word opens it), so only a taught layout finds it; everything else is read
without help."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF


@dataclass(frozen=True, slots=True)
class Issue:
    number: str
    date: str  # as printed, dd.mm.yyyy
    due: str
    net: str  # as printed, "100,00"
    vat: str
    total: str
    seller: str = "Nordwind Handel GmbH"
    buyer: str = "Kunde AG"
    number_label: str = "Rechnung Nr."
    seller_vat: str = ""  # printed in the footer when set


FIRST = Issue("RE-1001", "05.03.2024", "04.04.2024", "100,00", "19,00", "119,00")
SECOND = Issue("RE-1002", "07.05.2024", "06.06.2024", "200,00", "38,00", "238,00")
OTHER = Issue(
    "OT-77", "01.02.2024", "01.03.2024", "50,00", "9,50", "59,50", seller="Suedlicht Werke AG"
)


def seller_pdf(issue: Issue) -> bytes:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    items = [
        (50, 60, issue.seller, 16),
        (50, 80, "Hafenstrasse 4, 20457 Hamburg", 10),
        (50, 140, issue.buyer, 10),
        (50, 154, "Ringweg 9, 80331 Muenchen", 10),
        (330, 120, issue.number_label, 10),
        (460, 120, issue.number, 10),
        (330, 136, "Datum", 10),
        (460, 136, issue.date, 10),
        (50, 230, "Beschreibung", 10),
        (490, 230, "Betrag", 10),
        (50, 250, "Beratung", 10),
        (490, 250, issue.net, 10),
        (330, 310, "Netto", 10),
        (460, 310, issue.net, 10),
        (330, 326, "USt 19%", 10),
        (460, 326, issue.vat, 10),
        (330, 342, "Gesamt", 10),
        (460, 342, issue.total, 10),
        (50, 420, f"Wir erwarten Ihre Überweisung bis {issue.due} ohne Abzug.", 10),
    ]
    if issue.seller_vat:
        items.append((50, 780, f"Steuer {issue.seller_vat}", 8))
    for x, y, text, size in items:
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y, text)
    return bytes(pdf.output())


def iso(printed: str) -> str:
    day, month, year = printed.split(".")
    return f"{year}-{month}-{day}"
