"""Who may see a session: the holder of its owner token.

A browser holds its tokens in the signed session cookie; an API client sends
``Authorization: Bearer <token>``. Requests that ride on the cookie must also carry the CSRF token
(form field or ``X-CSRF-Token`` header) when they change something.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import request, session

from ..errors import CsrfFailed

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_COOKIE_TOKENS = 20


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def request_tokens() -> list[str]:
    """Every owner token this request presents."""
    tokens = list(session.get("owners", []))
    bearer = bearer_token()
    if bearer:
        tokens.append(bearer)
    return tokens


def remember_owner(token: str) -> None:
    owners = [t for t in session.get("owners", []) if t != token]
    session["owners"] = [*owners, token][-_MAX_COOKIE_TOKENS:]
    session.permanent = True


def author() -> str:
    """How edits name their author: the reviewer's own label, else a stable token fingerprint."""
    label = request.headers.get("X-Reviewer", "").strip()
    if label:
        return "".join(c for c in label if c.isprintable())[:64]
    token = bearer_token() or (session.get("owners") or ["anonymous"])[-1]
    return "owner-" + hashlib.sha256(token.encode()).hexdigest()[:10]


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf(*, strict: bool = False) -> None:
    """Cookie-authenticated writes need the CSRF token; bearer-token API calls, and API clients
    that hold no cookie at all (so no authority to abuse), do not. ``strict`` (the HTML forms)
    always asks for it: a cross-site form must not replace a browser's session cookie."""
    if request.method in _SAFE_METHODS or bearer_token() or (not session and not strict):
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")
