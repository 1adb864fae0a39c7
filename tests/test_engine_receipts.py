"""Receipts through the engine, on small hand-built till slips (words as OCR gives them): a
glued date and time, the merchant under a logo's noise and a slogan, a total proved by the cash
and change lines, European receipt vocabulary, and totals repaired from their arithmetic where
OCR misread a digit (flagged ``OCR-REPAIR``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoice_extractor.extract.embedded.dates import find_dates
from invoice_extractor.extract.embedded.engine import EmbeddedExtractor
from invoice_extractor.extract.embedded.repair import misreading
from invoice_extractor.findings import explain
from invoice_extractor.ingest.document import Document, DocumentKind
from invoice_extractor.model import Invoice
from invoice_extractor.training.synth_receipt import Row, SyntheticReceipt, receipt_page

HEAD = (
    Row("*#=~~#*=/", centred=True),  # a logo read as noise
    Row("Frisch auf den Tisch!", centred=True),  # the store's slogan
    Row("Lindenhof Markt GmbH", centred=True),
    Row("Hauptstraße 12", centred=True),
    Row("10115 Berlin", centred=True),
    Row("USt-IdNr.: DE136695976", centred=True),
    Row(""),
)


def slip(*rows: Row, head: tuple[Row, ...] = HEAD) -> Invoice:
    page = receipt_page(SyntheticReceipt("slip", (*head, *rows), {}))
    document = Document("slip.png", DocumentKind.IMAGE, [page])
    return EmbeddedExtractor().extract(document, [1])


def test_a_date_glued_to_its_time_is_read() -> None:
    for text in ("2024-03-1214:05", "12.03.202414:05", "12.03.2024 14:05"):
        assert [m.value for m in find_dates(text, "DMY")] == [date(2024, 3, 12)], text
    invoice = slip(Row("Kasse 2", "12.03.202414:05"), Row("Brot", "2,49 A"), Row("SUMME", "2,49"))
    assert invoice.issue_date == date(2024, 3, 12)


def test_the_merchant_is_the_company_above_the_address_not_the_logo_or_the_slogan() -> None:
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Brot", "2,49 A"),
        Row("SUMME", "2,49"),
        Row("BAR", "5,00"),
        Row("RÜCKGELD", "2,51"),
    )
    assert invoice.seller.name == "Lindenhof Markt GmbH"


def test_the_total_is_what_was_tendered_less_the_change() -> None:
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Kaffee", "4,90 A"),
        Row("Kuchen", "38,00 B"),
        Row("SUMME", "EUR 42,90"),
        Row("BAR", "50,00"),
        Row("RÜCKGELD", "7,10"),
        Row(""),
        Row("MwSt-Satz  Netto  MwSt  Brutto"),
        Row("A 19%  4,12  0,78", "4,90"),
        Row("B 7%  35,51  2,49", "38,00"),
    )
    assert invoice.total == Decimal("42.90")
    assert not any(w.startswith("OCR-REPAIR") for w in invoice.warnings)


@pytest.mark.parametrize(
    ("total", "cash", "change"),
    [
        ("TOTAL TTC", "ESPECES", "RENDU"),
        ("IMPORTE", "EFECTIVO", "CAMBIO"),
        ("TOTALE", "CONTANTI", "RESTO"),
        ("TOTAAL", "CONTANT", "WISSELGELD"),
        ("TOTAL", "CASH", "CHANGE"),
    ],
)
def test_european_receipt_words_find_the_total_above_the_payment(
    total: str, cash: str, change: str
) -> None:
    invoice = slip(
        Row("12/03/2024 14:05"),
        Row("Article", "12,90"),
        Row(total, "12,90"),
        Row(cash, "20,00"),
        Row(change, "7,10"),
    )
    assert invoice.total == Decimal("12.90")


def test_a_dropped_decimal_point_is_repaired_from_the_payment_lines_and_flagged() -> None:
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Kaffee", "4,90 A"),
        Row("Kuchen", "38,00 B"),
        Row("SUMME", "EUR 4290"),
        Row("BAR", "50,00"),
        Row("RÜCKGELD", "7,10"),
    )
    assert invoice.total == Decimal("42.90")
    repair = [w for w in invoice.warnings if w.startswith("OCR-REPAIR")]
    assert repair, invoice.warnings
    finding = explain(repair[0])
    assert finding.code == "OCR-REPAIR"
    assert finding.fields == ("total",)
    assert "42.90" in finding.message


def test_a_net_tax_total_sum_repairs_a_digit_read_wrong() -> None:
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Werkzeug", "119,00"),
        Row("Netto", "100,00"),
        Row("MwSt 19%", "19,00"),
        Row("SUMME", "119,00"),
        Row("KARTE", "119,00"),
        head=(*HEAD[2:],),
    )
    assert invoice.total == Decimal("119.00")
    assert not any(w.startswith("OCR-REPAIR") for w in invoice.warnings)
    assert misreading("113,00", Decimal("118.00")) == "8 read as 3"
    assert misreading("1O.90", Decimal("10.90")) == "letters read as digits"
    assert misreading("1290", Decimal("12.90")) == "decimal point dropped"
    assert misreading("12,90", Decimal("12.95")) is None  # 0 and 5: no shape OCR confuses
    assert misreading("1290", Decimal("1290")) is None


def test_letters_read_for_digits_are_repaired_where_the_sums_prove_them() -> None:
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Tee", "4,90"),
        Row("Kuchen", "6,00"),
        Row("SUMME", "1O,90"),
        Row("BAR", "20,00"),
        Row("RÜCKGELD", "9,10"),
    )
    assert invoice.total == Decimal("10.90")
    assert any(w.startswith("OCR-REPAIR: total 10.90") for w in invoice.warnings)


def test_a_text_layer_is_never_repaired() -> None:
    page = receipt_page(
        SyntheticReceipt(
            "pdf",
            (*HEAD, Row("SUMME", "EUR 4290"), Row("BAR", "50,00"), Row("RÜCKGELD", "7,10")),
            {},
        )
    )
    page.source = "text"
    invoice = EmbeddedExtractor().extract(Document("a.pdf", DocumentKind.PDF, [page]), [1])
    assert not any(w.startswith("OCR-REPAIR") for w in invoice.warnings)


def test_a_merchant_named_like_a_payment_word_is_no_payment_line() -> None:
    # "Resto" is the Italian change and "Bar" the German cash: at the top they name the shop.
    invoice = slip(
        Row("12.03.2024 14:05"),
        Row("Pizza", "9,50"),
        Row("Vino", "4,00"),
        Row("TOTALE", "13,50"),
        Row("CONTANTI", "20,00"),
        Row("RESTO", "6,50"),
        head=(Row("Bar Resto 2000", centred=True), Row("Via Roma 12", centred=True), Row("")),
    )
    assert invoice.total == Decimal("13.50")
