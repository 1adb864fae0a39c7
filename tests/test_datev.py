"""DATEV EXTF Buchungsstapel: the full layout (31 header fields, 125 columns), quoting and
Windows-1252, read back as DATEV reads it (semicolons, double quotes, by position)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal as D

from invoice_extractor.export.datev import COLUMNS, DatevOptions, invoices_to_datev
from invoice_extractor.model import DocumentType, Invoice, Party, TaxLine

CREATED = datetime(2024, 4, 2, 9, 30, 5, 123000)


def _invoice(**update: object) -> Invoice:
    invoice = Invoice(
        file="a.pdf",
        invoice_number="RE-2024/17",
        issue_date=date(2024, 3, 15),
        due_date=date(2024, 4, 14),
        delivery_date=date(2024, 3, 12),
        currency="EUR",
        seller=Party(name='Müller "Büro"; Technik GmbH', vat_id="DE136695976"),
        total=D("126.00"),
        tax_lines=[
            TaxLine(rate=D("19"), base=D("100.00"), amount=D("19.00"), category="S"),
            TaxLine(rate=D("7"), base=D("0.00"), amount=D("0.00"), category="S"),
            TaxLine(rate=D("7"), base=D("5.00"), amount=D("0.35"), category="S"),
        ],
    )
    return invoice.model_copy(update=update)


def _rows(data: bytes) -> list[list[str]]:
    text = data.decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"'))


def _export(*invoices: Invoice) -> bytes:
    return invoices_to_datev(list(invoices), [70001] * len(invoices), DatevOptions(), CREATED)


def test_the_layout_has_the_31_header_fields_and_all_125_columns() -> None:
    rows = _rows(_export(_invoice()))
    header, names, *bookings = rows
    assert len(header) == 31
    assert header[:6] == ["EXTF", "700", "21", "Buchungsstapel", "13", "20240402093005123"]
    assert header[10:16] == ["1001", "1", "20240101", "4", "20240315", "20240315"]
    assert header[26] == "03"
    assert len(COLUMNS) == len(set(COLUMNS)) == 125
    assert names == list(COLUMNS)
    assert names[113:125] == [
        "Festschreibung", "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit",
        "Generalumkehr (GU)", "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position",
        "EU-Land u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
    ]  # fmt: skip
    assert len(bookings) == 2 and all(len(row) == 125 for row in bookings)  # no 0-amount row


def test_each_booking_fills_its_columns_by_name() -> None:
    _, names, first, second = _rows(_export(_invoice()))
    booking = dict(zip(names, first, strict=True))
    assert booking["Umsatz (ohne Soll/Haben-Kz)"] == "119,00"
    assert booking["Soll/Haben-Kennzeichen"] == "S"
    assert (booking["Konto"], booking["Gegenkonto (ohne BU-Schlüssel)"]) == ("3400", "70001")
    assert booking["BU-Schlüssel"] == "9"
    assert booking["Belegdatum"] == "1503"
    assert booking["Belegfeld 1"] == "RE-2024/17"
    assert booking["Belegfeld 2"] == "140424"
    assert booking["Leistungsdatum"] == "12032024"
    assert booking["Fälligkeit"] == "14042024"
    assert booking["Steuersatz"] == "19,00"
    assert (booking["Beleginfo - Art 1"], booking["Beleginfo - Inhalt 1"]) == (
        "USt-IdNr. Lieferant",
        "DE136695976",
    )
    assert dict(zip(names, second, strict=True))["BU-Schlüssel"] == "8"
    filled = {name for name, value in booking.items() if value}
    assert len(filled) == 15  # every other column is present and empty


def test_text_is_quoted_with_doubled_quotes_and_numbers_are_bare() -> None:
    line = _export(_invoice()).decode("cp1252").split("\r\n")[2]
    assert line.startswith('119,00;"S";"EUR";;;;3400;70001;9;1503;"RE-2024/17";140424;;')
    assert ';"Müller ""Büro""; Technik GmbH";' in line  # the ; inside the quotes is no field end
    assert _rows(_export(_invoice()))[2][13] == 'Müller "Büro"; Technik GmbH'


def test_windows_1252_keeps_umlauts_and_folds_what_it_lacks() -> None:
    seller = Party(name="Łódź Środa Șerban Kft. \u20ac")
    data = _export(_invoice(seller=seller))
    assert "Müller".encode("cp1252") not in data  # another seller now
    text = data.decode("cp1252")
    # ó and € are in Windows-1252; Ś, ź and Ș lose their accents; Ł has no base letter: "?".
    assert '"?ódz Sroda Serban Kft. €"' in text
    assert "Fälligkeit".encode("cp1252") in data  # ä is one byte, 0xE4


def test_a_credit_note_credits_the_expense_account() -> None:
    credit = _invoice(document_type=DocumentType.CREDIT_NOTE, delivery_date=None)
    _, names, first, _ = _rows(_export(credit))
    booking = dict(zip(names, first, strict=True))
    assert booking["Soll/Haben-Kennzeichen"] == "H" and booking["Leistungsdatum"] == ""
