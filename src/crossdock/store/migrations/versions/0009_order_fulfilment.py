"""order fulfilment: the per-line ledger, applied document lines, customer invoices, shipments
against reservations; order status wide enough for partially_shipped

Revision ID: 0009_order_fulfilment
Revises: 0010_order_intake
Create Date: 2026-12-04 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_order_fulfilment"
down_revision = "0010_order_intake"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_QTY = sa.String(length=40)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("status", existing_type=sa.String(length=16), type_=sa.String(length=24))
    op.create_index("ix_orders_number", "orders", ["order_number"])
    op.create_table(
        "order_fulfilment",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("ordered", _QTY, nullable=False),
        sa.Column("reserved", _QTY, nullable=False),
        sa.Column("shipped", _QTY, nullable=False),
        sa.Column("released", _QTY, nullable=False),
        sa.Column("cancelled", _QTY, nullable=False),
        sa.Column("invoiced", _QTY, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "line_number", name=op.f("pk_order_fulfilment")),
    )
    op.create_table(
        "order_applied",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("line_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("quantity", _QTY, nullable=False),
        sa.Column("applied_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("kind", "number", "line_key", name=op.f("pk_order_applied")),
    )
    op.create_table(
        "customer_invoices",
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("total", _QTY, nullable=False),
        sa.Column("open_amount", _QTY, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("invoice_number", name=op.f("pk_customer_invoices")),
    )
    op.create_index("ix_customer_invoices_customer", "customer_invoices", ["customer_id"])
    op.create_index("ix_customer_invoices_order", "customer_invoices", ["order_id"])
    op.create_table(
        "reservation_shipments",
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("reservation_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_reservation_shipments")),
    )
    op.create_index(
        "ix_reservation_shipments_reservation", "reservation_shipments", ["reservation_id"]
    )


def downgrade() -> None:
    for table in (
        "reservation_shipments",
        "customer_invoices",
        "order_applied",
        "order_fulfilment",
    ):
        op.drop_table(table)
    op.drop_index("ix_orders_number", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("status", existing_type=sa.String(length=24), type_=sa.String(length=16))
