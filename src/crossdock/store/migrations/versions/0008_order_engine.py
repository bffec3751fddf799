"""order engine: what was published of each order, its ERP id and number, a visible problem;
delivery receipts for routes that ask for them

Revision ID: 0008_order_engine
Revises: 0011_customer_master
Create Date: 2026-12-04 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_order_engine"
down_revision = "0011_customer_master"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_UNPUBLISHED = sa.text("published_at IS NULL OR published_at <> updated_at")


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("canonical_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("published_at", _TS, nullable=True))
        batch.add_column(sa.Column("erp_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("erp_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("problem", sa.Text(), nullable=True))
    op.create_index(
        "ix_orders_unpublished",
        "orders",
        ["updated_at"],
        sqlite_where=_UNPUBLISHED,
        postgresql_where=_UNPUBLISHED,
    )
    op.create_index("ix_orders_canonical", "orders", ["canonical_id"])
    op.create_table(
        "delivery_receipts",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("native_id", sa.String(length=255), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_delivery_receipts")),
    )


def downgrade() -> None:
    op.drop_table("delivery_receipts")
    op.drop_index("ix_orders_canonical", table_name="orders")
    op.drop_index("ix_orders_unpublished", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        for column in ("problem", "erp_number", "erp_id", "published_at", "canonical_id"):
            batch.drop_column(column)
