"""The tables of purchase-order and payment matching (migration 0004_purchase_orders_payments).

They belong to the installation, not to a review session: a purchase order or a bank transaction
is matched against the invoices of every session. Amounts that are searched for are integer
cents (exact and indexable on SQLite and PostgreSQL); the others are exact decimal text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .models import Base, UTCDateTime, utcnow


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its text: exact on every database, never a float."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (Index("ix_purchase_orders_supplier_amount", "supplier_key", "net_cents"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    number_key: Mapped[str] = mapped_column(String(64), unique=True)
    supplier: Mapped[str] = mapped_column(String(255))
    supplier_key: Mapped[str] = mapped_column(String(255))
    supplier_vat_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    order_date: Mapped[date | None] = mapped_column(Date, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.position"
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    unit_price: Mapped[Decimal] = mapped_column(DecimalText())
    tax_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class InvoiceMatch(Base):
    """What the matcher knows of one stored invoice: its search keys, its purchase order and
    match status, and whether (and by which transaction) it was paid."""

    __tablename__ = "invoice_matches"
    __table_args__ = (
        Index("ix_invoice_matches_amount", "amount_cents", "payment_status"),
        Index("ix_invoice_matches_due", "payment_status", "due_on"),
    )

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str | None] = mapped_column(String(255), default=None)
    number_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    po_number_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    seller: Mapped[str | None] = mapped_column(String(255), default=None)
    seller_key: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    iban: Mapped[str | None] = mapped_column(String(34), default=None, index=True)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    issue_date: Mapped[date | None] = mapped_column(Date, default=None)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="SET NULL"), default=None, index=True
    )
    po_match: Mapped[str] = mapped_column(String(16))
    # PO line position (as text) -> quantity this invoice bills on it; net amount under "net".
    billed: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    payment_status: Mapped[str] = mapped_column(String(8), default="unpaid")
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL"), default=None, index=True
    )
    paid_on: Mapped[date | None] = mapped_column(Date, default=None)


class BankStatement(Base):
    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    account_iban: Mapped[str | None] = mapped_column(String(34), default=None)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BankTransaction(Base):
    __tablename__ = "bank_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("bank_statements.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    booking_date: Mapped[date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(4))  # CRDT (money in) | DBIT (money out)
    counterparty: Mapped[str | None] = mapped_column(String(255), default=None)
    counterparty_iban: Mapped[str | None] = mapped_column(String(34), default=None)
    reference: Mapped[str | None] = mapped_column(Text, default=None)
    creditor_reference: Mapped[str | None] = mapped_column(String(35), default=None)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="SET NULL"), default=None, index=True
    )
    match_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    # A person's decision (migration 0007): "matched" to ``invoice_id`` or "unmatched"; either
    # way the automatic matcher leaves the transaction alone. None: the matcher decides.
    manual_match: Mapped[str | None] = mapped_column(String(10), default=None)
