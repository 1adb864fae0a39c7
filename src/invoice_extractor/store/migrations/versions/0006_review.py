"""review workflow: session names, rejected uploads, evidence of corrected values

Revision ID: 0006_review
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_review"
down_revision = "0004_purchase_orders_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("name", sa.String(length=120), nullable=True))
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
    op.create_table(
        "rejected_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_rejected_uploads_session_id"), "rejected_uploads", ["session_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_uploads_session_id"), table_name="rejected_uploads")
    op.drop_table("rejected_uploads")
    with op.batch_alter_table("fields") as batch:
        batch.drop_column("evidence")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("name")
