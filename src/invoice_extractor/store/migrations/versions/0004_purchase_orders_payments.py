"""purchase orders, bank statements and per-invoice match state

Revision ID: 0004_purchase_orders_payments
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_purchase_orders_payments"
down_revision = "0003_suppliers"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("number_key", sa.String(64), nullable=False, unique=True),
        sa.Column("supplier", sa.String(255), nullable=False),
        sa.Column("supplier_key", sa.String(255), nullable=False),
        sa.Column("supplier_vat_id", sa.String(32), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
    )
    op.create_index(
        "ix_purchase_orders_supplier_amount", "purchase_orders", ["supplier_key", "net_cents"]
    )
    op.create_index("ix_purchase_orders_supplier_vat_id", "purchase_orders", ["supplier_vat_id"])
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("unit_price", sa.String(40), nullable=False),
        sa.Column("tax_rate", sa.String(40), nullable=True),
    )
    op.create_index("ix_purchase_order_lines_order_id", "purchase_order_lines", ["order_id"])
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("account_iban", sa.String(34), nullable=True),
        sa.Column("imported_at", _TS, nullable=False),
    )
    op.create_table(
        "bank_transactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "statement_id",
            sa.Integer(),
            sa.ForeignKey("bank_statements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("counterparty", sa.String(255), nullable=True),
        sa.Column("counterparty_iban", sa.String(34), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("creditor_reference", sa.String(35), nullable=True),
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("match_reason", sa.String(255), nullable=True),
    )
    for column in ("statement_id", "booking_date", "invoice_id"):
        op.create_index(f"ix_bank_transactions_{column}", "bank_transactions", [column])
    op.create_table(
        "invoice_matches",
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("invoice_number", sa.String(255), nullable=True),
        sa.Column("number_key", sa.String(64), nullable=True),
        sa.Column("po_number_key", sa.String(64), nullable=True),
        sa.Column("seller", sa.String(255), nullable=True),
        sa.Column("seller_key", sa.String(255), nullable=True),
        sa.Column("iban", sa.String(34), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("purchase_orders.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("po_match", sa.String(16), nullable=False),
        sa.Column("billed", sa.JSON(), nullable=False),
        sa.Column("payment_status", sa.String(8), nullable=False),
        sa.Column(
            "transaction_id",
            sa.Integer(),
            sa.ForeignKey("bank_transactions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
    )
    for column in ("number_key", "po_number_key", "seller_key", "iban", "order_id"):
        op.create_index(f"ix_invoice_matches_{column}", "invoice_matches", [column])
    op.create_index("ix_invoice_matches_transaction_id", "invoice_matches", ["transaction_id"])
    op.create_index(
        "ix_invoice_matches_amount", "invoice_matches", ["amount_cents", "payment_status"]
    )
    op.create_index("ix_invoice_matches_due", "invoice_matches", ["payment_status", "due_on"])


def downgrade() -> None:
    op.drop_table("invoice_matches")
    op.drop_table("bank_transactions")
    op.drop_table("bank_statements")
    op.drop_table("purchase_order_lines")
    op.drop_table("purchase_orders")
