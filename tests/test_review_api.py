"""The review workflow's server side (issue 13), through the Flask test client on SQLite and
PostgreSQL: warnings as findings with codes and fields, fields to check at the validator's
threshold, every bad correction reported at once, local notation, corrected fields without a
stale box, session rename / delete (with the bytes), retry, removal, refused uploads kept,
duplicates within an owner's sessions."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from helpers_review import invoice_pdf
from invoice_extractor.extract.embedded.ranker import active_model, using_model
from invoice_extractor.findings import explain
from invoice_extractor.store.local_values import Notation, canonical
from invoice_extractor.validate import RULES

if TYPE_CHECKING:
    from flask import Flask

    from conftest import Api, NewApi


@pytest.mark.parametrize(
    ("warning", "code", "fields", "message"),
    [
        (
            "line_items.0: quantity x unit_price != amount (10 x 1.50 != 14.90)",
            "line_items.N",
            ("line_items.0.quantity", "line_items.0.unit_price", "line_items.0.amount"),
            "Line 1: 10 x 1.50 = 15.00, printed 14.90",
        ),
        (
            "BR-CO-15: tax_exclusive_total + tax_total != total (100.00 + 19.00 != 118.00)",
            "BR-CO-15",
            ("tax_exclusive_total", "tax_total", "total"),
            "Total without tax 100.00 + tax total 19.00 = 119.00, printed total 118.00",
        ),
        (
            "BR-CO-17: tax_lines.1: base x rate / 100 != amount (100.00 x 19.00 / 100 != 18.00)",
            "BR-CO-17",
            ("tax_lines.1.base", "tax_lines.1.rate", "tax_lines.1.amount"),
            "Tax line 2: 19.00 % of 100.00 = 19.00, printed 18.00",
        ),
        (
            "VAT: seller.vat_id DE123456789 fails its checksum",
            "VAT",
            ("seller.vat_id",),
            "Seller VAT ID DE123456789 fails its check digits (misread?)",
        ),
        (
            "UNCERTAIN: total (0.55), seller.name (0.40) below the review threshold 0.90",
            "UNCERTAIN",
            ("total", "seller.name"),
            "Read with low confidence, check on the page: Total (55%), Seller name (40%)",
        ),
        (
            "CROSSCHECK: printed total 963,12 differs from XML 963.11",
            "CROSSCHECK",
            ("total",),
            "Total: the page shows 963,12, the XML says 963.11",
        ),
    ],
)
def test_a_warning_becomes_a_sentence_on_its_fields(
    warning: str, code: str, fields: tuple[str, ...], message: str
) -> None:
    found = explain(warning)
    assert (found.code, found.fields, found.message, found.text) == (code, fields, message, warning)


def test_every_rule_has_a_sentence_of_its_own() -> None:
    """No rule falls through to the generic form (its text repeated): each is explained."""
    samples = {
        "BR-CO-10": "BR-CO-10: sum of line_items amounts != subtotal (90.00 != 100.00)",
        "BR-CO-11": "BR-CO-11: sum of allowance_charges allowance amounts != allowances "
        "(15.00 != 12.00)",
        "BR-CO-12": "BR-CO-12: sum of allowance_charges charge amounts != charges (4.00 != 6.00)",
        "BR-CO-13": "BR-CO-13: subtotal - allowances != tax_exclusive_total (100 - 5 != 96)",
        "BR-CO-14": "BR-CO-14: sum of tax_lines amounts != tax_total (18.00 != 19.00)",
        "BR-CO-15": "BR-CO-15: tax_exclusive_total + tax_total != total (1 + 2 != 4)",
        "BR-CO-16": "BR-CO-16: total - prepaid != amount_due (10 - 2 != 9)",
        "BR-CO-17": "BR-CO-17: tax_lines.0: base x rate / 100 != amount (1 x 2 / 100 != 3)",
        "line_items.N": "line_items.3: quantity x unit_price != amount (1 x 2 != 3)",
        "IBAN": "IBAN: payment.iban DE00 fails its checksum",
        "VAT": "VAT: buyer.vat_id FR00 fails its checksum",
        "BIC": "BIC: payment.bic XX is not a valid BIC",
        "BR-DATES": "BR-DATES: due_date 2024-01-01 is before issue_date 2024-02-01",
        "MISSING": "MISSING: invoice_number, total not found",
        "UNCERTAIN": "UNCERTAIN: total (0.50) below the review threshold 0.90",
    }
    assert set(samples) == {rule for rule, _ in RULES}
    for rule, warning in samples.items():
        found = explain(warning)
        assert found.code == rule and found.fields, warning
        assert found.message != warning.split(": ", 1)[1].capitalize(), warning


GERMAN = Notation(decimal_sep=",", date_order="DMY")
UNKNOWN = Notation(decimal_sep=None, date_order=None)


@pytest.mark.parametrize(
    ("path", "typed", "style", "stored"),
    [
        ("total", "1.234,56", GERMAN, "1234.56"),
        ("total", "1.234,56", UNKNOWN, "1234.56"),  # both marks: only one reading
        ("total", "1234,5", UNKNOWN, "1234.5"),
        ("total", "1,234", GERMAN, "1.234"),
        ("line_items.0.amount", "-12,00", GERMAN, "-12.00"),
        ("issue_date", "31.08.2023", UNKNOWN, "2023-08-31"),
        ("issue_date", "03/04/2024", GERMAN, "2024-04-03"),
        ("issue_date", "2024-04-03", UNKNOWN, "2024-04-03"),
        ("seller.name", " Acme ", UNKNOWN, " Acme "),
    ],
)
def test_local_notation_is_made_canonical(
    path: str, typed: str, style: Notation, stored: str
) -> None:
    assert canonical(path, typed, style) == stored


@pytest.mark.parametrize(
    ("path", "typed", "reason"),
    [
        ("total", "1,234", "ambiguous"),
        ("total", "12x", "not an amount"),
        ("issue_date", "03/04/2024", "ambiguous"),
        ("issue_date", "31.02.2024", "not a date"),
    ],
)
def test_an_ambiguous_or_bad_value_is_refused_with_a_reason(
    path: str, typed: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        canonical(path, typed, UNKNOWN)


def _one_invoice(new_api: NewApi, data: bytes, name: str = "a.pdf") -> tuple[Api, dict[str, Any]]:
    api = new_api()
    assert api.upload((data, name)).status_code == 202
    api.wait(1)
    (invoice,) = api.invoices()
    return api, invoice


def test_the_api_explains_warnings_and_every_bad_field_is_refused_at_once(new_api: NewApi) -> None:
    api, invoice = _one_invoice(new_api, invoice_pdf(printed_amount="90.00"))
    checks = {c["code"]: c for c in invoice["checks"]}
    assert checks["line_items.N"]["message"] == "Line 1: 2 x 50.00 = 100.00, printed 90.00"
    assert invoice["review_state"] == "needs_review" and invoice["review_threshold"] is not None
    iid = invoice["id"]
    refused = api.patch(
        iid, {"fields": {"total": "12x", "due_date": "31.02.2024", "seller.name": "ok"}}
    )
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert set(error["fields"]) == {"total", "due_date"}
    after = api.get(f"/invoices/{iid}").get_json()
    assert after["seller"]["name"] == "Acme Trading Ltd", "a refused batch must change nothing"

    fixed = api.patch(
        iid, {"fields": {"line_items.0.amount": "100,00", "issue_date": "05.03.2024"}}
    )
    assert fixed.status_code == 200, fixed.get_data(as_text=True)
    body = fixed.get_json()
    assert body["line_items"][0]["amount"] == "100.00" and body["issue_date"] == "2024-03-05"
    assert "line_items.N" not in {c["code"] for c in body["checks"]}
    # The box follows the corrected value: 100,00 is not printed on the line (90.00 is), but
    # the same amount stands in the subtotal, so the box moves there; a value found nowhere
    # has no box.
    moved = body["evidence"]["line_items.0.amount"]
    assert moved["text"].startswith("100.00") and moved["confidence"] == 1.0
    assert moved["bbox"] != invoice["evidence"]["line_items.0.amount"]["bbox"]
    nowhere = api.patch(iid, {"fields": {"seller.name": "Nowhere Printed GmbH"}}).get_json()
    assert "seller.name" not in nowhere["evidence"]
    assert set(body["corrected_fields"]) == {"line_items.0.amount"}  # the date did not change


def test_sessions_are_renamed_and_deleted_with_their_bytes(new_api: NewApi, web_app: Flask) -> None:
    api, _ = _one_invoice(new_api, invoice_pdf("R-1"))
    store = web_app.extensions["invoice_extractor"].store
    ((stored, _),) = store.files(api.session_id)
    blob = store.blobs.path(stored.sha256)
    assert blob.is_file()
    assert (
        api.client.get(f"{api.base}/files/{stored.id}/pages/1.png", headers=api.auth).status_code
        == 200
    )
    renamed = api.client.patch(api.base, json={"name": "  March   suppliers "}, headers=api.auth)
    assert renamed.get_json()["name"] == "March suppliers"
    assert api.get().get_json()["name"] == "March suppliers"
    assert api.client.patch(api.base, json={"name": ""}, headers=api.auth).status_code == 400
    assert api.client.delete(api.base, headers=api.auth).status_code == 204
    assert api.get().status_code == 404
    assert not blob.exists()
    assert not list(
        (web_app.extensions["invoice_extractor"].store.settings.data_dir / "cache" / "pages").rglob(
            f"{stored.sha256}-*"
        )
    )


def test_bytes_another_session_uses_are_kept_and_the_repeat_is_flagged(
    new_api: NewApi, web_app: Flask
) -> None:
    data = invoice_pdf("S-1")
    first = new_api()
    assert first.upload((data, "first.pdf")).status_code == 202
    first.wait(1)
    answer = first.upload((data, "again.pdf"))
    assert answer.get_json()["accepted"][0]["duplicate"].startswith("same file as first.pdf")
    first.wait(2)
    summary = first.get().get_json()
    invoices = first.invoices()
    assert any(
        v.startswith("same seller and number as first.pdf") for v in summary["duplicates"].values()
    )
    assert len(invoices) == 2
    store = web_app.extensions["invoice_extractor"].store
    files = {f.name: f for f, _ in store.files(first.session_id)}
    assert (
        first.client.delete(
            f"{first.base}/files/{files['again.pdf'].id}", headers=first.auth
        ).status_code
        == 204
    )
    assert store.blobs.path(files["first.pdf"].sha256).is_file(), "first.pdf still uses the bytes"
    assert [v["file"] for v in first.invoices()] == ["first.pdf"]
    (left,) = first.invoices()
    assert (
        first.client.delete(f"{first.base}/invoices/{left['id']}", headers=first.auth).status_code
        == 204
    )
    assert first.invoices() == []


def test_a_refused_upload_stays_listed_and_a_failed_file_is_retried(new_api: NewApi) -> None:
    api = new_api()
    assert (
        api.upload((b"hello", "notes.txt"), (b"%PDF-1.4 broken", "broken.pdf")).status_code == 202
    )
    (job,) = api.wait(1)
    assert job["state"] == "failed" and job["reason"] == "the PDF is damaged and cannot be read"
    summary = api.get().get_json()
    assert [(r["name"], r["reason"]) for r in summary["rejected"]] == [
        ("notes.txt", "not a PDF, XML or image (PNG, JPEG, TIFF, WebP)")
    ]
    retried = api.client.post(f"{api.base}/files/{job['file_id']}/retry", headers=api.auth)
    assert retried.status_code == 202
    (again,) = api.wait(1)
    assert again["state"] == "failed" and again["attempts"] == 2
    assert api.client.post(
        f"{api.base}/files/{job['file_id']}/retry", headers=api.auth
    ).status_code in (202, 400)
    rejected_id = summary["rejected"][0]["id"]
    assert (
        api.client.delete(f"{api.base}/rejected/{rejected_id}", headers=api.auth).status_code == 204
    )
    assert api.get().get_json()["rejected"] == []


def test_the_start_page_lists_only_this_browsers_sessions(web_app: Flask) -> None:
    mine, other = web_app.test_client(), web_app.test_client()
    for client in (mine, other):
        client.get("/")
    token = (
        mine.get("/").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    )
    mine.post("/sessions", data={"csrf_token": token})
    other_token = (
        other.get("/").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    )
    other.post("/sessions", data={"csrf_token": other_token})
    page = mine.get("/").get_data(as_text=True)
    assert page.count('data-session="') == 1
    assert "Session of " in page


def test_fields_to_check_are_the_fields_the_validator_finds_uncertain(new_api: NewApi) -> None:
    """The page marks exactly what makes the status needs_review: one threshold, one list."""
    model = active_model()
    if model is None:
        pytest.skip("no ranker model packaged")
    # A threshold above some of the read confidences (which are below 1.0 until a person
    # confirms them): those fields, and only those, are to check.
    with using_model(replace(model, ok_threshold=0.999)):
        api, invoice = _one_invoice(new_api, invoice_pdf("U-1"))
        uncertain = [c for c in invoice["checks"] if c["code"] == "UNCERTAIN"]
        assert invoice["review_threshold"] == 0.999
        assert [t["path"] for t in invoice["to_check"]] == uncertain[0]["fields"]
        assert all(t["confidence"] < 0.999 for t in invoice["to_check"])
        # The values the page prints, confirmed as they were read or written out in full.
        printed = {
            "invoice_number": "U-1",
            "issue_date": "2024-03-05",
            "seller.name": "Acme Trading Limited",
            "buyer.name": "Kunde AG Berlin",
            "subtotal": "100.00",
            "tax_total": "19.00",
            "total": "119.00",
            "amount_due": "119.00",
        }
        corrections = {t["path"]: printed[t["path"]] for t in invoice["to_check"]}
        fixed = api.patch(invoice["id"], {"fields": corrections}).get_json()
        assert fixed["to_check"] == [] and fixed["status"] == "ok"
        assert not [c for c in fixed["checks"] if c["code"] == "UNCERTAIN"]
    with using_model(replace(model, ok_threshold=0.5)):
        assert api.get(f"/invoices/{invoice['id']}").get_json()["to_check"] == []


def test_marking_reviewed_confirms_every_value_and_the_status_says_so(new_api: NewApi) -> None:
    """A clerk who marks an invoice reviewed confirmed its values: nothing is uncertain any more,
    and the status is what the remaining checks say (ok here), in the API and the exports."""
    model = active_model()
    if model is None:
        pytest.skip("no ranker model packaged")
    with using_model(replace(model, ok_threshold=0.999)):
        api, invoice = _one_invoice(new_api, invoice_pdf("R-1"))
        assert invoice["status"] == "needs_review" and invoice["to_check"]
        done = api.patch(invoice["id"], {"reviewed": True}).get_json()
        assert done["to_check"] == [] and done["status"] == "ok"
        assert done["review_state"] == "reviewed"
        assert all(ev["confidence"] == 1.0 for ev in done["evidence"].values())
        exported = api.get("/export?format=json").get_json()
        row = next(r for r in exported if r["invoice_number"] == "R-1")
        assert row["status"] == "ok" and row["reviewed"] is True
