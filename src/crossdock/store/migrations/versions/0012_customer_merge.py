"""customer merge log (what unmerge restores); proposals.requested_by for four eyes

Revision ID: 0012_customer_merge
Revises: 0009_order_fulfilment
Create Date: 2026-12-04 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_customer_merge"
down_revision = "0009_order_fulfilment"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_merges",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("survivor_id", sa.String(length=64), nullable=False),
        sa.Column("merged_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("merged_at", _TS, nullable=False),
        sa.Column("merged_by", sa.String(length=128), nullable=False),
        sa.Column("unmerged_at", _TS, nullable=True),
        sa.Column("unmerged_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    op.create_index("ix_customer_merges_merged", "customer_merges", ["merged_id", "status"])
    op.create_index("ix_customer_merges_survivor", "customer_merges", ["survivor_id", "status"])
    # four eyes: who asked for a sensitive change (the one person who may not approve it)
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("requested_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("requested_by")
    op.drop_table("customer_merges")
