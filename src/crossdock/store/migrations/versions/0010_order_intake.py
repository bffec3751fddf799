"""order intake: an order's bill-to and its hold re-check, a line's backorder and promise date

Revision ID: 0010_order_intake
Revises: 0011_customer_master
Create Date: 2026-12-04 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_order_intake"
down_revision = "0008_order_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("bill_to", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("recheck", sa.Text(), nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("backordered", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("promise_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("promise_date")
        batch.drop_column("backordered")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("recheck")
        batch.drop_column("bill_to")
