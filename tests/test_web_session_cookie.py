"""The session cookie is decoded when a request first reads it (``auth.LazyCookieSession``): an
API call with a bearer token never decodes it, a browser's call reads it as before, and a forged
cookie is an empty session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from invoice_extractor.web.auth import LazyCookieSession

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every cookie the app's serializer decodes."""
    seen: list[str] = []
    original = URLSafeTimedSerializer.loads

    def counted(self: URLSafeTimedSerializer, value: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(value)
        return original(self, value, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counted)
    yield seen


def _new_session(client: FlaskClient) -> tuple[str, dict[str, str]]:
    body = client.post("/api/v1/sessions").get_json()
    return f"/api/v1/sessions/{body['id']}", {"Authorization": f"Bearer {body['token']}"}


def test_a_bearer_call_never_decodes_the_cookie_a_browser_call_does(
    web_app: Flask, decodes: list[str]
) -> None:
    client = web_app.test_client()
    base, auth = _new_session(client)  # the cookie now owns the session too
    decodes.clear()
    assert client.get(base, headers=auth).status_code == 200
    assert decodes == []
    assert client.get(base).status_code == 200  # by the cookie alone
    assert len(decodes) == 1


def test_a_forged_cookie_is_an_empty_session(web_app: Flask) -> None:
    client = web_app.test_client()
    base, _ = _new_session(client)
    cookie = client.get_cookie("invoice_extractor")
    assert cookie is not None
    payload, _, signature = cookie.value.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie("invoice_extractor", forged)
    assert client.get(base).status_code == 404


def test_the_lazy_session_answers_as_the_decoded_one_and_counts_changes_only() -> None:
    calls: list[int] = []

    def decode() -> dict[str, Any]:
        calls.append(1)
        return {"owners": ["t"], "csrf": "c"}

    session = LazyCookieSession(decode)
    assert not session.decoded and not calls
    assert len(session) == 2 and "owners" in session and session.get("csrf") == "c"
    assert dict(session) == {"owners": ["t"], "csrf": "c"} and calls == [1]
    assert session.decoded and not session.modified
    session["csrf"] = "d"
    assert session.modified and session == {"owners": ["t"], "csrf": "d"}
    empty = LazyCookieSession(lambda: None)  # a cookie whose signature is wrong
    assert not empty and not empty.modified
