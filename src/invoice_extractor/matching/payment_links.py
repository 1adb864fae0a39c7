"""A person's word on a payment: match a bank transaction to an invoice by hand, or unmatch it.

The automatic matcher (``payments``) leaves ties and near misses unmatched; a clerk settles them
here. Matching by hand links the transaction to the invoice whatever the amounts say (the clerk
has seen the statement), marks the invoice ``paid`` on the booking date, and frees whatever either
side was linked to before (an invoice the transaction paid becomes unpaid again; a transaction
that paid the invoice returns to the automatic matcher). Unmatching by hand frees both sides and
keeps the transaction out of automatic matching, so the next import does not link it again.
Both are installation-wide, as the transactions are, and happen in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..store.matching_tables import BankTransaction, InvoiceMatch
from ..store.models import InvoiceRecord
from ..store.repository import Store
from .keys import from_cents
from .payments import PAID, UNPAID, transaction_json
from .purchase_orders import check_stored

MATCHED_BY_HAND, UNMATCHED_BY_HAND = "matched", "unmatched"

__all__ = [
    "MATCHED_BY_HAND",
    "UNMATCHED_BY_HAND",
    "match_by_hand",
    "unmatch_by_hand",
    "unpaid_invoices",
]


def match_by_hand(store: Store, transaction_id: int, invoice_id: int) -> dict[str, Any]:
    """Link the transaction to the invoice (stored invoice id); returns the transaction."""
    _ensure_match_row(store, invoice_id)
    with store.db.session() as db:
        transaction = _transaction(db, transaction_id)
        invoice = db.get(InvoiceMatch, invoice_id, with_for_update=True)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id}")
        if transaction.invoice_id not in (None, invoice_id):
            _unpaid(db, transaction.invoice_id, transaction.id)
        if invoice.transaction_id not in (None, transaction.id):
            earlier = db.get(BankTransaction, invoice.transaction_id, with_for_update=True)
            if earlier is not None:  # back to the automatic matcher
                earlier.invoice_id = earlier.match_reason = earlier.manual_match = None
        transaction.invoice_id = invoice_id
        transaction.match_reason = "matched by hand"
        transaction.manual_match = MATCHED_BY_HAND
        invoice.payment_status = PAID
        invoice.transaction_id = transaction.id
        invoice.paid_on = transaction.booking_date
        db.flush()
        return transaction_json(transaction, invoice.session_id)


def unmatch_by_hand(store: Store, transaction_id: int) -> dict[str, Any]:
    """Unlink the transaction from its invoice (if any) and keep it out of automatic matching."""
    with store.db.session() as db:
        transaction = _transaction(db, transaction_id)
        if transaction.invoice_id is not None:
            _unpaid(db, transaction.invoice_id, transaction.id)
        transaction.invoice_id = None
        transaction.match_reason = "unmatched by hand"
        transaction.manual_match = UNMATCHED_BY_HAND
        db.flush()
        return transaction_json(transaction)


def _transaction(db: Session, transaction_id: int) -> BankTransaction:
    found = db.get(BankTransaction, transaction_id, with_for_update=True)
    if found is None:
        raise NotFound(f"no bank transaction {transaction_id}")
    return found


def _unpaid(db: Session, invoice_id: int, transaction_id: int) -> None:
    """The invoice is unpaid again, if it was paid by this transaction."""
    row = db.get(InvoiceMatch, invoice_id, with_for_update=True)
    if row is not None and row.transaction_id == transaction_id:
        row.payment_status, row.transaction_id, row.paid_on = UNPAID, None, None


def _ensure_match_row(store: Store, invoice_id: int) -> None:
    """An invoice stored before matching existed gets its match row first (the PO check)."""
    with store.db.session() as db:
        if db.get(InvoiceMatch, invoice_id) is not None:
            return
        record = db.get(InvoiceRecord, invoice_id)
        if record is None:
            raise NotFound(f"no invoice {invoice_id}")
        session_id = record.session_id
    check_stored(store, session_id, invoice_id)


def unpaid_invoices(store: Store, session_ids: list[str], limit: int = 200) -> list[dict[str, Any]]:
    """Unpaid invoices of these sessions (the ones a clerk may match a transaction to), newest
    first: id, session, number, seller, amount due (cents) and currency."""
    if not session_ids:
        return []
    query = (
        select(InvoiceMatch)
        .where(InvoiceMatch.session_id.in_(session_ids), InvoiceMatch.payment_status == UNPAID)
        .order_by(InvoiceMatch.invoice_id.desc())
        .limit(limit)
    )
    with store.db.session() as db:
        return [
            {
                "invoice_id": row.invoice_id,
                "session_id": row.session_id,
                "invoice_number": row.invoice_number,
                "seller": row.seller,
                "amount_cents": row.amount_cents,
                "amount": None
                if row.amount_cents is None
                else format(from_cents(row.amount_cents), "f"),
                "currency": row.currency,
            }
            for row in db.scalars(query)
        ]
