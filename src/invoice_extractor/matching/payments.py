"""Payments: bank statements imported whole, and each transaction matched to the invoice it pays.

A transaction pays an invoice when the amounts are equal to the cent (``amount_due``, else
``total``), the currency agrees, it was booked from the invoice's issue date up to
``PAYMENT_WINDOW_DAYS`` after its due date, and at least one of these holds: the remittance text
names the invoice number (or carries an ISO 11649 ``RF`` creditor reference built from it), or
the counterparty's IBAN is the invoice's. The best-scoring invoice wins (reference 2, IBAN 1);
a tie leaves the transaction unmatched, to be matched by hand rather than guessed. Every unmatched
transaction is tried again on each import, so a payment booked before its invoice arrived is
matched later.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..errors import ImportRefused
from ..store.matching_tables import BankStatement, BankTransaction, InvoiceMatch
from ..store.repository import Store
from .keys import cents, from_cents, reference_keys
from .purchase_orders import index_missing
from .statements import Statement, parse_statement

PAID, UNPAID = "paid", "unpaid"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ImportResult:
    statement_id: int
    format: str
    transactions: int
    matched: int

    def to_json(self) -> dict[str, Any]:
        return {
            "statement_id": self.statement_id,
            "format": self.format,
            "transactions": self.transactions,
            "matched": self.matched,
        }


def import_statement(
    store: Store,
    data: bytes,
    name: str,
    *,
    mapping: bytes | None = None,
    fmt: str | None = None,
) -> ImportResult:
    """Read the statement whole, store it and its transactions, and match every unmatched
    transaction, in one database transaction: a refused file stores nothing."""
    settings = store.settings
    statement = parse_statement(
        data,
        name,
        max_mb=settings.max_import_mb,
        max_rows=settings.max_import_rows,
        mapping=mapping,
        fmt=fmt,
    )
    index_missing(store)
    digest = hashlib.sha256(data).hexdigest()
    with store.db.session() as db:
        known = db.scalar(select(BankStatement).where(BankStatement.sha256 == digest))
        if known is not None:
            raise ImportRefused(
                f"{name}: this statement was imported already (as {known.name}, "
                f"{known.imported_at:%Y-%m-%d %H:%M} UTC); nothing imported",
                file=name,
            )
        row = _store_statement(db, statement, name, digest)
        matched = match_unmatched(db, store.settings.payment_window_days)
        return ImportResult(row.id, statement.format, len(statement.transactions), matched)


def _store_statement(db: Session, statement: Statement, name: str, digest: str) -> BankStatement:
    row = BankStatement(
        name=name[:255], format=statement.format, sha256=digest, account_iban=statement.account_iban
    )
    db.add(row)
    db.flush()
    rows = [
        {
            "statement_id": row.id,
            "line": t.line,
            "booking_date": t.booking_date,
            "amount_cents": cents(t.amount),
            "currency": t.currency,
            "direction": t.direction,
            "counterparty": t.counterparty,
            "counterparty_iban": t.counterparty_iban,
            "reference": t.reference,
            "creditor_reference": t.creditor_reference,
        }
        for t in statement.transactions
    ]
    for start in range(0, len(rows), _CHUNK * 4):  # one executemany per 2,000 rows
        db.execute(insert(BankTransaction), rows[start : start + _CHUNK * 4])
    db.flush()
    return row


def rematch(store: Store) -> int:
    """Try every unmatched transaction again (after new invoices arrived)."""
    index_missing(store)
    with store.db.session() as db:
        return match_unmatched(db, store.settings.payment_window_days)


def match_unmatched(db: Session, window_days: int) -> int:
    """Match the unmatched transactions to unpaid invoices; returns how many were matched."""
    transactions = list(
        db.scalars(
            select(BankTransaction)
            .where(BankTransaction.invoice_id.is_(None))
            .order_by(BankTransaction.booking_date, BankTransaction.id)
        )
    )
    candidates = _unpaid_by_amount(db, {t.amount_cents for t in transactions})
    window = timedelta(days=window_days)
    paid: list[dict[str, Any]] = []
    paying: list[dict[str, Any]] = []
    for transaction in transactions:
        found = _best(transaction, candidates.get(transaction.amount_cents, []), window)
        if found is None:
            continue
        invoice, reason = found
        invoice.payment_status = PAID  # taken: no later transaction of this run pays it again
        paying.append(
            {"id": transaction.id, "invoice_id": invoice.invoice_id, "match_reason": reason[:255]}
        )
        paid.append(
            {
                "invoice_id": invoice.invoice_id,
                "payment_status": PAID,
                "transaction_id": transaction.id,
                "paid_on": transaction.booking_date,
            }
        )
    # Bulk UPDATEs by primary key (one executemany each), not one flush per object.
    db.expunge_all()
    if paying:
        db.execute(update(BankTransaction), paying)
        db.execute(update(InvoiceMatch), paid)
    return len(paying)


def _unpaid_by_amount(db: Session, amounts: Iterable[int]) -> dict[int, list[InvoiceMatch]]:
    """Unpaid invoices by amount in cents: one indexed query per 500 amounts."""
    found: dict[int, list[InvoiceMatch]] = defaultdict(list)
    wanted = sorted(amounts)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(InvoiceMatch).where(
            InvoiceMatch.amount_cents.in_(chunk), InvoiceMatch.payment_status == UNPAID
        )
        for row in db.scalars(query):
            if row.amount_cents is not None:
                found[row.amount_cents].append(row)
    return found


def _best(
    transaction: BankTransaction, invoices: Sequence[InvoiceMatch], window: timedelta
) -> tuple[InvoiceMatch, str] | None:
    keys = reference_keys(transaction.reference)
    scored: list[tuple[int, InvoiceMatch, str]] = []
    for invoice in invoices:
        if invoice.payment_status != UNPAID or not _in_window(transaction, invoice, window):
            continue
        if invoice.currency and invoice.currency != transaction.currency:
            continue
        reasons = []
        score = 0
        if invoice.number_key and invoice.number_key in keys:
            score += 2
            reasons.append(f"reference {invoice.invoice_number}")
        if invoice.iban and invoice.iban == transaction.counterparty_iban:
            score += 1
            reasons.append("IBAN")
        if score:
            scored.append((score, invoice, " + ".join([*reasons, "amount"])))
    if not scored:
        return None
    top = max(score for score, _, _ in scored)
    best = [(invoice, reason) for score, invoice, reason in scored if score == top]
    return best[0] if len(best) == 1 else None


def _in_window(transaction: BankTransaction, invoice: InvoiceMatch, window: timedelta) -> bool:
    booked = transaction.booking_date
    if invoice.issue_date is not None and booked < invoice.issue_date:
        return False
    return invoice.due_on is None or booked <= invoice.due_on + window


# -- reading ---------------------------------------------------------------------------------


def transaction_json(row: BankTransaction, session_id: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "statement_id": row.statement_id,
        "line": row.line,
        "booking_date": row.booking_date.isoformat(),
        "amount": format(from_cents(row.amount_cents), "f"),
        "currency": row.currency,
        "direction": row.direction,
        "counterparty": row.counterparty,
        "counterparty_iban": row.counterparty_iban,
        "reference": row.reference,
        "creditor_reference": row.creditor_reference,
        "invoice_id": row.invoice_id,
        "session_id": session_id,
        "match_reason": row.match_reason,
    }


def transactions(
    store: Store, *, unmatched: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    with store.db.session() as db:
        query = select(BankTransaction, InvoiceMatch.session_id).outerjoin(
            InvoiceMatch, InvoiceMatch.invoice_id == BankTransaction.invoice_id
        )
        if unmatched:
            query = query.where(BankTransaction.invoice_id.is_(None))
        query = query.order_by(BankTransaction.booking_date.desc(), BankTransaction.id.desc())
        return [transaction_json(t, s) for t, s in db.execute(query.limit(limit))]


def overdue(store: Store, today: date | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Unpaid invoices whose due date (stated, else issue date + PAYMENT_TERMS_DAYS) is past."""
    today = today or date.today()
    with store.db.session() as db:
        query = (
            select(InvoiceMatch)
            .where(InvoiceMatch.payment_status == UNPAID, InvoiceMatch.due_on < today)
            .order_by(InvoiceMatch.due_on, InvoiceMatch.invoice_id)
            .limit(limit)
        )
        return [
            {
                "invoice_id": row.invoice_id,
                "session_id": row.session_id,
                "invoice_number": row.invoice_number,
                "seller": row.seller,
                "amount": format(from_cents(row.amount_cents), "f")
                if row.amount_cents is not None
                else None,
                "currency": row.currency,
                "due_date": row.due_on.isoformat() if row.due_on else None,
                "days_overdue": (today - row.due_on).days if row.due_on else None,
            }
            for row in db.scalars(query)
        ]
