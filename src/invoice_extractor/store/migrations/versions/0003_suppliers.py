"""suppliers, duplicate confirmations, and the invoice keys of duplicate and supplier matching

Revision ID: 0003_suppliers
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_suppliers"
down_revision = "0002_seller_memory"
branch_labels = None
depends_on = None

_KEYS = (
    ("match_number", sa.String(length=64)),
    ("match_date", sa.Date()),
    ("match_total", sa.String(length=40)),
    ("match_vat", sa.String(length=40)),
    ("match_name", sa.String(length=128)),
    ("match_iban", sa.String(length=40)),
    ("supplier_id", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("vat_id", sa.String(length=40), nullable=True),
        sa.Column("iban", sa.String(length=40), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("account", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vat_id"),
        sa.UniqueConstraint("account"),
    )
    op.create_index(op.f("ix_suppliers_name_key"), "suppliers", ["name_key"], unique=False)
    op.create_table(
        "duplicate_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "other_id"),
    )
    op.create_index(
        op.f("ix_duplicate_confirmations_invoice_id"),
        "duplicate_confirmations",
        ["invoice_id"],
        unique=False,
    )
    for name, type_ in _KEYS:
        op.add_column("invoices", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_invoices_match_number"), "invoices", ["match_number"], unique=False)
    op.create_index(op.f("ix_invoices_supplier_id"), "invoices", ["supplier_id"], unique=False)
    op.create_index(
        "ix_invoices_match_date_total", "invoices", ["match_date", "match_total"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_match_date_total", table_name="invoices")
    op.drop_index(op.f("ix_invoices_supplier_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_match_number"), table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        for name, _ in reversed(_KEYS):
            batch.drop_column(name)
    op.drop_index(
        op.f("ix_duplicate_confirmations_invoice_id"), table_name="duplicate_confirmations"
    )
    op.drop_table("duplicate_confirmations")
    op.drop_index(op.f("ix_suppliers_name_key"), table_name="suppliers")
    op.drop_table("suppliers")
