"""The JSON API under ``/api/v1``: the same operations as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from ..errors import BadRequest
from ..matching.service import recheck
from ..store.models import JobState
from ..store.seller_teaching import edit_and_learn
from .auth import author, check_csrf, remember_owner, request_tokens
from .context import owned, services
from .exports import export, parse_ids
from .matching_api import recheck_after_edit
from .openapi import openapi_document
from .uploads import accept

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.before_request
def _csrf() -> None:
    # Creating a session grants nothing over existing ones, so a client that keeps cookies may
    # create several without a CSRF token; every other write needs one.
    if request.endpoint != "api.create_session":
        check_csrf()


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@api.post("/sessions")
def create_session() -> tuple[Response, int]:
    session_id, token = services().store.create_session()
    remember_owner(token)  # a browser client is the owner through its cookie too
    return jsonify(
        id=session_id, token=token, url=url_for("pages.session_page", session_id=session_id)
    ), 201


@api.get("/sessions/<session_id>")
def get_session(session_id: str) -> Response:
    return jsonify(session_summary(session_id))  # checks the ownership too


@api.post("/sessions/<session_id>/files")
def upload(session_id: str) -> tuple[Response, int]:
    files = request.files.getlist("files") + request.files.getlist("file")
    if not files:
        owned(session_id)  # a stranger's session is a 404 here too
        raise BadRequest("send the files as multipart form fields named 'files'")
    accepted, rejected = accept(session_id, files)  # checks the ownership first
    body = {
        "accepted": [
            {
                "file_id": a.file_id,
                "job_id": a.job_id,
                "name": a.name,
                "size": a.size,
                "duplicate": a.duplicate.describe() if a.duplicate else None,
            }
            for a in accepted
        ],
        "rejected": [{"name": r.name, "reason": r.reason} for r in rejected],
    }
    return jsonify(body), 202 if accepted else 415


@api.get("/sessions/<session_id>/jobs")
def jobs(session_id: str) -> Response:
    owned(session_id)
    return jsonify(jobs=[_file_row(f) for f in services().store.file_jobs(session_id)[0]])


@api.get("/sessions/<session_id>/invoices")
def invoices(session_id: str) -> Response:
    owned(session_id)
    views = services().store.invoices(session_id, parse_ids(request.args.get("ids")))
    return jsonify(invoices=[v.to_json() for v in views])


@api.get("/sessions/<session_id>/invoices/<int:invoice_id>")
def invoice(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    return jsonify(services().store.invoice(session_id, invoice_id).to_json())


@api.patch("/sessions/<session_id>/invoices/<int:invoice_id>")
def patch_invoice(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object: {"fields": {path: value}, "reviewed": bool}')
    fields = body.get("fields", {})
    reviewed = body.get("reviewed")
    if not isinstance(fields, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str | int | float))
        for k, v in fields.items()
    ):
        raise BadRequest("fields must map field paths to string values (or null)")
    if reviewed is not None and not isinstance(reviewed, bool):
        raise BadRequest("reviewed must be true or false")
    changes = {k: None if v is None else str(v) for k, v in fields.items()}
    store = services().store
    view, learned = edit_and_learn(store, session_id, invoice_id, changes, author(), reviewed)
    if set(changes) & set(view.corrected):
        store.admin.reground(session_id, invoice_id, changes, store.settings.max_pages)
        view = store.invoice(session_id, invoice_id)
    if changes:  # duplicates and supplier checks, then the PO check, on the corrected values
        recheck(store, session_id, invoice_id)
        view = recheck_after_edit(session_id, invoice_id) or store.invoice(session_id, invoice_id)
    return jsonify({**view.to_json(), "learned": learned})


@api.get("/sessions/<session_id>/invoices/<int:invoice_id>/edits")
def edits(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    rows = services().store.edits(session_id, invoice_id)
    return jsonify(
        edits=[
            {
                "path": e.path,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "author": e.author,
                "at": e.created_at.isoformat(),
            }
            for e in rows
        ]
    )


@api.get("/sessions/<session_id>/files/<int:file_id>/pages/<int:number>.png")
def page_image(session_id: str, file_id: int, number: int) -> Response:
    owned(session_id)
    store = services().store
    stored = store.file(session_id, file_id)
    response = Response(store.pages.png(stored.sha256, stored.name, number), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@api.get("/sessions/<session_id>/export")
def export_session(session_id: str) -> Response:
    owned(session_id)
    return export(
        session_id,
        request.args.get("format", "csv"),
        request.args.get("kind", "invoices"),
        parse_ids(request.args.get("ids")),
    )


def session_summary(session_id: str) -> dict[str, Any]:
    """The session as a status poll shows it (NotFound unless this request owns it): read on
    one connection as plain rows, since a poll every second per open page is the commonest call."""
    status = services().store.session_status(session_id, request_tokens())
    states = [f["state"] for f in status.files]
    return {
        "id": status.id,
        "created_at": status.created_at.isoformat(),
        "files": [_file_row(f) for f in status.files],
        "counts": {state.value: states.count(state) for state in JobState},
        "invoices": status.invoices,
        "name": status.name,
        "rejected": status.rejected,
        "duplicates": {key: found.describe() for key, found in status.duplicates.items()},
    }


def _file_row(row: dict[str, Any]) -> dict[str, Any]:
    """A file's row of ``Store.file_jobs`` with its failure reason as shown beside its name."""
    return {**row, "reason": (row["error"] or "").removeprefix(f"{row['name']}: ") or None}
