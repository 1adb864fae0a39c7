"""Purchase orders and payments through the web app (pages, JSON API, OpenAPI) and the CLI, on
one store (SQLite and PostgreSQL): an uploaded invoice is PO-checked by the job runner, paid by
an imported CAMT.053 statement, and exported with its match and payment state."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.cli import main
from invoice_extractor.settings import Settings
from matching_data import Entry, camt053

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from conftest import Api, InvoicePdf, NewApi

PO_FOR_PDF = (
    "po_number,supplier,date,currency,description,quantity,unit_price,tax_rate\n"
    "PO-100,Acme Trading Ltd,2024-03-01,EUR,Consulting,2,50.00,19\n"
)


def _post_file(
    client: FlaskClient,
    url: str,
    content: bytes,
    name: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    data: dict[str, Any] = {"file": (io.BytesIO(content), name), **extra}
    return client.post(url, data=data, content_type="multipart/form-data", headers=headers)


def _matching(api: Api, invoice_id: int, key: str, timeout: float = 20.0) -> dict[str, Any]:
    """The invoice's match state once ``key`` is set (the runner checks right after storing)."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/invoices/{invoice_id}/matching")
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        if body[key] is not None:
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"no {key} after {timeout:.0f} s: {body}")
        time.sleep(0.1)


def test_upload_po_check_payment_and_export(
    client: FlaskClient, new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    imported = _post_file(client, "/api/v1/purchase-orders", PO_FOR_PDF.encode(), "po.csv")
    assert imported.status_code == 201 and imported.get_json() == {"imported": ["PO-100"]}
    api = new_api()
    assert api.upload((invoice_pdf("INV-2024-0042"), "a.pdf")).status_code == 202
    api.wait(1)
    (inv,) = api.invoices()
    state = _matching(api, inv["id"], "po_match")
    assert (state["po_match"], state["po_number"]) == ("matched", "PO-100")
    assert state["payment_status"] == "unpaid"
    order = client.get("/api/v1/purchase-orders/PO-100").get_json()
    assert [i["invoice_id"] for i in order["invoices"]] == [inv["id"]]

    statement = camt053(
        [
            Entry("119.00", date(2024, 3, 20), ustrd="INV-2024-0042", iban=None),
            Entry("42.00", date(2024, 3, 21), ustrd="something else"),
        ]
    )
    # The browser's cookie now holds a session: API writes carry a bearer token (or CSRF).
    response = _post_file(
        client, "/api/v1/payments/statements", statement, "march.xml", headers=api.auth
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["transactions"] == 2 and response.get_json()["matched"] == 1
    paid = _matching(api, inv["id"], "transaction")
    assert paid["payment_status"] == "paid" and paid["paid_on"] == "2024-03-20"
    assert paid["transaction"]["reference"] == "INV-2024-0042"
    unmatched = client.get("/api/v1/payments/transactions?unmatched=true").get_json()
    assert [t["amount"] for t in unmatched["transactions"]] == ["42.00"]

    rows = list(csv.DictReader(io.StringIO(api.get("/export?format=csv").get_data(as_text=True))))
    assert (rows[0]["po_match"], rows[0]["po_matched"]) == ("matched", "PO-100")
    assert (rows[0]["payment_status"], rows[0]["paid_on"]) == ("paid", "2024-03-20")
    exported = json.loads(api.get("/export?format=json").get_data(as_text=True))
    assert exported[0]["payment_status"] == "paid" and exported[0]["po_match"] == "matched"


def test_refused_imports_answer_422_naming_the_line(client: FlaskClient) -> None:
    bad = PO_FOR_PDF.replace(",2,50.00,", ",two,50.00,")
    response = _post_file(client, "/api/v1/purchase-orders", bad.encode(), "po.csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "import_refused"
    assert error["message"] == "po.csv: line 2: quantity 'two' is not a number"
    mapping = b'{"columns": {"date": "Datum"}}'
    response = _post_file(
        client,
        "/api/v1/payments/statements",
        b"Datum,Betrag\n2024-01-01,5\n",
        "s.csv",
        mapping=(io.BytesIO(mapping), "m.json"),
    )
    assert response.status_code == 422
    assert "mapping: columns lacks amount" in response.get_json()["error"]["message"]
    assert client.get("/api/v1/purchase-orders").get_json() == {"purchase_orders": []}
    assert client.get("/api/v1/payments/transactions").get_json() == {"transactions": []}


def test_pages_import_and_list(client: FlaskClient) -> None:
    page = client.get("/purchase-orders")
    assert page.status_code == 200 and "No purchase orders yet" in page.get_data(as_text=True)
    token = _csrf(client)
    response = client.post(
        "/purchase-orders",
        data={"file": (io.BytesIO(PO_FOR_PDF.encode()), "po.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PO-100" in listed and "1 order(s) imported" in listed
    statement = camt053([Entry("9.99", date(2024, 3, 20), ustrd="nothing")]).decode()
    bad = statement.replace("<CdtDbtInd>DBIT", "<CdtDbtInd>DEBIT")
    response = client.post(
        "/payments",
        data={"file": (io.BytesIO(bad.encode()), "s.xml"), "csrf_token": token, "format": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "(entry 1): CdtDbtInd is &#39;DEBIT&#39;" in response.get_data(as_text=True)
    response = client.post(
        "/payments",
        data={"file": (io.BytesIO(statement.encode()), "s.xml"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 transaction(s) imported, 0 matched" in shown and "9.99 EUR" in shown


def test_page_import_without_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/purchase-orders")
    response = client.post(
        "/purchase-orders",
        data={"file": (io.BytesIO(PO_FOR_PDF.encode()), "po.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert client.get("/api/v1/purchase-orders").get_json() == {"purchase_orders": []}


def _csrf(client: FlaskClient) -> str:
    page = client.get("/payments").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_openapi_documents_the_matching_routes(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/purchase-orders",
        "/purchase-orders/{number}",
        "/payments/statements",
        "/payments/transactions",
        "/payments/overdue",
        "/payments/match",
        "/sessions/{session_id}/invoices/{invoice_id}/matching",
    ):
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    assert {"TransactionBody", "PurchaseOrderBody", "InvoiceMatching"} <= set(schemas)
    assert set(schemas["TransactionBody"]["properties"]) == set(_sample_transaction(client).keys())


def _sample_transaction(client: FlaskClient) -> dict[str, Any]:
    statement = camt053([Entry("1.00", date(2024, 1, 2), ustrd="x")])
    assert _post_file(client, "/api/v1/payments/statements", statement, "s.xml").status_code == 201
    found: dict[str, Any] = client.get("/api/v1/payments/transactions").get_json()["transactions"][
        0
    ]
    return found


def test_cli_imports_into_the_store_the_app_reads(
    cli_on_web_store: Settings,
    client: FlaskClient,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    po = tmp_path / "po.csv"
    po.write_text(PO_FOR_PDF, encoding="utf-8")
    assert main(["po", "import", str(po)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": ["PO-100"]}
    assert [
        o["number"] for o in client.get("/api/v1/purchase-orders").get_json()["purchase_orders"]
    ] == ["PO-100"]
    stmt = tmp_path / "s.xml"
    stmt.write_bytes(camt053([Entry("3.00", date(2024, 1, 2), ustrd="x")]))
    assert main(["payments", "import", str(stmt)]) == 0
    assert json.loads(capsys.readouterr().out)["transactions"] == 1
    assert main(["payments", "unmatched"]) == 0
    assert [t["amount"] for t in json.loads(capsys.readouterr().out)["transactions"]] == ["3.00"]
    assert main(["payments", "overdue", "--today", "2030-01-01"]) == 0
    assert json.loads(capsys.readouterr().out) == {"invoices": []}
    bad = tmp_path / "bad.csv"
    bad.write_text(PO_FOR_PDF.replace("2024-03-01", "yesterday"), encoding="utf-8")
    assert main(["po", "import", str(bad)]) == 1
    assert "bad.csv: line 2: date 'yesterday' is not an ISO date" in capsys.readouterr().err


def test_a_correction_reruns_the_po_check(
    client: FlaskClient, new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    response = _post_file(
        client, "/api/v1/purchase-orders", PO_FOR_PDF.encode(), "po.csv", headers=api.auth
    )
    assert response.status_code == 201
    assert api.upload((invoice_pdf("INV-7"), "a.pdf")).status_code == 202
    api.wait(1)
    (inv,) = api.invoices()
    assert _matching(api, inv["id"], "po_match")["po_match"] == "matched"
    patched = api.patch(inv["id"], {"fields": {"line_items.0.quantity": "3"}})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert (
        "PO-MISMATCH: line_items.0.quantity 3 exceeds PO-100 line 1 ordered 2"
        in patched.get_json()["warnings"]
    )
    assert _matching(api, inv["id"], "po_match")["po_match"] == "over_invoiced"


def test_review_page_shows_the_po_match_and_the_paying_transaction(
    client: FlaskClient, new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    _post_file(client, "/api/v1/purchase-orders", PO_FOR_PDF.encode(), "po.csv", headers=api.auth)
    assert api.upload((invoice_pdf("INV-88"), "a.pdf")).status_code == 202
    api.wait(1)
    (inv,) = api.invoices()
    _matching(api, inv["id"], "po_match")
    statement = camt053([Entry("119.00", date(2024, 3, 20), ustrd="Rechnung INV-88", iban=None)])
    _post_file(client, "/api/v1/payments/statements", statement, "s.xml", headers=api.auth)
    page = client.get(f"/s/{api.session_id}/invoices/{inv['id']}", headers=api.auth)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert "state-po-matched" in html and "PO-100" in html
    assert "paid</span> 2024-03-20: 119.00 EUR" in html and "Rechnung INV-88" in html
    xlsx = api.get("/export?format=xlsx")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.data))["Invoices"].iter_rows(values_only=True))
    header = list(rows[0])
    assert rows[1][header.index("payment_status")] == "paid"
    assert rows[1][header.index("paid_on")] == datetime(2024, 3, 20)
    assert rows[1][header.index("po_match")] == "matched"


def test_orders_as_a_json_body(client: FlaskClient) -> None:
    body = [
        {
            "number": "PO-J1",
            "supplier": "Initech",
            "lines": [{"description": "Stapler", "quantity": 2, "unit_price": "9.50"}],
        }
    ]
    response = client.post("/api/v1/purchase-orders", json=body)
    assert response.status_code == 201 and response.get_json() == {"imported": ["PO-J1"]}
    order = client.get("/api/v1/purchase-orders/PO-J1").get_json()
    assert order["net"] == "19.00" and order["lines"][0]["quantity"] == "2"
    missing = client.get("/api/v1/purchase-orders/PO-NONE")
    assert missing.status_code == 404
