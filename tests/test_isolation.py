"""One session's data is invisible to everyone but its owner: another client gets 404 (never 403,
which would confirm the session exists) on every route, by cookie and by bearer token."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from conftest import Api, InvoicePdf, NewApi


@dataclass
class Owned:
    """A session of client A with one finished invoice."""

    api: Api
    invoice_id: int
    file_id: int


@pytest.fixture
def owned(new_api: NewApi, invoice_pdf: InvoicePdf) -> Owned:
    api = new_api()
    assert api.upload((invoice_pdf("INV-SECRET-1"), "secret.pdf")).status_code == 202
    api.wait(1)
    (invoice,) = api.invoices()
    return Owned(api, invoice["id"], invoice["file_id"])


def _routes(session_id: str, invoice_id: int, file_id: int) -> list[tuple[str, str, Any]]:
    """``(method, url, body)`` of every route that reads or changes a session."""
    base = f"/api/v1/sessions/{session_id}"
    pdf = b"%PDF-1.4\n%%EOF\n"
    return [
        ("GET", base, None),
        ("GET", f"{base}/jobs", None),
        ("GET", f"{base}/invoices", None),
        ("GET", f"{base}/invoices/{invoice_id}", None),
        ("PATCH", f"{base}/invoices/{invoice_id}", {"fields": {"total": "1.00"}}),
        ("PATCH", f"{base}/invoices/{invoice_id}", {"reviewed": True}),
        ("GET", f"{base}/invoices/{invoice_id}/edits", None),
        ("GET", f"{base}/files/{file_id}/pages/1.png", None),
        ("GET", f"{base}/export?format=csv", None),
        ("GET", f"{base}/export?format=json", None),
        ("GET", f"{base}/export?format=xlsx&kind=items", None),
        ("POST", f"{base}/files", {"files": (io.BytesIO(pdf), "x.pdf")}),
        ("GET", f"/s/{session_id}", None),
        ("GET", f"/s/{session_id}/invoices/{invoice_id}", None),
    ]


def _call(
    client: FlaskClient, method: str, url: str, body: Any, headers: dict[str, str]
) -> TestResponse:
    if method == "PATCH":
        return client.patch(url, json=body, headers=headers)
    if method == "POST":
        return client.post(url, data=body, headers=headers, content_type="multipart/form-data")
    return client.get(url, headers=headers)


def _csrf(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _assert_unchanged(owned: Owned) -> None:
    invoice = owned.api.get(f"/invoices/{owned.invoice_id}").get_json()
    assert invoice["total"] == "119.00" and invoice["reviewed"] is False
    assert owned.api.get(f"/invoices/{owned.invoice_id}/edits").get_json()["edits"] == []
    assert len(owned.api.get("/jobs").get_json()["jobs"]) == 1


def test_another_bearer_token_gets_404_everywhere(
    web_app: Flask, owned: Owned, new_api: NewApi
) -> None:
    other = new_api(web_app.test_client())
    stranger = web_app.test_client()  # no cookie at all: only the bearer token speaks
    for method, url, body in _routes(owned.api.session_id, owned.invoice_id, owned.file_id):
        response = _call(stranger, method, url, body, other.auth)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"INV-SECRET-1" not in response.data and b"secret.pdf" not in response.data
    _assert_unchanged(owned)


def test_another_browser_cookie_gets_404_everywhere(web_app: Flask, owned: Owned) -> None:
    browser = web_app.test_client()
    token = _csrf(browser)
    created = browser.post("/api/v1/sessions", headers={"X-CSRF-Token": token})
    assert created.status_code == 201  # the browser now owns a session of its own, by cookie
    assert browser.get(f"/api/v1/sessions/{created.get_json()['id']}").status_code == 200
    for method, url, body in _routes(owned.api.session_id, owned.invoice_id, owned.file_id):
        response = _call(browser, method, url, body, {"X-CSRF-Token": token})
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"INV-SECRET-1" not in response.data
    _assert_unchanged(owned)


def test_no_credentials_at_all_get_404(web_app: Flask, owned: Owned) -> None:
    anonymous = web_app.test_client()
    for method, url, body in _routes(owned.api.session_id, owned.invoice_id, owned.file_id):
        response = _call(anonymous, method, url, body, {})
        assert response.status_code == 404, (method, url, response.status_code)
    _assert_unchanged(owned)


def test_a_guessed_session_id_is_404_like_a_foreign_one(web_app: Flask, owned: Owned) -> None:
    guessed = secrets.token_urlsafe(24)
    for method, url, body in _routes(guessed, owned.invoice_id, owned.file_id):
        response = _call(owned.api.client, method, url, body, owned.api.auth)  # even the owner
        assert response.status_code == 404, (method, url, response.status_code)
    stranger = web_app.test_client()
    guess = {"Authorization": "Bearer " + secrets.token_urlsafe(32)}
    foreign = stranger.get(owned.api.base, headers=guess)
    missing = stranger.get(f"/api/v1/sessions/{guessed}", headers=guess)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()  # nothing tells the two apart


def test_a_token_opens_only_its_own_session(
    web_app: Flask, owned: Owned, new_api: NewApi, invoice_pdf: InvoicePdf
) -> None:
    b = new_api(web_app.test_client())
    assert b.upload((invoice_pdf("INV-B-1"), "b.pdf")).status_code == 202
    b.wait(1)
    (b_invoice,) = b.invoices()
    fresh = web_app.test_client()
    a_on_b = fresh.get(b.base, headers=owned.api.auth)
    b_on_a = fresh.get(owned.api.base, headers=b.auth)
    assert a_on_b.status_code == 404 and b_on_a.status_code == 404
    assert fresh.get(b.base, headers=b.auth).status_code == 200

    # B's own session id with A's invoice or file ids: still nothing of A's.
    assert b.get(f"/invoices/{owned.invoice_id}").status_code == 404
    assert b.patch(owned.invoice_id, {"fields": {"total": "1.00"}}).status_code == 404
    assert b.get(f"/invoices/{owned.invoice_id}/edits").status_code == 404
    assert b.get(f"/files/{owned.file_id}/pages/1.png").status_code == 404
    assert b.get(f"/invoices?ids={owned.invoice_id}").get_json()["invoices"] == []
    exported = b.get(f"/export?format=csv&ids={owned.invoice_id},{b_invoice['id']}").data
    assert b"INV-B-1" in exported and b"INV-SECRET-1" not in exported
    _assert_unchanged(owned)


def test_after_the_owner_edits_others_still_cannot_read(
    web_app: Flask, owned: Owned, new_api: NewApi
) -> None:
    fix = {"fields": {"invoice_number": "INV-CHANGED-9"}, "reviewed": True}
    assert owned.api.patch(owned.invoice_id, fix).status_code == 200
    other = new_api(web_app.test_client())
    stranger = web_app.test_client()
    for method, url, _ in _routes(owned.api.session_id, owned.invoice_id, owned.file_id):
        if method != "GET":
            continue
        response = _call(stranger, method, url, None, other.auth)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"INV-CHANGED-9" not in response.data
    assert owned.api.get(f"/invoices/{owned.invoice_id}").get_json()["invoice_number"] == (
        "INV-CHANGED-9"
    )
