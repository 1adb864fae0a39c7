"""The matcher in the JSON API: an invoice's duplicates and the clerk's "not a duplicate", and
the supplier list of the installation (list, edit, CSV import and export).

The supplier list belongs to the installation's team, not to one session: any client holding the
token of a session of this installation may read and edit it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from sqlalchemy import select

from ..errors import BadRequest, NotFound
from ..matching import service, supplier_csv
from ..matching.suppliers import listing
from ..store.models import ReviewSession
from ..store.repository import token_hash
from .auth import author, check_csrf, request_tokens
from .context import owned, services

supplier_api = Blueprint("supplier_api", __name__, url_prefix="/api/v1")


@supplier_api.before_request
def _csrf() -> None:
    check_csrf()


def owned_session_ids() -> list[str]:
    """The sessions this request's tokens own (none: the request is no member of the team)."""
    hashes = [token_hash(t) for t in request_tokens() if t]
    if not hashes:
        return []
    with services().store.db.session() as db:
        query = select(ReviewSession.id).where(ReviewSession.owner_hash.in_(hashes))
        return list(db.scalars(query))


def _member() -> None:
    if not owned_session_ids():
        raise NotFound("the supplier list is shown to the owners of a session of this installation")


def duplicates_json(session_id: str, invoice_id: int) -> list[dict[str, Any]]:
    found = service.matches(services().store, session_id, invoice_id, owned_session_ids())
    for match in found:
        other = match.pop("session_id")
        match["url"] = (
            url_for("pages.review_page", session_id=other, invoice_id=match["invoice_id"])
            if other
            else None
        )
    return found


@supplier_api.get("/sessions/<session_id>/invoices/<int:invoice_id>/duplicates")
def duplicates(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    return jsonify(duplicates=duplicates_json(session_id, invoice_id))


@supplier_api.post("/sessions/<session_id>/invoices/<int:invoice_id>/not-duplicate")
def not_duplicate(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    body = request.get_json(silent=True) or {}
    other = body.get("of") if isinstance(body, dict) else None
    if other is not None and (not isinstance(other, int) or isinstance(other, bool)):
        raise BadRequest('"of" must be the id of the earlier invoice (or left out: all of them)')
    store = services().store
    service.confirm_not_duplicate(store, session_id, invoice_id, author(), other)
    return jsonify(
        invoice=store.invoice(session_id, invoice_id).to_json(),
        duplicates=duplicates_json(session_id, invoice_id),
    )


@supplier_api.get("/suppliers")
def suppliers() -> Response:
    _member()
    with services().store.db.session() as db:
        if request.args.get("format") == "csv":
            response = Response(supplier_csv.export_csv(db), mimetype="text/csv")
            response.headers["Content-Disposition"] = 'attachment; filename="suppliers.csv"'
            return response
        return jsonify(suppliers=[row.to_json() for row in listing(db)])


@supplier_api.patch("/suppliers/<int:supplier_id>")
def edit_supplier(supplier_id: int) -> Response:
    _member()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(v, str) or v is None for v in body.values()
    ):
        raise BadRequest("send a JSON object of supplier columns to string values (or null)")
    with services().store.db.session() as db:
        try:
            supplier_csv.update(db, supplier_id, body)
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        [row] = listing(db, supplier_id)
        return jsonify(row.to_json())


@supplier_api.post("/suppliers/import")
def import_suppliers() -> Response:
    _member()
    upload = request.files.get("file")
    data = upload.read(supplier_csv.MAX_BYTES + 1) if upload else request.get_data()
    if not data:
        raise BadRequest("send the CSV as the request body or as the multipart field 'file'")
    with services().store.db.session() as db:
        result = supplier_csv.import_csv(db, data)
    return jsonify(added=result.added, updated=result.updated)
