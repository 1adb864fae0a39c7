"""The matching pages: purchase orders (import, list) and payments (statement import, unmatched
transactions, overdue invoices). They show the installation's data, as the API does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..errors import BadRequest, ImportRefused
from ..matching.payment_links import match_by_hand, unmatch_by_hand, unpaid_invoices
from ..matching.payments import import_statement, overdue, transactions
from ..matching.purchase_orders import import_orders
from ..matching.views import MatchState, list_orders, match_states
from .auth import check_csrf
from .context import owned, services
from .matching_api import uploaded
from .supplier_api import owned_session_ids

matching_pages = Blueprint("matching_pages", __name__, template_folder="templates")


@matching_pages.app_context_processor
def _matching_state() -> dict[str, Any]:
    def matching_state(invoice_id: int) -> MatchState:
        return match_states(services().store, [invoice_id]).get(invoice_id, MatchState())

    return {"matching_state": matching_state}


@matching_pages.before_request
def _csrf() -> None:
    check_csrf(strict=True)


@matching_pages.get("/purchase-orders")
def purchase_orders_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "purchase_orders.html",
        orders=list_orders(services().store),
        error=error,
        imported=request.args.get("imported"),
    ), status


@matching_pages.post("/purchase-orders")
def import_purchase_orders_page() -> BaseResponse | tuple[str, int]:
    try:
        found = uploaded(request, "file")
        assert found is not None
        numbers = import_orders(services().store, *found)
    except ImportRefused as exc:
        return purchase_orders_page(str(exc), 422)
    target = url_for("matching_pages.purchase_orders_page", imported=len(numbers))
    return redirect(target, code=303)


@matching_pages.get("/payments")
def payments_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    store = services().store
    every = transactions(store, limit=200)
    return render_template(
        "payments.html",
        candidates=unpaid_invoices(store, owned_session_ids()),
        unmatched=[t for t in every if t["invoice_id"] is None],
        matched=[t for t in every if t["invoice_id"] is not None],
        overdue=overdue(store),
        error=error,
        imported=request.args.get("imported"),
        matched_now=request.args.get("matched"),
    ), status


@matching_pages.post("/payments")
def import_statement_page() -> BaseResponse | tuple[str, int]:
    try:
        found = uploaded(request, "file")
        assert found is not None
        mapping = uploaded(request, "mapping", required=False)
        result = import_statement(
            services().store,
            found[0],
            found[1],
            mapping=mapping[0] if mapping and mapping[0] else None,
            fmt=request.form.get("format") or None,
        )
    except ImportRefused as exc:
        return payments_page(str(exc), 422)
    target = url_for(
        "matching_pages.payments_page", imported=result.transactions, matched=result.matched
    )
    return redirect(target, code=303)


@matching_pages.post("/payments/transactions/<int:transaction_id>/match")
def match_transaction_page(transaction_id: int) -> BaseResponse:
    """The clerk's choice of an invoice (``SESSION:INVOICE`` of one of their sessions)."""
    session_id, _, invoice = (request.form.get("invoice") or "").rpartition(":")
    if not session_id or not invoice.isdigit():
        raise BadRequest("choose the invoice the transaction pays")
    owned(session_id)
    store = services().store
    store.invoice(session_id, int(invoice))  # 404 unless it is this session's
    match_by_hand(store, transaction_id, int(invoice))
    return redirect(url_for("matching_pages.payments_page"), code=303)


@matching_pages.post("/payments/transactions/<int:transaction_id>/unmatch")
def unmatch_transaction_page(transaction_id: int) -> BaseResponse:
    unmatch_by_hand(services().store, transaction_id)
    return redirect(url_for("matching_pages.payments_page"), code=303)
