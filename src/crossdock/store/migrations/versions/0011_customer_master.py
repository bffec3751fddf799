"""customer master: blocking keys, the stewardship review queue, trained match parameters

Revision ID: 0011_customer_master
Revises: 0007_orders
Create Date: 2026-12-04 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_customer_master"
down_revision = "0007_orders"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_match_keys",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", "record_id", name=op.f("pk_customer_match_keys")),
    )
    op.create_index("ix_customer_match_keys_record", "customer_match_keys", ["record_id"])
    op.create_table(
        "customer_review",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("pair_key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("other_id", sa.String(length=64), nullable=True),
        sa.Column("system", sa.String(length=64), nullable=True),
        sa.Column("native_id", sa.String(length=255), nullable=True),
        sa.Column("weight", sa.String(length=32), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("held", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_review")),
        sa.UniqueConstraint("pair_key", name="uq_customer_review_pair_key"),
    )
    op.create_index("ix_customer_review_status", "customer_review", ["status", "id"])
    op.create_table(
        "customer_match_model",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("trained_at", _TS, nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_match_model")),
    )


def downgrade() -> None:
    for table in ("customer_match_model", "customer_review", "customer_match_keys"):
        op.drop_table(table)
