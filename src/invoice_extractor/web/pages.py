"""The HTML pages: start (this browser's sessions), a session (upload + list), the review of one
invoice, and the forms that rename or delete a session (the session page retries and removes
files and invoices through the API)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..labels import FIELD_LABELS
from ..model import HEADER_FIELDS
from .api import session_summary
from .auth import check_csrf, remember_owner
from .context import owned, services
from .session_list import browser_sessions, session_name, summarise

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static")
STATIC_MAX_AGE = 86_400
"""Seconds a browser keeps app.css and the scripts: their URLs carry a hash of their content, so
a new release is fetched at once, and j / k never waits for a revalidation."""


@cache
def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).with_name("static").iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@pages.app_template_global()
def asset(filename: str) -> str:
    return url_for("pages.static", filename=filename, v=_asset_version())


@pages.before_request
def _csrf() -> None:
    check_csrf(strict=True)


@pages.get("/")
def index() -> str:
    return render_template("index.html", sessions=browser_sessions())


@pages.post("/sessions")
def new_session() -> BaseResponse:
    session_id, token = services().store.create_session()
    remember_owner(token)
    return redirect(url_for("pages.session_page", session_id=session_id), code=303)


@pages.get("/s/<session_id>")
def session_page(session_id: str) -> str:
    row = owned(session_id)
    store = services().store
    views = store.invoices(session_id)
    initial = {"session": session_summary(session_id), "invoices": [v.to_json() for v in views]}
    return render_template(
        "session.html", line=summarise(row, views), initial=initial, session_id=session_id
    )


def _back(session_id: str) -> BaseResponse:
    if request.form.get("back") == "index":
        return redirect(url_for("pages.index"), code=303)
    return redirect(url_for("pages.session_page", session_id=session_id), code=303)


@pages.post("/s/<session_id>/rename")
def rename_session(session_id: str) -> BaseResponse:
    owned(session_id)
    services().store.admin.rename(session_id, request.form.get("name", ""))
    return _back(session_id)


@pages.get("/s/<session_id>/delete")
def confirm_delete(session_id: str) -> str:
    row = owned(session_id)
    line = summarise(row, services().store.invoices(session_id))
    return render_template("delete.html", line=line, session_id=session_id)


@pages.post("/s/<session_id>/delete")
def delete_session(session_id: str) -> BaseResponse:
    owned(session_id)
    services().store.admin.delete_session(session_id)
    return redirect(url_for("pages.index"), code=303)


@pages.get("/s/<session_id>/invoices/<int:invoice_id>")
def review_page(session_id: str, invoice_id: int) -> str:
    row = owned(session_id)
    store = services().store
    view = store.invoice(session_id, invoice_id)
    stored = store.file(session_id, view.file_id)
    ids = store.invoice_ids(session_id)
    at = ids.index(invoice_id)
    next_id = ids[at + 1] if at + 1 < len(ids) else None
    return render_template(
        "review.html",
        session_id=session_id,
        session_name=session_name(row),
        view=view,
        data=view.to_json(),
        stored=stored,
        fields=HEADER_FIELDS,
        labels=FIELD_LABELS,
        dpi=store.settings.render_dpi,
        position=(at + 1, len(ids)),
        previous_id=ids[at - 1] if at > 0 else None,
        next_id=next_id,
        # j is the usual next step: its page image is fetched (and rendered) while this one is read
        next_page=store.admin.first_page(session_id, next_id) if next_id is not None else None,
    )
