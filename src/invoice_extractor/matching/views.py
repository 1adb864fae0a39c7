"""Reading what the matcher recorded: purchase orders with their invoices, and the match state
of invoices (for the API, the pages and the exports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..store.matching_tables import BankTransaction, InvoiceMatch, PurchaseOrder
from ..store.repository import Store
from .keys import from_cents, number_key
from .payments import transaction_json


@dataclass(frozen=True, slots=True)
class MatchState:
    """An invoice's purchase-order match and payment, as exports and the API show them."""

    po_match: str | None = None
    po_number: str | None = None
    payment_status: str | None = None
    paid_on: str | None = None
    transaction: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "po_match": self.po_match,
            "po_number": self.po_number,
            "payment_status": self.payment_status,
            "paid_on": self.paid_on,
            "transaction": self.transaction,
        }


def match_states(store: Store, invoice_ids: Sequence[int]) -> dict[int, MatchState]:
    """The match state of each invoice that has one (one query per 500 invoices)."""
    states: dict[int, MatchState] = {}
    for start in range(0, len(invoice_ids), 500):
        chunk = list(invoice_ids[start : start + 500])
        with store.db.session() as db:
            query = (
                select(InvoiceMatch, PurchaseOrder.number, BankTransaction)
                .outerjoin(PurchaseOrder, PurchaseOrder.id == InvoiceMatch.order_id)
                .outerjoin(BankTransaction, BankTransaction.id == InvoiceMatch.transaction_id)
                .where(InvoiceMatch.invoice_id.in_(chunk))
            )
            for row, number, transaction in db.execute(query):
                states[row.invoice_id] = MatchState(
                    po_match=row.po_match,
                    po_number=number,
                    payment_status=row.payment_status,
                    paid_on=row.paid_on.isoformat() if row.paid_on else None,
                    transaction=transaction_json(transaction, row.session_id)
                    if transaction is not None
                    else None,
                )
    return states


def list_orders(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    with store.db.session() as db:
        orders = db.scalars(
            select(PurchaseOrder)
            .options(selectinload(PurchaseOrder.lines))
            .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
            .limit(limit)
        ).all()
        ids = [o.id for o in orders]
        matched: dict[int, list[tuple[int, str, str | None, str]]] = defaultdict(list)
        query = select(
            InvoiceMatch.order_id,
            InvoiceMatch.invoice_id,
            InvoiceMatch.session_id,
            InvoiceMatch.invoice_number,
            InvoiceMatch.po_match,
        ).where(InvoiceMatch.order_id.in_(ids))
        for order_id, invoice_id, session_id, number, status in db.execute(query):
            if order_id is not None:
                matched[order_id].append((invoice_id, session_id, number, status))
        return [order_json(o, matched[o.id]) for o in orders]


def get_order(store: Store, number: str) -> dict[str, Any] | None:
    key = number_key(number)
    with store.db.session() as db:
        order = db.scalars(
            select(PurchaseOrder)
            .options(selectinload(PurchaseOrder.lines))
            .where(PurchaseOrder.number_key == key)
        ).first()
        if order is None:
            return None
        query = select(
            InvoiceMatch.invoice_id,
            InvoiceMatch.session_id,
            InvoiceMatch.invoice_number,
            InvoiceMatch.po_match,
        ).where(InvoiceMatch.order_id == order.id)
        return order_json(order, [(i, s, n, m) for i, s, n, m in db.execute(query)])


def order_json(
    order: PurchaseOrder, invoices: Iterable[tuple[int, str, str | None, str]]
) -> dict[str, Any]:
    return {
        "number": order.number,
        "supplier": order.supplier,
        "supplier_vat_id": order.supplier_vat_id,
        "date": order.order_date.isoformat() if order.order_date else None,
        "currency": order.currency,
        "net": _plain(from_cents(order.net_cents)),
        "source": order.source,
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": _plain(line.quantity),
                "unit_price": _plain(line.unit_price),
                "tax_rate": _plain(line.tax_rate) if line.tax_rate is not None else None,
            }
            for line in order.lines
        ],
        "invoices": [
            {"invoice_id": i, "session_id": s, "invoice_number": n, "po_match": m}
            for i, s, n, m in invoices
        ],
    }


def _plain(value: Decimal) -> str:
    return format(value, "f")
