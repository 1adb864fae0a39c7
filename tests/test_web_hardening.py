"""Session clobbering (issue 15): a cross-site write is refused before the session is touched, an
error page never writes the cookie, and a bearer header lends no cookie authority."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from conftest import NewApi

CROSS_SITE = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}


def _session_cookies(response: object) -> list[str]:
    headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    return [c for c in headers if c.startswith("invoice_extractor=")]


@pytest.mark.parametrize(
    "headers",
    [CROSS_SITE, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
    ids=["fetch-metadata-and-origin", "same-site", "origin-only"],
)
def test_a_cross_site_session_creation_is_refused_without_a_cookie(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    # SameSite=Lax keeps the browser's cookie off this request: any cookie in the answer would
    # replace it (and every session the browser owns).
    response = client.post("/api/v1/sessions", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf_failed"
    assert _session_cookies(response) == []


def test_a_same_origin_browser_still_creates_sessions(client: FlaskClient) -> None:
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    response = client.post("/api/v1/sessions", headers=headers)
    assert response.status_code == 201 and _session_cookies(response)


def test_the_forbidden_page_of_the_start_form_writes_no_cookie(client: FlaskClient) -> None:
    response = client.post("/sessions", data={})
    assert response.status_code == 403
    assert _session_cookies(response) == []


def test_an_error_keeps_the_cookie_and_its_sessions(web_app: Flask, new_api: NewApi) -> None:
    browser = web_app.test_client()
    owned = new_api(browser)
    assert browser.post("/sessions", data={}).status_code == 403
    assert browser.get(owned.base).status_code == 200  # the cookie still names the owner


def test_an_invalid_bearer_header_lends_no_cookie_authority(
    web_app: Flask, new_api: NewApi
) -> None:
    browser = web_app.test_client()
    owned = new_api(browser)  # the cookie now owns this session
    forged = {"Authorization": "Bearer not-a-token"}
    # Without a CSRF token, a bearer header must not open the cookie's sessions to a write.
    response = browser.post(f"{owned.base}/files", headers=forged, data={})
    assert response.status_code == 404
    assert browser.get(owned.base, headers=forged).status_code == 404
    assert browser.get(owned.base).status_code == 200
