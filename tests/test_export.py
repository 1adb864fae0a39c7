"""JSON, CSV and XLSX exports: the SCHEMA.md array, model-derived columns, spreadsheet-safe cells,
the review columns and a workbook a bookkeeper can filter and sum."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from invoice_extractor.export.csv_export import (
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    REVIEW_COLUMNS,
    Review,
    format_pages,
    invoices_to_csv,
    line_items_to_csv,
    neutralise,
)
from invoice_extractor.export.json_export import invoices_to_json
from invoice_extractor.export.xlsx_export import invoices_to_xlsx
from invoice_extractor.model import (
    HEADER_FIELDS,
    Invoice,
    LineItem,
    Party,
    Payment,
    Status,
)

if TYPE_CHECKING:
    from conftest import Api, InvoicePdf, NewApi


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


# --- review columns and the XLSX layout -------------------------------------------------------

_WHEN = datetime(2024, 4, 2, 9, 30, 15, tzinfo=UTC)
_REVIEWS = [
    Review(True, _WHEN, ("total", "line_items.1.description")),
    Review(False, None, ()),
]


def test_review_columns_in_csv_and_json() -> None:
    invoices = [_invoice(), _invoice(file="other.pdf")]
    rows = _rows(invoices_to_csv(invoices, _REVIEWS))
    assert list(rows[0])[-3:] == list(REVIEW_COLUMNS)
    assert [r["reviewed"] for r in rows] == ["true", "false"]
    assert [r["reviewed_at"] for r in rows] == ["2024-04-02T09:30:15+00:00", ""]
    assert [r["corrected_fields"] for r in rows] == ["total line_items.1.description", ""]
    items = _rows(line_items_to_csv(invoices, _REVIEWS))
    assert [(i["reviewed"], i["corrected_fields"]) for i in items] == [
        ("true", ""),
        ("true", "line_items.1.description"),  # each line lists only its own corrections
        ("false", ""),
        ("false", ""),
    ]
    assert items[1]["description"] == '\'=HYPERLINK("http://x")'  # still defused
    assert REVIEW_COLUMNS[0] not in _rows(invoices_to_csv(invoices))[0]  # the CLI's CSV
    data = json.loads(invoices_to_json(invoices, _REVIEWS))
    assert (data[0]["reviewed"], data[0]["reviewed_at"]) == (True, "2024-04-02T09:30:15+00:00")
    assert data[0]["corrected_fields"] == ["total", "line_items.1.description"]
    assert (data[1]["reviewed"], data[1]["reviewed_at"], data[1]["corrected_fields"]) == (
        False,
        None,
        [],
    )


def test_xlsx_has_typed_formatted_cells_filter_frozen_header_and_widths() -> None:
    evil = _invoice(file="=cmd.pdf")
    book = load_workbook(io.BytesIO(invoices_to_xlsx([_invoice(), evil], _REVIEWS)))
    sheet, items = book["Invoices"], book["Line items"]
    for ws, rows in ((sheet, 3), (items, 5)):
        header = [c.value for c in ws[1]]
        assert header[-3:] == list(REVIEW_COLUMNS)
        assert ws.freeze_panes == "A2"
        last = ws.cell(row=1, column=len(header)).column_letter
        assert ws.auto_filter.ref == f"A1:{last}{rows}"
        for letter in (ws.cell(row=1, column=n).column_letter for n in range(1, len(header) + 1)):
            width = ws.column_dimensions[letter].width
            assert 8 <= width <= 50
    header = [c.value for c in sheet[1]]
    row = {name: sheet.cell(row=2, column=n + 1) for n, name in enumerate(header)}
    assert row["total"].value == pytest.approx(119) and row["total"].number_format == "#,##0.00"
    assert row["tax_total"].number_format == "#,##0.00"
    assert row["issue_date"].value == datetime(2024, 3, 31)
    assert row["issue_date"].number_format == "yyyy-mm-dd"
    assert row["reviewed"].value is True
    assert row["reviewed_at"].value == datetime(2024, 4, 2, 9, 30, 15)
    assert row["reviewed_at"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert row["corrected_fields"].value == "total line_items.1.description"
    assert sheet.cell(row=3, column=header.index("file") + 1).value == "'=cmd.pdf"
    assert sheet.cell(row=3, column=header.index("reviewed") + 1).value is False
    widths = {name: sheet.column_dimensions[row[name].column_letter].width for name in header}
    assert widths["seller.name"] >= len("Müller GmbH") and widths["pages"] < widths["file"]
    item_header = [c.value for c in items[1]]
    price = items.cell(row=2, column=item_header.index("unit_price") + 1)
    assert price.value == pytest.approx(50) and price.number_format == "#,##0.00"
    amount = items.cell(row=2, column=item_header.index("amount") + 1)
    assert amount.number_format == "#,##0.00"


# --- the web app's exports ----------------------------------------------------------------


def _uploaded(api: Api, *files: tuple[bytes, str]) -> list[dict[str, Any]]:
    assert api.upload(*files).status_code == 202
    api.wait(len(files))
    return api.invoices()


def _web_csv(api: Api, query: str = "") -> list[dict[str, str]]:
    response = api.get(f"/export?format=csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return _rows(response.get_data(as_text=True))


def test_exports_carry_the_review_state(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    invoices = _uploaded(api, (invoice_pdf("INV-R-1"), "r.pdf"), (invoice_pdf("INV-S-2"), "s.pdf"))
    target = next(i for i in invoices if i["invoice_number"] == "INV-R-1")
    fix = {"fields": {"total": "120.50", "line_items.0.description": "Advice"}}
    before = datetime.now(UTC).replace(microsecond=0)
    assert api.patch(target["id"], {**fix, "reviewed": True}).status_code == 200
    after = datetime.now(UTC)
    corrected = "total line_items.0.description"

    rows = {r["file"]: r for r in _web_csv(api)}
    assert (rows["r.pdf"]["reviewed"], rows["s.pdf"]["reviewed"]) == ("true", "false")
    stamp = datetime.fromisoformat(rows["r.pdf"]["reviewed_at"])
    assert before <= stamp <= after and rows["s.pdf"]["reviewed_at"] == ""
    assert set(rows["r.pdf"]["corrected_fields"].split()) == set(corrected.split())
    assert rows["s.pdf"]["corrected_fields"] == ""
    items = {r["file"]: r for r in _web_csv(api, "&kind=items")}
    assert (
        items["r.pdf"]["reviewed"] == "true" and items["r.pdf"]["reviewed_at"] == stamp.isoformat()
    )
    assert items["r.pdf"]["corrected_fields"] == "line_items.0.description"

    exported = {e["file"]: e for e in json.loads(api.get("/export?format=json").data)}
    assert exported["r.pdf"]["reviewed"] is True
    assert datetime.fromisoformat(exported["r.pdf"]["reviewed_at"]) == stamp
    assert set(exported["r.pdf"]["corrected_fields"]) == set(corrected.split())
    assert (exported["s.pdf"]["reviewed"], exported["s.pdf"]["reviewed_at"]) == (False, None)

    book = load_workbook(io.BytesIO(api.get("/export?format=xlsx").data))
    for name, count in (("Invoices", 2), ("Line items", 2)):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        assert header[-3:] == ["reviewed", "reviewed_at", "corrected_fields"]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{count + 1}"
        by_file = {row[header.index("file")].value: row for row in sheet.iter_rows(min_row=2)}
        reviewed_at = by_file["r.pdf"][header.index("reviewed_at")]
        assert isinstance(reviewed_at.value, datetime)  # UTC, to the second (Excel's precision)
        assert abs(reviewed_at.value - stamp.replace(tzinfo=None)) < timedelta(seconds=1)
        assert reviewed_at.number_format == "yyyy-mm-dd hh:mm:ss"
        assert by_file["s.pdf"][header.index("reviewed")].value is False
        amount = by_file["r.pdf"][header.index("total" if name == "Invoices" else "amount")]
        assert amount.number_format == "#,##0.00"
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(8 <= width <= 50 for width in widths)
    issued = book["Invoices"].cell(
        2, [c.value for c in book["Invoices"][1]].index("issue_date") + 1
    )
    assert isinstance(issued.value, datetime) and issued.number_format == "yyyy-mm-dd"
