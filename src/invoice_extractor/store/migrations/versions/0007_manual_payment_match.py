"""manual match and unmatch of a bank transaction: bank_transactions.manual_match

Revision ID: 0007_manual_payment_match
Revises: 0006_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_manual_payment_match"
down_revision = "0006_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bank_transactions") as batch:
        batch.add_column(sa.Column("manual_match", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bank_transactions") as batch:
        batch.drop_column("manual_match")
