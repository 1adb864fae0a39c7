"""JSON and CSV exports: the SCHEMA.md array, model-derived columns, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from invoice_extractor.export.csv_export import (
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    format_pages,
    invoices_to_csv,
    line_items_to_csv,
    neutralise,
)
from invoice_extractor.export.json_export import invoices_to_json
from invoice_extractor.model import (
    HEADER_FIELDS,
    Invoice,
    LineItem,
    Party,
    Payment,
    Status,
)


def _invoice(**changes: object) -> Invoice:
    base = Invoice(
        file="acme-2024-001.pdf",
        pages=[1, 2],
        invoice_number="2024-001",
        issue_date=date(2024, 3, 31),
        currency="EUR",
        seller=Party(name="Müller GmbH", vat_id="DE123456789"),
        payment=Payment(iban="DE02120300000000202051"),
        subtotal=Decimal("100.00"),
        tax_total=Decimal("19.00"),
        total=Decimal("119.00"),
        line_items=[
            LineItem(
                description="Widget",
                quantity=Decimal("2"),
                unit_price=Decimal("50.00"),
                amount=Decimal("100.00"),
            ),
            LineItem(description='=HYPERLINK("http://x")', amount=Decimal("0.00")),
        ],
        warnings=["BR-CO-15: totals", "IBAN checksum"],
    )
    return base.model_copy(update=changes)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- JSON -------------------------------------------------------------------------------------


def test_json_is_the_schema_array_with_amounts_as_strings() -> None:
    text = invoices_to_json([_invoice(), Invoice.failed("bad.pdf", "bad.pdf: the file is empty")])
    data = json.loads(text)
    assert isinstance(data, list) and len(data) == 2
    first = data[0]
    assert first["total"] == "119.00" and first["issue_date"] == "2024-03-31"
    assert first["seller"]["name"] == "Müller GmbH"
    assert first["pages"] == [1, 2]
    assert data[1]["status"] == "failed" and data[1]["error"] == "bad.pdf: the file is empty"
    assert Invoice.model_validate(first) == _invoice()  # nothing lost on the way


def test_json_keeps_non_ascii_and_indents_by_two() -> None:
    text = invoices_to_json([_invoice()])
    assert "Müller" in text and "\\u00fc" not in text
    assert text.startswith('[\n  {\n    "file"')


def test_json_of_no_invoices_is_an_empty_array() -> None:
    assert json.loads(invoices_to_json([])) == []


# --- CSV: invoices ----------------------------------------------------------------------------


def test_invoice_columns_come_from_the_model() -> None:
    assert INVOICE_COLUMNS[:5] == ("file", "pages", "status", "extractor", "document_type")
    assert INVOICE_COLUMNS[5:-2] == HEADER_FIELDS
    assert INVOICE_COLUMNS[-2:] == ("warnings", "error")
    assert LINE_ITEM_COLUMNS[:3] == ("file", "invoice_number", "line")
    assert LINE_ITEM_COLUMNS[3:] == tuple(LineItem.model_fields)


def test_invoice_csv_has_one_row_per_invoice_with_dotted_columns() -> None:
    failed = Invoice.failed("bad.pdf", "bad.pdf: not a PDF")
    rows = _rows(invoices_to_csv([_invoice(), failed]))
    assert len(rows) == 2
    row = rows[0]
    assert list(row) == list(INVOICE_COLUMNS)
    assert row["pages"] == "1-2"
    assert row["status"] == "ok" and row["document_type"] == "invoice"
    assert row["seller.name"] == "Müller GmbH" and row["payment.iban"] == "DE02120300000000202051"
    assert row["total"] == "119.00" and row["issue_date"] == "2024-03-31"
    assert row["due_date"] == "" and row["error"] == ""
    assert row["warnings"] == "BR-CO-15: totals | IBAN checksum"
    assert rows[1]["status"] == Status.FAILED.value and rows[1]["error"] == "bad.pdf: not a PDF"


def test_invoice_csv_of_no_invoices_is_the_header_only() -> None:
    assert _rows(invoices_to_csv([])) == []
    assert invoices_to_csv([]).splitlines()[0].split(",") == list(INVOICE_COLUMNS)


@pytest.mark.parametrize(
    ("pages", "text"),
    [
        ([], ""),
        ([1], "1"),
        ([1, 2], "1-2"),
        ([1, 3], "1,3"),
        ([3, 1, 2, 5], "1-3,5"),
        ([2, 2], "2"),
    ],
)
def test_pages_are_written_as_ranges(pages: list[int], text: str) -> None:
    assert format_pages(pages) == text


# --- CSV: line items --------------------------------------------------------------------------


def test_line_item_csv_has_one_row_per_item_numbered_per_invoice() -> None:
    other = _invoice(file="b.pdf", invoice_number="B-1", line_items=[LineItem(description="Fee")])
    rows = _rows(line_items_to_csv([_invoice(), other, Invoice.failed("bad.pdf", "empty")]))
    assert [(r["file"], r["invoice_number"], r["line"]) for r in rows] == [
        ("acme-2024-001.pdf", "2024-001", "1"),
        ("acme-2024-001.pdf", "2024-001", "2"),
        ("b.pdf", "B-1", "1"),
    ]
    assert rows[0]["description"] == "Widget" and rows[0]["quantity"] == "2"
    assert rows[0]["unit_price"] == "50.00" and rows[0]["amount"] == "100.00"
    assert rows[2]["amount"] == ""


# --- formula injection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-19.00", "-19.00"),  # a negative amount stays a number
        ("+5", "+5"),
        ("-.5", "-.5"),
        ("ACME = best", "ACME = best"),
        ("", ""),
        (None, ""),
        (Decimal("-3.50"), "-3.50"),
    ],
)
def test_formula_cells_are_neutralised_numbers_are_not(cell: object, written: str) -> None:
    assert neutralise(cell) == written


def test_formula_neutralisation_applies_to_every_export_cell() -> None:
    evil = _invoice(file="=cmd.pdf", seller=Party(name="@evil"), warnings=["-bad"])
    row = _rows(invoices_to_csv([evil]))[0]
    assert row["file"] == "'=cmd.pdf"
    assert row["seller.name"] == "'@evil"
    assert row["warnings"] == "'-bad"
    assert row["total"] == "119.00"
    items = _rows(line_items_to_csv([evil]))
    assert items[1]["description"] == '\'=HYPERLINK("http://x")'
