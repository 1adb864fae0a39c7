"""The JSON API end to end, on SQLite and on PostgreSQL: sessions, uploads, background jobs,
invoices, corrections, page images, exports and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from invoice_extractor.export.csv_export import MATCH_COLUMNS
from invoice_extractor.model import Invoice
from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from conftest import Api, InvoicePdf, MakeWebApp, NewApi

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCHEMA_FIELDS = ("file", "pages", "status", "extractor", "invoice_number", "issue_date", "total")
MB = 1024 * 1024


def _done(api: Api, *files: tuple[bytes, str]) -> list[dict[str, Any]]:
    """Upload, wait, and return the invoices of the session."""
    response = api.upload(*files)
    assert response.status_code == 202, response.get_data(as_text=True)
    api.wait(len(api.get("/jobs").get_json()["jobs"]))
    return api.invoices()


def _csv(api: Api, query: str = "") -> list[dict[str, str]]:
    response = api.get(f"/export?format=csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_create_session_gives_a_long_id_and_a_token(new_api: NewApi) -> None:
    api = new_api()
    assert len(api.session_id) >= 32 and len(api.token) >= 32
    body = api.get().get_json()
    assert body["id"] == api.session_id and body["files"] == [] and body["invoices"] == 0


def test_upload_in_one_request_and_one_by_one_then_list(
    new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    batch = api.upload((invoice_pdf("INV-A-1"), "a.pdf"), (invoice_pdf("INV-B-2"), "b.pdf"))
    assert batch.status_code == 202
    assert [a["name"] for a in batch.get_json()["accepted"]] == ["a.pdf", "b.pdf"]
    assert batch.get_json()["rejected"] == []
    single = api.upload((invoice_pdf("INV-C-3"), "c.pdf"))
    assert single.status_code == 202 and len(single.get_json()["accepted"]) == 1

    jobs = api.wait(3)
    assert [j["state"] for j in jobs] == ["done"] * 3
    assert [j["name"] for j in jobs] == ["a.pdf", "b.pdf", "c.pdf"]
    assert all(j["attempts"] == 1 and j["error"] is None for j in jobs)
    summary = api.get().get_json()
    assert summary["counts"]["done"] == 3 and summary["invoices"] == 3

    invoices = api.invoices()
    assert sorted(i["invoice_number"] for i in invoices) == ["INV-A-1", "INV-B-2", "INV-C-3"]
    for invoice in invoices:
        for key in (*SCHEMA_FIELDS, "seller", "line_items", "evidence", "warnings"):
            assert key in invoice, key
        for key in ("id", "file_id", "reviewed", "corrected_fields"):
            assert key in invoice, key
        assert invoice["pages"] == [1] and invoice["status"] == "ok"
        assert invoice["evidence"]["invoice_number"]["page"] == 1
        assert invoice["total"] == "119.00" and invoice["issue_date"] == "2024-03-05"

    one = api.get(f"/invoices/{invoices[0]['id']}")
    assert one.status_code == 200 and one.get_json() == invoices[0]
    assert api.get("/invoices/999999").status_code == 404


def test_corrections_review_and_edit_history(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    (invoice,) = _done(api, (invoice_pdf("INV-2024-0042"), "a.pdf"))
    assert invoice["total"] == "119.00" and invoice["corrected_fields"] == []

    response = api.client.patch(
        f"{api.base}/invoices/{invoice['id']}",
        json={"fields": {"total": "120.50", "invoice_number": "INV-FIXED-7"}},
        headers={**api.auth, "X-Reviewer": "alice"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total"] == "120.50" and body["invoice_number"] == "INV-FIXED-7"
    assert set(body["corrected_fields"]) == {"total", "invoice_number"}
    assert api.get(f"/invoices/{invoice['id']}").get_json()["total"] == "120.50"

    edits = api.get(f"/invoices/{invoice['id']}/edits").get_json()["edits"]
    by_path = {e["path"]: e for e in edits}
    assert by_path["total"]["old_value"] == "119.00" and by_path["total"]["new_value"] == "120.50"
    assert by_path["invoice_number"]["old_value"] == "INV-2024-0042"
    assert all(e["author"] == "alice" and re.match(r"\d{4}-\d\d-\d\dT", e["at"]) for e in edits)

    reviewed = api.patch(invoice["id"], {"reviewed": True})
    assert reviewed.status_code == 200 and reviewed.get_json()["reviewed"] is True
    assert api.get(f"/invoices/{invoice['id']}").get_json()["reviewed"] is True
    assert api.get(f"/invoices/{invoice['id']}").get_json()["total"] == "120.50"


@pytest.mark.parametrize(
    "fields",
    [
        {"total": "abc"},
        {"issue_date": "2024-13-45"},
        {"no_such_field": "1"},
        {"seller": "a whole party"},
        {"line_items.7.amount": "1.00"},
    ],
    ids=["bad-amount", "bad-date", "unknown-path", "not-a-scalar", "no-such-item"],
)
def test_invalid_corrections_are_400_json_and_change_nothing(
    new_api: NewApi, invoice_pdf: InvoicePdf, fields: dict[str, str]
) -> None:
    api = new_api()
    (invoice,) = _done(api, (invoice_pdf(), "a.pdf"))
    response = api.patch(invoice["id"], {"fields": fields})
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["message"]
    after = api.get(f"/invoices/{invoice['id']}").get_json()
    assert after["total"] == "119.00" and after["corrected_fields"] == []
    assert api.get(f"/invoices/{invoice['id']}/edits").get_json()["edits"] == []


def test_page_image_is_a_png_and_a_missing_page_is_404(
    new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    (invoice,) = _done(api, (invoice_pdf(), "a.pdf"))
    image = api.get(f"/files/{invoice['file_id']}/pages/1.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(PNG_SIGNATURE)
    assert api.get(f"/files/{invoice['file_id']}/pages/1.png").data == image.data  # cached
    assert api.get(f"/files/{invoice['file_id']}/pages/2.png").status_code == 404
    assert api.get(f"/files/{invoice['file_id']}/pages/0.png").status_code == 404
    assert api.get("/files/999999/pages/1.png").status_code == 404


def test_exports_carry_the_corrected_values(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    invoices = _done(api, (invoice_pdf("INV-X-1"), "x.pdf"), (invoice_pdf("INV-Y-2"), "y.pdf"))
    target = next(i for i in invoices if i["invoice_number"] == "INV-X-1")
    fix = {"fields": {"total": "120.50", "invoice_number": "INV-FIXED-1"}}
    assert api.patch(target["id"], fix).status_code == 200

    text = api.get("/export?format=csv").get_data(as_text=True)
    assert "INV-FIXED-1" in text and "INV-X-1" not in text
    rows = {r["file"]: r for r in _csv(api)}
    assert rows["x.pdf"]["total"] == "120.50" and rows["y.pdf"]["total"] == "119.00"

    items = _csv(api, "&kind=items")
    assert {r["invoice_number"] for r in items} == {"INV-FIXED-1", "INV-Y-2"}
    assert all(r["description"] == "Consulting" and r["amount"] == "100.00" for r in items)

    xlsx = api.get("/export?format=xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert {"Invoices", "Line items"} <= set(book.sheetnames)
    sheet_rows = list(book["Invoices"].iter_rows(values_only=True))
    header = list(sheet_rows[0])
    by_file = {row[header.index("file")]: row for row in sheet_rows[1:]}
    total = by_file["x.pdf"][header.index("total")]
    assert isinstance(total, int | float) and not isinstance(total, bool)
    assert total == pytest.approx(120.5)
    assert by_file["x.pdf"][header.index("invoice_number")] == "INV-FIXED-1"
    assert len(list(book["Line items"].iter_rows())) == 3  # header + one item per invoice

    exported = json.loads(api.get("/export?format=json").get_data(as_text=True))
    assert isinstance(exported, list) and len(exported) == 2
    fixed = next(e for e in exported if e["file"] == "x.pdf")
    assert fixed["total"] == "120.50" and fixed["invoice_number"] == "INV-FIXED-1"
    review = ("reviewed", "reviewed_at", "corrected_fields", *MATCH_COLUMNS)
    # The SCHEMA object plus the review and match state, nothing more.
    assert all(
        Invoice.model_validate({k: v for k, v in e.items() if k not in review}) for e in exported
    )

    assert api.get("/export?format=pdf").status_code == 400
    assert api.get("/export?format=csv&ids=x").status_code == 400


def test_ids_select_what_is_exported(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    invoices = _done(api, *[(invoice_pdf(f"INV-{n}"), f"{n}.pdf") for n in range(3)])
    chosen = invoices[1]
    rows = _csv(api, f"&ids={chosen['id']}")
    assert [r["invoice_number"] for r in rows] == [chosen["invoice_number"]]
    exported = json.loads(api.get(f"/export?format=json&ids={chosen['id']}").data)
    assert [e["invoice_number"] for e in exported] == [chosen["invoice_number"]]
    listed = api.get(f"/invoices?ids={chosen['id']},{invoices[2]['id']}").get_json()["invoices"]
    assert [i["id"] for i in listed] == [chosen["id"], invoices[2]["id"]]


def test_unreadable_uploads_are_rejected_with_reasons(new_api: NewApi) -> None:
    api = new_api()
    response = api.upload(
        (b"", "empty.pdf"),
        (b"just some text, not a PDF\n", "notes.pdf"),
        (PNG_SIGNATURE + b"\0" * 64, "photo.png"),
    )
    assert response.status_code == 415
    body = response.get_json()
    assert body["accepted"] == []
    reasons = {r["name"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {"empty.pdf", "notes.pdf", "photo.png"}
    assert "empty" in reasons["empty.pdf"]
    assert "not a PDF" in reasons["notes.pdf"] and "not a PDF" in reasons["photo.png"]
    assert api.get("/jobs").get_json()["jobs"] == []


def test_a_mix_of_good_and_bad_uploads_accepts_the_good(
    new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    response = api.upload((invoice_pdf(), "good.pdf"), (b"", "empty.pdf"))
    assert response.status_code == 202
    body = response.get_json()
    assert [a["name"] for a in body["accepted"]] == ["good.pdf"]
    assert [r["name"] for r in body["rejected"]] == ["empty.pdf"]


def test_size_limits_per_file_and_per_request(
    make_web_app: MakeWebApp, invoice_pdf: InvoicePdf, new_api: NewApi
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (MB + 10)
    per_file = new_api(make_web_app(max_file_mb=1, max_upload_mb=5).test_client())
    response = per_file.upload((big, "big.pdf"), (invoice_pdf(), "small.pdf"))
    assert response.status_code == 202
    assert [r["name"] for r in response.get_json()["rejected"]] == ["big.pdf"]
    assert "1 MB" in response.get_json()["rejected"][0]["reason"]

    per_request = new_api(make_web_app(max_file_mb=5, max_upload_mb=1).test_client())
    too_big = per_request.upload((big, "big.pdf"))
    assert too_big.status_code == 413 and too_big.is_json
    assert too_big.get_json()["error"]["status"] == 413
    assert per_request.get("/jobs").get_json()["jobs"] == []


def test_the_same_file_twice_is_stored_once_but_runs_twice(
    web_app: Flask, new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    api = new_api()
    content = invoice_pdf()
    assert api.upload((content, "first.pdf")).status_code == 202
    assert api.upload((content, "second.pdf")).status_code == 202
    jobs = api.wait(2)
    assert [j["state"] for j in jobs] == ["done", "done"]
    assert jobs[0]["sha256"] == jobs[1]["sha256"] and jobs[0]["job_id"] != jobs[1]["job_id"]
    data_dir: Path = web_app.extensions["invoice_extractor"].store.settings.data_dir
    blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in blobs] == [jobs[0]["sha256"]]
    assert len(api.invoices()) == 2


def test_session_limit_answers_409(make_web_app: MakeWebApp, new_api: NewApi) -> None:
    api = new_api(make_web_app(max_invoices_per_session=2).test_client())
    pdf = b"%PDF-1.4\n%%EOF\n"
    assert api.upload((pdf, "1.pdf")).status_code == 202
    assert api.upload((pdf, "2.pdf")).status_code == 202
    full = api.upload((pdf, "3.pdf"))
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "session_full"
    assert len(api.get("/jobs").get_json()["jobs"]) == 2


def test_a_batch_over_the_session_limit_is_not_half_stored_behind_a_409(
    make_web_app: MakeWebApp, new_api: NewApi
) -> None:
    api = new_api(make_web_app(max_invoices_per_session=2).test_client())
    response = api.upload(*[(b"%PDF-1.4\n%%EOF\n" + bytes([n]), f"{n}.pdf") for n in range(3)])
    stored = len(api.get("/jobs").get_json()["jobs"])
    if response.status_code == 409:
        assert stored == 0  # refused as a whole
    else:  # or accepted in part, saying so
        assert response.status_code == 202 and stored == 2
        assert [r["name"] for r in response.get_json()["rejected"]] == ["2.pdf"]


def test_a_corrupt_pdf_fails_alone(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    response = api.upload(
        (invoice_pdf("INV-1"), "one.pdf"),
        (b"%PDF-1.7\n1 0 obj garbage without end", "broken.pdf"),
        (invoice_pdf("INV-2"), "two.pdf"),
    )
    assert response.status_code == 202 and len(response.get_json()["accepted"]) == 3
    jobs = {j["name"]: j for j in api.wait(3)}
    assert jobs["broken.pdf"]["state"] == "failed"
    assert "broken.pdf" in jobs["broken.pdf"]["error"]
    assert jobs["one.pdf"]["state"] == "done" and jobs["two.pdf"]["state"] == "done"
    assert sorted(i["invoice_number"] for i in api.invoices()) == ["INV-1", "INV-2"]
    assert api.get().get_json()["counts"]["failed"] == 1


# --- OpenAPI ------------------------------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, ref
        node = node[part]
    return node


def test_openapi_document_is_complete_and_consistent(web_app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] and document["info"]["version"]
    refs = _refs(document)
    assert refs, "the document uses no $ref at all"
    for ref in refs:
        assert isinstance(_resolve(document, ref), dict)

    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    served = set()
    for rule in web_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("/openapi.json"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        served |= {(path, m) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    assert served and served <= documented, served - documented
    assert documented <= served, documented - served

    invoice = document["components"]["schemas"]["StoredInvoice"]
    expected = {*Invoice.model_fields, "id", "file_id", "reviewed", "corrected_fields"}
    assert expected <= set(invoice["properties"])


def test_identity_fields_cannot_be_rewritten(new_api: NewApi, invoice_pdf: InvoicePdf) -> None:
    api = new_api()
    (invoice,) = _done(api, (invoice_pdf(), "a.pdf"))
    forged = {"file": "other.pdf", "status": "ok", "extractor": "gemini", "error": "x"}
    answers = {
        path: api.patch(invoice["id"], {"fields": {path: value}}).status_code
        for path, value in forged.items()
    }
    after = api.get(f"/invoices/{invoice['id']}").get_json()
    assert (after["file"], after["extractor"], after["error"]) == ("a.pdf", "embedded", None)
    assert answers == dict.fromkeys(forged, 400)


def test_timestamps_carry_their_utc_offset(
    request: pytest.FixtureRequest,
    web_settings: Settings,
    new_api: NewApi,
    invoice_pdf: InvoicePdf,
) -> None:
    api = new_api()
    (invoice,) = _done(api, (invoice_pdf(), "a.pdf"))
    assert api.patch(invoice["id"], {"fields": {"total": "1.00"}}).status_code == 200
    stamps = [api.get().get_json()["created_at"]]
    stamps += [e["at"] for e in api.get(f"/invoices/{invoice['id']}/edits").get_json()["edits"]]
    for stamp in stamps:
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0), stamp
