"""Documents and a browser for the review-workflow tests and benchmark (not a test).

``invoice_pdf`` writes a one- or two-page invoice the embedded engine reads (the totals on the
last page), with a line item whose printed amount may disagree with quantity x unit price;
``einvoice_xml`` writes a CII e-invoice from the model; ``serve_app`` runs a Flask app on a free
loopback port in a thread; ``chromium`` launches headless Debian Chromium.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from werkzeug.serving import make_server

from invoice_extractor.export.cii import invoice_to_cii
from invoice_extractor.model import Invoice, LineItem, Party, TaxLine

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
COLUMNS_X = (50.0, 300.0, 380.0, 490.0)


def invoice_pdf(
    number: str = "INV-2024-0042",
    *,
    seller: str = "Acme Trading Ltd",
    printed_amount: str = "100.00",
    pages: int = 1,
) -> bytes:
    """Acme's invoice to Kunde AG: consulting 2 x 50.00 printed as ``printed_amount``; subtotal
    100.00, VAT 19.00, total 119.00 EUR, on the last of ``pages`` pages."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(datetime(2024, 3, 5, tzinfo=UTC))  # the same invoice, the same bytes

    def text(x: float, y: float, value: str, size: float = 10) -> None:
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y, value)

    pdf.add_page()
    text(50, 60, seller, 16)
    for n, line in enumerate(("Bill to:", "Kunde AG", "Hauptstrasse 5, 10115 Berlin")):
        text(50, 120 + 16 * n, line)
    for n, (label, value) in enumerate((("Invoice No:", number), ("Date:", "2024-03-05"))):
        text(330, 120 + 16 * n, label)
        text(460, 120 + 16 * n, value)
    rows = [
        ("Description", "Qty", "Unit Price", "Amount"),
        ("Consulting", "2", "50.00", printed_amount),
    ]
    for n, row in enumerate(rows):
        for x, value in zip(COLUMNS_X, row, strict=True):
            text(x, 230 + 20 * n, value)
    for _ in range(pages - 1):
        pdf.add_page()
    totals = (("Subtotal", "100.00 EUR"), ("VAT 19%", "19.00 EUR"), ("Total", "119.00 EUR"))
    top = 310 if pages == 1 else 620
    for n, (label, value) in enumerate(totals):
        text(330, top + 16 * n, label)
        text(460, top + 16 * n, value)
    return bytes(pdf.output())


def einvoice_xml(number: str = "XR-2024-7") -> bytes:
    """A CII (XRechnung-style) e-invoice without any printed page."""
    invoice = Invoice(
        file="x.xml",
        invoice_number=number,
        issue_date=date(2024, 5, 2),
        due_date=date(2024, 6, 1),
        currency="EUR",
        seller=Party(
            name="Muster GmbH",
            vat_id="DE123456788",
            address="Hauptstr. 1, 10115 Berlin",
            country="DE",
        ),
        buyer=Party(name="Kunde AG", address="Ring 2, 80331 München", country="DE"),
        subtotal=Decimal("200.00"),
        tax_exclusive_total=Decimal("200.00"),
        tax_total=Decimal("38.00"),
        total=Decimal("238.00"),
        amount_due=Decimal("238.00"),
        tax_lines=[
            TaxLine(
                rate=Decimal("19"), base=Decimal("200.00"), amount=Decimal("38.00"), category="S"
            )
        ],
        line_items=[
            LineItem(
                description="Wartung",
                quantity=Decimal("4"),
                unit="HUR",
                unit_price=Decimal("50.00"),
                amount=Decimal("200.00"),
                tax_rate=Decimal("19"),
            )
        ],
    )
    return invoice_to_cii(invoice)


@contextmanager
def serve_app(app: Flask) -> Iterator[str]:
    """The app on a free loopback port (threads, like the development server); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def contrast(foreground: str, background: str) -> float:
    """The WCAG 2.1 contrast ratio of two CSS ``rgb()``/``rgba()`` colours (alpha ignored)."""

    def luminance(css: str) -> float:
        parts = [float(p) for p in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in parts
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    a, b = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def files_payload(*files: tuple[str, bytes, str]) -> list[dict[str, Any]]:
    """Playwright ``set_input_files`` payloads: (name, bytes, MIME type)."""
    return [{"name": n, "mimeType": t, "buffer": b} for n, b, t in files]
