"""The HTML pages: start, a session (upload + list), and the review of one invoice."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..model import HEADER_FIELDS
from .api import session_summary
from .auth import check_csrf, remember_owner
from .context import owned, services

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static")


@pages.before_request
def _csrf() -> None:
    check_csrf(strict=True)


@pages.get("/")
def index() -> str:
    return render_template("index.html")


@pages.post("/sessions")
def new_session() -> BaseResponse:
    session_id, token = services().store.create_session()
    remember_owner(token)
    return redirect(url_for("pages.session_page", session_id=session_id), code=303)


@pages.get("/s/<session_id>")
def session_page(session_id: str) -> str:
    row = owned(session_id)
    views = services().store.invoices(session_id)
    return render_template(
        "session.html", session=session_summary(row), invoices=views, session_id=session_id
    )


@pages.get("/s/<session_id>/invoices/<int:invoice_id>")
def review_page(session_id: str, invoice_id: int) -> str:
    owned(session_id)
    store = services().store
    view = store.invoice(session_id, invoice_id)
    stored = store.file(session_id, view.file_id)
    ids = store.invoice_ids(session_id)
    at = ids.index(invoice_id)
    return render_template(
        "review.html",
        session_id=session_id,
        view=view,
        data=view.to_json(),
        stored=stored,
        fields=HEADER_FIELDS,
        dpi=store.settings.render_dpi,
        previous_id=ids[at - 1] if at > 0 else None,
        next_id=ids[at + 1] if at + 1 < len(ids) else None,
    )
