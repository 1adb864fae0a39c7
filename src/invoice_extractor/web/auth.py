"""Who may see a session: the holder of its owner token.

A browser holds its tokens in the signed session cookie; an API client sends
``Authorization: Bearer <token>``. Requests that ride on the cookie must also carry the CSRF token
(form field or ``X-CSRF-Token`` header) when they change something. A request that sends a
bearer token is authorised by that token alone (so skipping the CSRF check for it lends no
cookie authority), and a write a browser marks as cross-site is refused before the session is
read (``refuse_cross_site``): its answer must not replace the browser's cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..errors import CsrfFailed

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_COOKIE_TOKENS = 20


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def request_tokens() -> list[str]:
    """Every owner token this request presents: the bearer token when one is sent (the cookie
    then lends nothing), else the cookie's tokens."""
    bearer = bearer_token()
    return [bearer] if bearer else list(session.get("owners", []))


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


_SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})


def refuse_cross_site() -> None:
    """A write that a browser says comes from another site is refused before anything reads or
    writes the session. ``Sec-Fetch-Site`` decides when sent (every current browser does); else
    an ``Origin`` whose host is not this one (hosts only: a TLS proxy in front changes the
    scheme). Clients that send neither (curl, scripts) hold no ambient cookie to abuse."""
    if request.method in _SAFE_METHODS:
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site is not None:
        cross = fetch_site not in _SAME_ORIGIN_FETCH
    else:
        cross = origin is not None and urlsplit(origin).netloc != request.host
    if cross:
        raise CsrfFailed("cross-site request refused: send it from this site's own pages")


class LazyCookieSession(SecureCookieSession):
    """The signed cookie's session, decoded at its first use: an API call with a bearer token
    never reads it, and checking and decoding it (signature, base64, JSON, age) was a tenth of
    such a call. Every dict operation decodes first, so it answers as the decoded session."""

    def __init__(self, decode: Callable[[], dict[str, Any] | None]) -> None:
        super().__init__()
        self._decode: Callable[[], dict[str, Any] | None] | None = decode

    @property
    def decoded(self) -> bool:
        return self._decode is None

    def _ensure(self) -> None:
        decode, self._decode = self._decode, None
        if decode is not None:
            dict.update(self, decode() or {})  # not a change: ``modified`` stays False


def _decoding_first(name: str) -> Callable[..., Any]:
    method = getattr(SecureCookieSession, name)

    def call(self: LazyCookieSession, *args: Any, **kwargs: Any) -> Any:
        self._ensure()
        return method(self, *args, **kwargs)

    call.__name__ = name
    return call


for _name in (
    *("__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__"),
    *("__eq__", "__ne__", "__repr__", "__or__", "__ior__", "__reversed__", "get", "keys"),
    *("values", "items", "copy", "pop", "popitem", "setdefault", "update", "clear"),
):
    setattr(LazyCookieSession, _name, _decoding_first(_name))


class CookieKeptOnErrors(SecureCookieSessionInterface):
    """The signed-cookie session, never written on an error answer: an error page (which renders
    a CSRF token) must not replace the cookie a browser holds with a new, empty one. Nor resent
    by a request that never read it (an API call with a bearer token): re-signing the cookie of
    a permanent session on every such call is work with no effect but a later expiry. Nor looked
    up or decoded before a request reads it (``LazyCookieSession``); its serializer is built once
    per key."""

    _serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        name = self.get_cookie_name(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())

        def decode() -> dict[str, Any] | None:
            value = request.cookies.get(name)  # the Cookie header parsed only when needed
            if not value:
                return None
            try:
                data: dict[str, Any] = serializer.loads(value, max_age=max_age)
                return data
            except BadSignature:
                return None

        return LazyCookieSession(decode)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if not session.modified and not session.accessed:
            return False
        return super().should_set_cookie(app, session)

    def save_session(self, app: Flask, session: object, response: Response) -> None:
        if response.status_code >= 400:
            return
        if isinstance(session, SessionMixin) and not session.modified and not session.accessed:
            return  # never read nor written: nothing to send (and no reason to decode it)
        super().save_session(app, session, response)  # type: ignore[arg-type]
