"""The embedded engine on synthetic invoices in six languages, through ``pipeline.extract_file``.

Each invoice is laid out like a real one: letterhead, buyer block, a label/value header block, an
items table with a header row, a totals block and a footer with the VAT id and IBAN. Expected
values are exact; every extracted field must carry evidence that points at what was printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor import ids, pipeline
from invoice_extractor.model import HEADER_FIELDS, Invoice

if TYPE_CHECKING:
    from conftest import MakePdf, TextItem

A4 = (595.28, 841.89)  # the page size of ``make_pdf``, in points
COLUMN_X = (50.0, 300.0, 380.0, 490.0)  # description, quantity, unit price, amount
HEADER_PATHS = ("invoice_number", "issue_date", "due_date")
TOTAL_PATHS = ("subtotal", "tax_total", "total", "amount_due")


@dataclass(frozen=True)
class Spec:
    """One invoice in one language: 12 x 95.50 (a two-line description) + 1 x 88.56 = 1234.56."""

    lang: str
    parties: tuple[str, str, str, str]  # seller, title, buyer label, buyer
    header: tuple[tuple[str, str, str], ...]  # (label, printed, ISO) of number, issue, due date
    columns: tuple[str, str, str, str]
    descriptions: tuple[str, str, str]  # first item (two lines), second item
    number_format: tuple[str, str, str]  # thousands separator, decimal mark, "{}" money pattern
    totals: tuple[str, str, str, str]  # labels of subtotal, tax, total, amount due
    vat: tuple[str, str]  # label, seller VAT id (checksum-valid)
    iban: tuple[str, str]  # printed, normalised (checksum-valid)
    rate: int
    currency: tuple[str, str]  # printed marker, ISO code

    def amount(self, value: str, money: bool = False) -> str:
        group, mark, pattern = self.number_format
        whole, cents = f"{Decimal(value):,.2f}".split(".")
        text = whole.replace(",", group) + mark + cents
        return pattern.format(text) if money else text

    @property
    def tax(self) -> Decimal:
        return (Decimal("1234.56") * self.rate / 100).quantize(Decimal("0.01"))

    def fields(self) -> list[tuple[str, str, str, str]]:
        """``(path, label, printed, expected JSON)`` of every labelled header value."""
        rows = [(p, *h) for p, h in zip(HEADER_PATHS, self.header, strict=True)]
        total = Decimal("1234.56") + self.tax
        values = [Decimal("1234.56"), self.tax, total, total]
        for path, label, value in zip(TOTAL_PATHS, self.totals, values, strict=True):
            rows.append((path, label, self.amount(str(value), money=True), str(value)))
        rows.append(("seller.vat_id", self.vat[0], self.vat[1], self.vat[1]))
        rows.append(("payment.iban", "IBAN:", *self.iban))
        return rows

    def rows(self) -> list[tuple[tuple[str, ...], str, str, str]]:
        first, second, other = self.descriptions
        return [
            ((first, second), "12", self.amount("95.50"), self.amount("1146.00")),
            ((other,), "1", self.amount("88.56"), self.amount("88.56")),
        ]

    def items(self) -> list[tuple[str, str, str, str]]:
        first, second, other = self.descriptions
        return [(f"{first} {second}", "12", "95.50", "1146.00"), (other, "1", "88.56", "88.56")]


# fmt: off
SPECS = [
    Spec("en", ("Acme Trading Ltd", "INVOICE", "Bill to:", "Globex Corporation"),
         (("Invoice No:", "INV-2024-0042", "INV-2024-0042"),
          ("Invoice Date:", "March 5, 2024", "2024-03-05"),
          ("Due Date:", "April 4, 2024", "2024-04-04")),
         ("Description", "Qty", "Unit Price", "Amount"),
         ("Consulting services", "on-site workshop", "Travel expenses"), (",", ".", "£{}"),
         ("Subtotal", "VAT 20%", "Total", "Amount due"), ("VAT No:", "GB980780684"),
         ("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"), 20, ("£", "GBP")),
    Spec("de", ("Muster Handel GmbH", "RECHNUNG", "Rechnungsempfänger:", "Kunde AG"),
         (("Rechnungsnummer:", "RE-2024-117", "RE-2024-117"),
          ("Rechnungsdatum:", "05.03.2024", "2024-03-05"),
          ("Fällig am:", "04.04.2024", "2024-04-04")),
         ("Beschreibung", "Menge", "Einzelpreis", "Betrag"),
         ("Beratungsleistung", "Vor-Ort-Workshop", "Reisekosten"), (".", ",", "{} €"),
         ("Zwischensumme", "MwSt. 19%", "Gesamtbetrag", "Zahlbetrag"),
         ("USt-IdNr.:", "DE136695976"),
         ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"), 19, ("€", "EUR")),
    Spec("fr", ("Dupont Services SARL", "FACTURE", "Facturé à :", "Client Martin SA"),
         (("N° de facture :", "F-2024-0089", "F-2024-0089"),
          ("Date de facture :", "05/03/2024", "2024-03-05"),
          ("Date d'échéance :", "04/04/2024", "2024-04-04")),
         ("Désignation", "Quantité", "Prix unitaire", "Montant"),
         ("Prestation de conseil", "atelier sur site", "Licence logicielle"), (" ", ",", "{} €"),
         ("Total HT", "TVA 20 %", "Total TTC", "Net à payer"), ("N° TVA :", "FR40303265045"),
         ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"), 20, ("€", "EUR")),
    Spec("es", ("Suministros Ibéricos S.L.", "FACTURA", "Cliente:", "Comercial López S.A."),
         (("Factura n.º:", "A-2024/031", "A-2024/031"),
          ("Fecha de factura:", "05/03/2024", "2024-03-05"),
          ("Fecha de vencimiento:", "04/04/2024", "2024-04-04")),
         ("Descripción", "Cantidad", "Precio", "Importe"),
         ("Servicios de consultoría", "taller presencial", "Gastos de viaje"), (".", ",", "{} €"),
         ("Base imponible", "IVA 21%", "Total", "Importe a pagar"), ("NIF:", "ESB58378431"),
         ("ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"), 21, ("€", "EUR")),
    Spec("it", ("Forniture Rossi S.r.l.", "FATTURA", "Cliente:", "Bianchi S.p.A."),
         (("Fattura n.", "2024/117", "2024/117"),
          ("Data fattura:", "05/03/2024", "2024-03-05"), ("Scadenza:", "04/04/2024", "2024-04-04")),
         ("Descrizione", "Quantità", "Prezzo", "Importo"),
         ("Servizi di consulenza", "workshop in sede", "Spese di viaggio"), (".", ",", "{} €"),
         ("Imponibile", "IVA 22%", "Totale", "Totale da pagare"), ("Partita IVA:", "IT00743110157"),
         ("IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456"), 22, ("€", "EUR")),
    Spec("nl", ("Jansen Levering B.V.", "FACTUUR", "Klant:", "De Vries Handel B.V."),
         (("Factuurnummer:", "2024-0042", "2024-0042"),
          ("Factuurdatum:", "05-03-2024", "2024-03-05"),
          ("Vervaldatum:", "04-04-2024", "2024-04-04")),
         ("Omschrijving", "Aantal", "Prijs", "Bedrag"),
         ("Advieswerkzaamheden", "workshop op locatie", "Reiskosten"), (".", ",", "€ {}"),
         ("Subtotaal", "BTW 21%", "Totaal", "Te betalen"), ("BTW-nummer:", "NL853746333B01"),
         ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"), 21, ("€", "EUR")),
]
# fmt: on


def layout(spec: Spec) -> list[TextItem]:
    """Letterhead, buyer block, header values right of their labels, items, totals, footer."""
    seller, title, buyer_label, buyer = spec.parties
    items: list[TextItem] = [
        (50, 60, seller, 16),
        (50, 76, "Hauptstrasse 1, 10115 Berlin", 9),
        (420, 60, title, 18),
        (50, 120, buyer_label, 10),
        (50, 135, buyer, 10),
        (50, 150, "Marktplatz 5, 80331 Muenchen", 10),
    ]
    fields = spec.fields()
    for n, (_, label, printed, _) in enumerate(fields[:3]):
        items += [(330, 120 + 15 * n, label, 10), (450, 120 + 15 * n, printed, 10)]
    y = 230.0
    items += [(x, y, text, 10) for x, text in zip(COLUMN_X, spec.columns, strict=True)]
    for lines, qty, price, amount in spec.rows():
        y += 20
        cells = (lines[0], qty, price, amount)
        items += [(x, y, text, 10) for x, text in zip(COLUMN_X, cells, strict=True)]
        for more in lines[1:]:
            y += 13
            items.append((50, y, more, 10))
    for n, (_, label, printed, _) in enumerate(fields[3:7]):
        items += [(330, y + 40 + 16 * n, label, 10), (460, y + 40 + 16 * n, printed, 10)]
    for n, (_, label, printed, _) in enumerate(fields[7:]):
        items.append((50, 760 + 12 * n, f"{label} {printed}", 8))
    return items


def extract_one(path: Path) -> Invoice:
    invoices = pipeline.extract_file(path)
    assert len(invoices) == 1, [inv.error for inv in invoices]
    assert invoices[0].status != "failed", invoices[0].error
    return invoices[0]


def _json(invoice: Invoice, path: str) -> Any:
    node: Any = invoice.to_json_dict()
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def assert_evidence_on_page(invoice: Invoice, page: tuple[float, float] = A4) -> None:
    """Every extracted field has evidence on its page."""
    paths = [p for p in HEADER_FIELDS if invoice.get_path(p) is not None]
    paths += [f"line_items.{n}.amount" for n in range(len(invoice.line_items))]
    missing = [p for p in paths if p not in invoice.evidence]
    assert missing == [], f"extracted without evidence: {missing}"
    for path, ev in invoice.evidence.items():
        x0, y0, x1, y1 = ev.bbox
        assert ev.page in invoice.pages, path
        assert 0 <= x0 < x1 <= page[0] and 0 <= y0 < y1 <= page[1], (path, ev.bbox)
        assert ev.text.strip(), path


def table(y: float, *rows: tuple[str, str, str, str]) -> list[TextItem]:
    """Rows of four cells under the ``COLUMN_X`` columns, 20 points apart from ``y`` down."""
    return [
        (x, y + 20 * n, text, 10)
        for n, row in enumerate(rows)
        for x, text in zip(COLUMN_X, row, strict=True)
    ]


def stack(y: float, *pairs: tuple[str, str], x: float = 330, step: float = 16) -> list[TextItem]:
    """Labels at ``x`` with their values 130 points to the right, one pair a line from ``y``."""
    return [
        item
        for n, (label, value) in enumerate(pairs)
        for item in ((x, y + step * n, label, 10), (x + 130, y + step * n, value, 10))
    ]


HEAD: list[TextItem] = [(50, 60, "Acme Trading Ltd", 16), *stack(120, ("Invoice No:", "INV-9"))]


def _items(invoice: Invoice) -> list[tuple[Any, ...]]:
    keys = ("description", "quantity", "unit_price", "amount")
    return [tuple(i[k] for k in keys) for i in invoice.to_json_dict()["line_items"]]


@pytest.mark.parametrize("spec", SPECS, ids=[s.lang for s in SPECS])
def test_sample_identifiers_are_checksum_valid(spec: Spec) -> None:
    assert ids.check_vat_id(spec.vat[1]) is True
    assert ids.is_valid_iban(spec.iban[0]) and ids.normalize_iban(spec.iban[0]) == spec.iban[1]


@pytest.mark.parametrize("spec", SPECS, ids=[s.lang for s in SPECS])
def test_header_fields_and_totals(make_pdf: MakePdf, spec: Spec) -> None:
    invoice = extract_one(make_pdf([layout(spec)], f"{spec.lang}.pdf"))
    fields = spec.fields()
    got = {path: _json(invoice, path) for path, *_ in fields}
    assert got == {path: expected for path, _, _, expected in fields}
    assert invoice.currency == spec.currency[1]
    assert (invoice.seller.name, invoice.buyer.name) == (spec.parties[0], spec.parties[3])
    assert invoice.buyer.vat_id is None and invoice.po_number is None
    assert invoice.warnings == [] and invoice.status == "ok"


@pytest.mark.parametrize("spec", SPECS, ids=[s.lang for s in SPECS])
def test_line_items_with_a_two_line_description(make_pdf: MakePdf, spec: Spec) -> None:
    invoice = extract_one(make_pdf([layout(spec)], f"{spec.lang}.pdf"))
    assert _items(invoice) == spec.items()


@pytest.mark.parametrize("spec", SPECS, ids=[s.lang for s in SPECS])
def test_evidence_points_at_the_printed_value(make_pdf: MakePdf, spec: Spec) -> None:
    invoice = extract_one(make_pdf([layout(spec)], f"{spec.lang}.pdf"))
    assert_evidence_on_page(invoice)
    printed = {path: text for path, _, text, _ in spec.fields()}
    printed |= {"seller.name": spec.parties[0], "buyer.name": spec.parties[3]}
    printed["currency"] = spec.currency[0]
    for n, (lines, _, _, amount) in enumerate(spec.rows()):
        printed[f"line_items.{n}.amount"] = amount
        printed[f"line_items.{n}.description"] = " ".join(lines)
    wrong = {
        path: (text, invoice.evidence[path].text if path in invoice.evidence else None)
        for path, text in printed.items()
        if path not in invoice.evidence or text not in invoice.evidence[path].text
    }
    assert wrong == {}
    # The value's own place: a header value starts where it was printed, on its label's line.
    ev = invoice.evidence["invoice_number"]
    assert ev.page == 1 and round(ev.bbox[0]) == 450 and 108 < ev.bbox[1] < ev.bbox[3] <= 123


# --- the two shapes of a label/value pair -----------------------------------------------------

# fmt: off
SHAPES: dict[str, list[TextItem]] = {
    # "Invoice No: INV-7731" on one line, and the totals beside their labels
    "right": [
        (50, 60, "Northwind Supplies Ltd", 14),
        (50, 120, "Invoice No:", 10), (150, 120, "INV-7731", 10),
        (50, 135, "Invoice Date:", 10), (150, 135, "12 February 2024", 10),
        (50, 150, "Due Date:", 10), (150, 150, "13 March 2024", 10),
        (330, 300, "Net amount", 10), (460, 300, "1,037.45", 10),
        (330, 315, "VAT 19%", 10), (460, 315, "197.11", 10),
        (330, 330, "Total", 10), (460, 330, "EUR 1,234.56", 10),
    ],
    # rows of labels with their values on the next line
    "below": [
        (50, 60, "Northwind Supplies Ltd", 14),
        (50, 120, "Invoice No.", 10), (200, 120, "Invoice Date", 10), (350, 120, "Due Date", 10),
        (50, 135, "INV-7731", 10), (200, 135, "12 February 2024", 10),
        (350, 135, "13 March 2024", 10),
        (200, 300, "Net amount", 10), (300, 300, "VAT 19%", 10), (400, 300, "Total", 10),
        (200, 315, "1,037.45", 10), (300, 315, "197.11", 10), (400, 315, "EUR 1,234.56", 10),
    ],
}
# fmt: on


@pytest.mark.parametrize("shape", SHAPES)
def test_value_right_of_or_below_its_label(make_pdf: MakePdf, shape: str) -> None:
    invoice = extract_one(make_pdf([SHAPES[shape]], f"{shape}.pdf"))
    paths = ("invoice_number", "issue_date", "due_date", "subtotal", "tax_total", "total")
    assert [_json(invoice, p) for p in paths] == [
        *("INV-7731", "2024-02-12", "2024-03-13"),
        *("1037.45", "197.11", "1234.56"),
    ]
    assert invoice.currency == "EUR"
    assert_evidence_on_page(invoice)
    number, total = invoice.evidence["invoice_number"], invoice.evidence["total"]
    assert number.text == "INV-7731" and "1,234.56" in total.text
    if shape == "right":
        assert number.bbox[0] > 100 and number.bbox[3] <= 123  # beside "Invoice No:"
    else:
        assert number.bbox[0] < 60 and number.bbox[1] > 123  # under "Invoice No."


# --- items tables -----------------------------------------------------------------------------


def test_quantity_column_is_not_merged_into_a_three_digit_unit_price(make_pdf: MakePdf) -> None:
    page = HEAD + table(
        230,
        ("Description", "Qty", "Unit Price", "Amount"),
        ("Consulting", "10", "100.00", "1,000.00"),
        ("Licence", "2", "120.00", "240.00"),
    )
    page += [(330, 310, "Total", 10), (460, 310, "1,240.00", 10)]
    invoice = extract_one(make_pdf([page], "qty.pdf"))
    assert _items(invoice) == [
        ("Consulting", "10", "100.00", "1000.00"),
        ("Licence", "2", "120.00", "240.00"),
    ]


def test_numbers_inside_a_description_are_kept(make_pdf: MakePdf) -> None:
    page = HEAD + table(
        230,
        ("Description", "Qty", "Unit Price", "Amount"),
        ("Windows 11 Pro licence", "2", "45.00", "90.00"),
        ("Support plan 2024", "1", "60.00", "60.00"),
    )
    invoice = extract_one(make_pdf([page], "numbers.pdf"))
    assert _items(invoice) == [
        ("Windows 11 Pro licence", "2", "45.00", "90.00"),
        ("Support plan 2024", "1", "60.00", "60.00"),
    ]


# --- layouts that once failed, kept as regression tests ---


def test_a_priced_row_named_frais_is_a_line_item(make_pdf: MakePdf) -> None:
    page = HEAD + table(
        230,
        ("Désignation", "Quantité", "Prix unitaire", "Montant"),
        ("Prestation de conseil", "2", "45,00", "90,00"),
        ("Frais de déplacement", "1", "60,00", "60,00"),
    )
    page += stack(310, ("Total HT", "150,00 €"), ("TVA 20 %", "30,00 €"), ("Total TTC", "180,00 €"))
    invoice = extract_one(make_pdf([page], "frais.pdf"))
    assert len(invoice.line_items) == 2
    assert [invoice.subtotal, invoice.allowances, invoice.charges] == [
        Decimal("150.00"),
        None,
        None,
    ]


def test_a_discount_row_gives_allowances_with_evidence_and_no_invented_charges(
    make_pdf: MakePdf,
) -> None:
    page = HEAD + table(
        230,
        ("Beschreibung", "Menge", "Einzelpreis", "Betrag"),
        ("Widget", "2", "50,00", "100,00"),
        ("Gadget", "1", "60,00", "60,00"),
        ("Rabatt 10%", "", "", "-16,00"),
    )
    page += stack(330, ("Nettobetrag", "144,00 €"), ("MwSt. 19%", "27,36 €"))
    page += stack(362, ("Gesamtbetrag", "171,36 €"))
    invoice = extract_one(make_pdf([page], "rabatt.pdf"))
    got = [_json(invoice, p) for p in ("subtotal", "tax_exclusive_total", "allowances", "total")]
    assert got == ["160.00", "144.00", "16.00", "171.36"]
    assert invoice.charges is None
    assert "16,00" in invoice.evidence["allowances"].text


def test_bare_due_label_gives_the_due_date(make_pdf: MakePdf) -> None:
    page = [(50, 60, "Acme Inc.", 16), *stack(120, ("Invoice #", "1042"), ("Date:", "03/05/2024"))]
    page += stack(150, ("Due:", "04/04/2024")) + stack(310, ("Total", "$1,500.00"))
    invoice = extract_one(make_pdf([page], "us.pdf"))
    got = [invoice.invoice_number, _json(invoice, "issue_date"), invoice.currency]
    assert got == ["1042", "2024-03-05", "USD"]  # US order: month first
    assert _json(invoice, "due_date") == "2024-04-04"


def test_items_continue_on_the_next_page_below_a_running_header(make_pdf: MakePdf) -> None:
    first = HEAD + table(
        230,
        ("Description", "Qty", "Unit Price", "Amount"),
        ("Item one", "2", "45.00", "90.00"),
        ("Item two", "1", "10.00", "10.00"),
    )
    first.append((450, 800, "Page 1 of 2", 8))
    second = [(50, 60, "Acme Trading Ltd", 16), *table(100, ("Item three", "1", "60.00", "60.00"))]
    second += [*stack(310, ("Total", "160.00 EUR")), (450, 800, "Page 2 of 2", 8)]
    invoice = extract_one(make_pdf([first, second], "two-pages.pdf"))
    assert (invoice.pages, str(invoice.total)) == ([1, 2], "160.00")
    assert _items(invoice) == [
        ("Item one", "2", "45.00", "90.00"),
        ("Item two", "1", "10.00", "10.00"),
        ("Item three", "1", "60.00", "60.00"),
    ]
    assert invoice.evidence["line_items.2.amount"].page == 2
