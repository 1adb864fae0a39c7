"""seller memory: known sellers' layouts and their lookup keys

Revision ID: 0002_seller_memory
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_seller_memory"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sellers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sellers_updated_at"), "sellers", ["updated_at"], unique=False)
    op.create_table(
        "seller_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_seller_keys_seller_id"), "seller_keys", ["seller_id"], unique=False)
    op.create_index(op.f("ix_seller_keys_value"), "seller_keys", ["value"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_seller_keys_value"), table_name="seller_keys")
    op.drop_index(op.f("ix_seller_keys_seller_id"), table_name="seller_keys")
    op.drop_table("seller_keys")
    op.drop_index(op.f("ix_sellers_updated_at"), table_name="sellers")
    op.drop_table("sellers")
