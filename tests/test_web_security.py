"""The web app's defences: CSRF on cookie-authenticated writes, security headers, escaped invoice
text, hostile file names, the secret-key guard and the session cookie's flags."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from invoice_extractor.errors import ConfigurationError
from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from conftest import Api, InvoicePdf, NewApi

HOSTILE_SELLER = "<script>alert(1)</script> Trading Ltd"
HOSTILE_FILE = '<img src=x onerror="alert(2)">.pdf'


def _csrf(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _browser_session(client: FlaskClient) -> tuple[str, str]:
    """Start a session the way the start page does; ``(session id, CSRF token)``."""
    token = _csrf(client)
    response = client.post("/sessions", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    found = re.fullmatch(r"(?:https?://[^/]+)?/s/([\w-]+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1), token


def _browser_invoice(client: FlaskClient, invoice_pdf: InvoicePdf) -> tuple[str, str, int]:
    """A browser session with one extracted invoice: ``(session id, CSRF token, invoice id)``."""
    session_id, token = _browser_session(client)
    base = f"/api/v1/sessions/{session_id}"
    upload = client.post(
        f"{base}/files",
        data={"files": (io.BytesIO(invoice_pdf()), "a.pdf")},
        headers={"X-CSRF-Token": token},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202, upload.get_data(as_text=True)
    deadline = time.monotonic() + 30
    while client.get(f"{base}/jobs").get_json()["jobs"][0]["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the job did not finish in 30 s"
        time.sleep(0.1)
    (invoice,) = client.get(f"{base}/invoices").get_json()["invoices"]
    return session_id, token, invoice["id"]


# --- CSRF ---------------------------------------------------------------------------------------


def test_the_start_form_needs_the_csrf_token(client: FlaskClient) -> None:
    token = _csrf(client)
    refused = client.post("/sessions", data={})
    assert refused.status_code == 403
    assert client.post("/sessions", data={"csrf_token": "forged"}).status_code == 403
    accepted = client.post("/sessions", data={"csrf_token": token})
    assert accepted.status_code == 303
    assert client.get(accepted.headers["Location"]).status_code == 200


def test_cookie_api_writes_need_the_csrf_header(
    client: FlaskClient, invoice_pdf: InvoicePdf
) -> None:
    session_id, token, invoice_id = _browser_invoice(client, invoice_pdf)
    url = f"/api/v1/sessions/{session_id}/invoices/{invoice_id}"
    body = {"fields": {"total": "150.00"}}
    refused = client.patch(url, json=body)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert client.patch(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get(url).get_json()["total"] == "119.00"
    accepted = client.patch(url, json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and accepted.get_json()["total"] == "150.00"
    upload = client.post(
        f"/api/v1/sessions/{session_id}/files",
        data={"files": (io.BytesIO(b"%PDF-1.4\n"), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403


def test_bearer_token_calls_need_no_csrf_token(
    new_api: NewApi, invoice_pdf: InvoicePdf, web_app: Flask
) -> None:
    api: Api = new_api()
    assert api.upload((invoice_pdf(), "a.pdf")).status_code == 202  # no X-CSRF-Token anywhere
    api.wait(1)
    (invoice,) = api.invoices()
    assert api.patch(invoice["id"], {"fields": {"total": "99.00"}}).status_code == 200
    # The same token from a client that also holds a cookie (with a CSRF token in it) still works.
    browser = web_app.test_client()
    _csrf(browser)
    response = browser.patch(
        f"{api.base}/invoices/{invoice['id']}", json={"reviewed": True}, headers=api.auth
    )
    assert response.status_code == 200 and response.get_json()["reviewed"] is True


# --- headers and escaping -----------------------------------------------------------------------


def test_security_headers_on_pages_api_and_errors(new_api: NewApi, client: FlaskClient) -> None:
    api = new_api()
    for response in (
        client.get("/"),
        client.get(f"/s/{api.session_id}"),
        api.get(),
        client.get("/api/v1/sessions/nope"),
        client.get("/no/such/page"),
    ):
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp, csp
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"


def test_security_headers_are_sent_once_and_a_views_own_cache_control_kept(
    new_api: NewApi, client: FlaskClient
) -> None:
    api = new_api()
    static = client.get("/static/app.css")
    for response, cache in ((api.get(), "private, no-store"), (static, None)):
        names = [name.lower() for name, _ in response.headers]
        for name in ("content-security-policy", "x-frame-options", "referrer-policy"):
            assert names.count(name) == 1, names
        assert names.count("cache-control") == 1
        if cache is not None:
            assert response.headers["Cache-Control"] == cache
    assert "no-store" not in static.headers["Cache-Control"]  # the static files' own max-age


def test_invoice_text_and_file_names_are_escaped_in_pages(
    new_api: NewApi, invoice_pdf: InvoicePdf, client: FlaskClient
) -> None:
    api = new_api()
    upload = api.upload((invoice_pdf(seller=HOSTILE_SELLER), HOSTILE_FILE))
    assert upload.status_code == 202
    api.wait(1)
    (invoice,) = api.invoices()
    assert invoice["seller"]["name"] == HOSTILE_SELLER  # the raw value reaches the data
    session_page = client.get(f"/s/{api.session_id}").get_data(as_text=True)
    review_page = client.get(f"/s/{api.session_id}/invoices/{invoice['id']}").get_data(as_text=True)
    for html in (session_page, review_page):
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)" in html
        assert "<img src=x" not in html and "&lt;img src=x" in html


# --- hostile file names -------------------------------------------------------------------------


def _files_outside(root: Path, data_dir: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and data_dir not in p.parents}


def _upload_raw(api: Api, filename_param: bytes, content: bytes) -> TestResponse:
    """A multipart upload whose file name parameter is sent exactly as given (the test client would
    break a name with a newline into a plain form field)."""
    boundary = b"hostile-name-boundary"
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="files"; ' + filename_param + b"\r\n",
            b"Content-Type: application/pdf\r\n\r\n",
            content,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    return api.client.post(
        api.base + "/files",
        data=body,
        headers=api.auth,
        content_type="multipart/form-data; boundary=" + boundary.decode(),
    )


@pytest.mark.parametrize(
    "param, stored",
    [
        (b'filename="../../evil.pdf"', "evil.pdf"),
        (b"filename*=UTF-8''..%2F..%2F..%2Fevil.pdf", "evil.pdf"),
        (b'filename="..\\\\..\\\\evil.pdf"', "evil.pdf"),
        (b'filename="/etc/cron.d/evil.pdf"', "evil.pdf"),
        (b"filename*=UTF-8''evil%0Aname%0D.pdf", "evil_name_.pdf"),
        (b"filename*=UTF-8''..%2F%0A..%2Fevil%00.pdf", "evil_.pdf"),
    ],
    ids=["dotdot", "dotdot-encoded", "backslashes", "absolute", "newlines", "mixed"],
)
def test_hostile_file_names_become_plain_base_names(
    web_app: Flask,
    new_api: NewApi,
    invoice_pdf: InvoicePdf,
    tmp_path: Path,
    param: bytes,
    stored: str,
) -> None:
    data_dir: Path = web_app.extensions["invoice_extractor"].store.settings.data_dir
    api = new_api()
    content = invoice_pdf()
    before = _files_outside(tmp_path, data_dir)
    response = _upload_raw(api, param, content)
    assert response.status_code == 202, response.get_data(as_text=True)
    api.wait(1)
    shown = response.get_json()["accepted"][0]["name"]
    assert shown == stored
    assert api.get("/jobs").get_json()["jobs"][0]["name"] == stored
    assert api.invoices()[0]["file"] == shown
    assert _files_outside(tmp_path, data_dir) == before
    assert not (data_dir / "../../evil.pdf").resolve().exists()
    assert not Path("evil.pdf").exists()
    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert written and all("evil" not in p.name for p in written)


# --- start-up guard and the session cookie ------------------------------------------------------


def test_production_mode_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    from invoice_extractor.web import create_app

    settings = Settings(data_dir=tmp_path / "prod", flask_debug=False, secret_key=None)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(settings)


def test_debug_mode_starts_without_secret_key(tmp_path: Path) -> None:
    from invoice_extractor.web import create_app

    app = create_app(Settings(data_dir=tmp_path / "dev", flask_debug=True, workers=1))
    try:
        assert app.debug is True
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        services = app.extensions["invoice_extractor"]
        services.queue.stop()
        services.store.db.dispose()


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    response = client.post("/api/v1/sessions")
    assert response.status_code == 201
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "no session cookie set"
    (cookie,) = [c for c in cookies if c.startswith("invoice_extractor=")]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags
