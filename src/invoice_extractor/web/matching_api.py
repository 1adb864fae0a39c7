"""The purchase-order and payment API under ``/api/v1``: the same operations as the CLI's
``po`` and ``payments`` commands and the matching pages, on the installation's one store.

Purchase orders and bank transactions belong to the installation (every session's invoices are
matched against them), so these routes are not tied to a session; the per-invoice route is, and
answers only the session's owner. Writes from a browser need the CSRF token, as everywhere.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Request, Response, jsonify, request

from ..errors import BadRequest, NotFound
from ..matching.payment_links import match_by_hand, unmatch_by_hand
from ..matching.payments import import_statement, overdue, rematch, transactions
from ..matching.purchase_orders import check_stored, import_orders
from ..matching.views import MatchState, get_order, list_orders, match_states
from ..store.invoice_view import InvoiceView
from .auth import check_csrf
from .context import owned, services

matching_api = Blueprint("matching_api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


@matching_api.before_request
def _csrf() -> None:
    check_csrf()


def uploaded(req: Request, field: str, *, required: bool = True) -> tuple[bytes, str] | None:
    """The bytes and name of a multipart file field, bounded by the import limit (+1 byte, so
    the parser can say it is too large)."""
    limit = services().store.settings.max_import_mb * 1024 * 1024 + 1
    sent = req.files.get(field)
    if sent is not None and not sent.filename and not required:
        sent = None  # a form's empty file input
    if sent is None:
        if required:
            raise BadRequest(f"send the file as a multipart form field named {field!r}")
        return None
    return sent.stream.read(limit), (sent.filename or field)[:255]


@matching_api.get("/purchase-orders")
def purchase_orders() -> Response:
    return jsonify(purchase_orders=list_orders(services().store))


@matching_api.post("/purchase-orders")
def import_purchase_orders() -> tuple[Response, int]:
    if request.mimetype == "application/json":
        data, name = request.get_data(), "request.json"
    else:
        found = uploaded(request, "file")
        assert found is not None
        data, name = found
    numbers = import_orders(services().store, data, name)
    return jsonify(imported=numbers), 201


@matching_api.get("/purchase-orders/<path:number>")
def purchase_order(number: str) -> Response:
    found = get_order(services().store, number)
    if found is None:
        raise NotFound("no such purchase order")
    return jsonify(found)


@matching_api.post("/payments/statements")
def import_bank_statement() -> tuple[Response, int]:
    found = uploaded(request, "file")
    assert found is not None
    mapping = uploaded(request, "mapping", required=False)
    fmt = request.form.get("format") or None
    result = import_statement(
        services().store,
        found[0],
        found[1],
        mapping=mapping[0] if mapping else None,
        fmt=fmt,
    )
    return jsonify(result.to_json()), 201


@matching_api.post("/payments/match")
def match_again() -> Response:
    return jsonify(matched=rematch(services().store))


@matching_api.get("/payments/transactions")
def bank_transactions() -> Response:
    unmatched = request.args.get("unmatched", "").lower() in ("1", "true", "yes")
    return jsonify(transactions=transactions(services().store, unmatched=unmatched))


@matching_api.post("/payments/transactions/<int:transaction_id>/match")
def match_transaction(transaction_id: int) -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('send {"session_id": ..., "invoice_id": ...} as JSON')
    session_id, invoice_id = body.get("session_id"), body.get("invoice_id")
    if not isinstance(session_id, str) or type(invoice_id) is not int:
        raise BadRequest("session_id (a string) and invoice_id (an integer) are required")
    owned(session_id)
    store = services().store
    store.invoice(session_id, invoice_id)  # 404 unless it is this session's
    return jsonify(match_by_hand(store, transaction_id, invoice_id))


@matching_api.post("/payments/transactions/<int:transaction_id>/unmatch")
def unmatch_transaction(transaction_id: int) -> Response:
    return jsonify(unmatch_by_hand(services().store, transaction_id))


@matching_api.get("/payments/overdue")
def overdue_invoices() -> Response:
    return jsonify(invoices=overdue(services().store))


@matching_api.get("/sessions/<session_id>/invoices/<int:invoice_id>/matching")
def invoice_matching(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    store = services().store
    store.invoice(session_id, invoice_id)  # 404 unless it is this session's
    return jsonify(match_states(store, [invoice_id]).get(invoice_id, MatchState()).to_json())


def recheck_after_edit(session_id: str, invoice_id: int) -> InvoiceView | None:
    """The PO check again on a corrected invoice (its number, amounts, lines or PO number may have
    changed), and the invoice as it now reads; None if the check failed (logged: the correction
    itself is stored either way)."""
    store = services().store
    try:
        check_stored(store, session_id, invoice_id)
    except Exception:
        log.exception("purchase-order check after the edit of invoice %s failed", invoice_id)
        return None
    return store.invoice(session_id, invoice_id)
