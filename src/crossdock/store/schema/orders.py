"""The order tables: orders, their lines, their reservations, their timeline, and credit locks.

Money and quantities are kept as decimal text (exact on both backends).
``order_credit`` has one row per customer that has ordered: a decision locks
it, so two orders against one customer's credit limit are decided one after
the other on PostgreSQL too (SQLite's write transaction already serializes).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, UniqueConstraint, or_

from crossdock.store.schema.base import TS, SeqType, metadata

orders = Table(
    "orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("order_number", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("customer_account", String(64), nullable=False),
    Column("ship_to", String(64), nullable=False),
    Column("customer_po", String(64), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("status", String(16), nullable=False),
    Column("holds", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("total", String(40), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("canonical_id", String(64), nullable=True),
    Column("published_at", TS, nullable=True),
    Column("erp_id", String(64), nullable=True),
    Column("erp_number", String(64), nullable=True),
    Column("problem", Text, nullable=True),
    Column("bill_to", String(64), nullable=True),
    Column("recheck", Text, nullable=True),
    UniqueConstraint("channel", "order_number", name="uq_orders_channel_number"),
)
Index("ix_orders_customer_status", orders.c.customer_id, orders.c.status)
Index("ix_orders_status", orders.c.status, orders.c.created_at)
UNPUBLISHED = or_(orders.c.published_at.is_(None), orders.c.published_at != orders.c.updated_at)
"""An order whose current state the engine has not published (the contract every writer keeps:
any write to an orders row sets ``updated_at``)."""
Index(
    "ix_orders_unpublished",
    orders.c.updated_at,
    sqlite_where=UNPUBLISHED,
    postgresql_where=UNPUBLISHED,
)
Index("ix_orders_canonical", orders.c.canonical_id)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("line_number", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("base_quantity", String(40), nullable=False),
    Column("unit_price", String(40), nullable=True),
    Column("channel_price", String(40), nullable=True),
    Column("price_note", Text, nullable=True),
    Column("backordered", String(40), nullable=True),
    Column("promise_date", Date, nullable=True),
)

order_reservations = Table(
    "order_reservations",
    metadata,
    Column("reservation_id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("released", Integer, nullable=False),
)
Index("ix_order_reservations_order", order_reservations.c.order_id)

order_steps = Table(
    "order_steps",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("order_id", String(40), nullable=False),
    Column("at", TS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)
Index("ix_order_steps_order", order_steps.c.order_id, order_steps.c.id)

order_credit = Table(
    "order_credit",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("updated_at", TS, nullable=False),
)
