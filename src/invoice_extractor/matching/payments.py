"""Payments: bank statements imported whole, and each transaction matched to the invoice it pays.

A transaction pays an invoice when the amounts are equal to the cent (``amount_due``, else
``total``), the currency agrees, it was booked from the invoice's issue date up to
``PAYMENT_WINDOW_DAYS`` after its due date, and at least one of these holds: the remittance text
names the invoice number (or carries an ISO 11649 ``RF`` creditor reference built from it), or
the counterparty's IBAN is the invoice's. The best-scoring invoice wins (reference 2, IBAN 1);
a tie leaves the transaction unmatched, to be matched by hand rather than guessed. Every unmatched
transaction is tried again on each import, so a payment booked before its invoice arrived is
matched later; one a person matched or unmatched (``payment_links``) is left as they decided.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Unpaid:
    """An unpaid invoice as the matcher needs it (plain values: thousands are compared)."""

    invoice_id: int
    invoice_number: str | None
    currency: str | None
    issue_date: date | None
    due_on: date | None
    taken: bool = False


@dataclass(slots=True)
class _Bucket:
    """The unpaid invoices of one amount, by number key and by IBAN."""

    by_number: dict[str, list[_Unpaid]] = field(default_factory=lambda: defaultdict(list))
    by_iban: dict[str, list[_Unpaid]] = field(default_factory=lambda: defaultdict(list))


def match_unmatched(db: Session, window_days: int) -> int:
    """Match the unmatched transactions to unpaid invoices; returns how many were matched."""
    pending = db.execute(
        select(
            BankTransaction.id,
            BankTransaction.amount_cents,
            BankTransaction.currency,
            BankTransaction.booking_date,
            BankTransaction.reference,
            BankTransaction.counterparty_iban,
        )
        .where(BankTransaction.invoice_id.is_(None), BankTransaction.manual_match.is_(None))
        .order_by(BankTransaction.booking_date, BankTransaction.id)
    ).all()
    buckets = _unpaid_by_amount(db, {t.amount_cents for t in pending})
    window = timedelta(days=window_days)
    paid: list[dict[str, Any]] = []
    paying: list[dict[str, Any]] = []
    for t in pending:
        bucket = buckets.get(t.amount_cents)
        if bucket is None:
            continue
        found = _best(t, bucket, window)
        if found is None:
            continue
        invoice, reason = found
        invoice.taken = True  # no later transaction of this run pays it again
        paying.append({"id": t.id, "invoice_id": invoice.invoice_id, "match_reason": reason[:255]})
        paid.append(
            {
                "invoice_id": invoice.invoice_id,
                "payment_status": PAID,
                "transaction_id": t.id,
                "paid_on": t.booking_date,
            }
        )
    if paying:  # bulk UPDATEs by primary key: one executemany each
        db.execute(update(BankTransaction), paying)
        db.execute(update(InvoiceMatch), paid)
    return len(paying)


def _unpaid_by_amount(db: Session, amounts: Iterable[int]) -> dict[int, _Bucket]:
    """Unpaid invoices by amount in cents: one indexed query per 500 amounts."""
    buckets: dict[int, _Bucket] = defaultdict(_Bucket)
    wanted = sorted(amounts)
    columns = (
        InvoiceMatch.amount_cents,
        InvoiceMatch.number_key,
        InvoiceMatch.iban,
        InvoiceMatch.invoice_id,
        InvoiceMatch.invoice_number,
        InvoiceMatch.currency,
        InvoiceMatch.issue_date,
        InvoiceMatch.due_on,
    )
    for start in range(0, len(wanted), _CHUNK):
        query = select(*columns).where(
            InvoiceMatch.amount_cents.in_(wanted[start : start + _CHUNK]),
            InvoiceMatch.payment_status == UNPAID,
        )
        for row in db.execute(query):
            if row.amount_cents is None:
                continue
            invoice = _Unpaid(
                row.invoice_id, row.invoice_number, row.currency, row.issue_date, row.due_on
            )
            bucket = buckets[row.amount_cents]
            if row.number_key:
                bucket.by_number[row.number_key].append(invoice)
            if row.iban:
                bucket.by_iban[row.iban].append(invoice)
    return buckets


def _best(transaction: Any, bucket: _Bucket, window: timedelta) -> tuple[_Unpaid, str] | None:
    """The one invoice of this amount the transaction pays best (reference 2, IBAN 1)."""
    scores: dict[int, tuple[int, _Unpaid, list[str]]] = {}
    for key in reference_keys(transaction.reference):
        for invoice in bucket.by_number.get(key, ()):
            scores[invoice.invoice_id] = (2, invoice, [f"reference {invoice.invoice_number}"])
    for invoice in bucket.by_iban.get(transaction.counterparty_iban or "", ()):
        score, _, reasons = scores.get(invoice.invoice_id, (0, invoice, []))
        scores[invoice.invoice_id] = (score + 1, invoice, [*reasons, "IBAN"])
    fitting = [
        (score, invoice, reasons)
        for score, invoice, reasons in scores.values()
        if not invoice.taken
        and _in_window(transaction.booking_date, invoice, window)
        and (not invoice.currency or invoice.currency == transaction.currency)
    ]
    if not fitting:
        return None
    top = max(score for score, _, _ in fitting)
    best = [(invoice, reasons) for score, invoice, reasons in fitting if score == top]
    if len(best) != 1:
        return None  # a tie: a person decides
    invoice, reasons = best[0]
    return invoice, " + ".join([*reasons, "amount"])


def _in_window(booked: date, invoice: _Unpaid, window: timedelta) -> bool:
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
        "manual_match": row.manual_match,
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
