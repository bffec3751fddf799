"""The availability tables: stock positions, inbound, reservations, feed keys, drift, publishing."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
)

from crossdock.store.schema.base import TS, SeqType, metadata

stock_positions = Table(
    "stock_positions",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("on_hand", BigInteger, nullable=False, default=0),
    Column("allocated", BigInteger, nullable=False, default=0),
    Column("reserved", BigInteger, nullable=False, default=0),
    Column("safety_stock", BigInteger, nullable=False, default=0),
    Column("on_hold", BigInteger, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=1),
    Column("published_atp", BigInteger, nullable=True),
    Column("last_event_at", TS, nullable=True),
    Column("updated_at", TS, nullable=False),
)
Index("ix_stock_positions_location", stock_positions.c.location)

stock_inbound = Table(
    "stock_inbound",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("reference", String(128), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("eta", Date, nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("channel", String(64), nullable=True),
    Column("quantity", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("order_ref", String(255), nullable=True),
    Column("expires_at", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_reservations_status_expires", reservations.c.status, reservations.c.expires_at)
Index(
    "ix_reservations_position",
    reservations.c.sku,
    reservations.c.location,
    reservations.c.status,
)

reservation_shipments = Table(
    "reservation_shipments",
    metadata,
    Column("idempotency_key", String(255), primary_key=True),
    Column("reservation_id", String(40), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("created_at", TS, nullable=False),
)
"""What shipped against a reservation, once per key (services/availability/reservations.py)."""
Index("ix_reservation_shipments_reservation", reservation_shipments.c.reservation_id)

inventory_event_keys = Table(
    "inventory_event_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("delta", BigInteger, nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("applied_at", TS, nullable=False),
)
Index(
    "ix_inventory_event_keys_position",
    inventory_event_keys.c.sku,
    inventory_event_keys.c.location,
    inventory_event_keys.c.occurred_at,
)

stock_drift = Table(
    "stock_drift",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("snapshot_as_of", TS, nullable=False),
    Column("snapshot_on_hand", BigInteger, nullable=False),
    Column("event_on_hand", BigInteger, nullable=False),
    Column("in_flight", BigInteger, nullable=False),
    Column("drift", BigInteger, nullable=False),
    Column("resolution", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
)
Index("ix_stock_drift_position", stock_drift.c.sku, stock_drift.c.location, stock_drift.c.id)

# Positions whose ATP change is decided (in the stock change's transaction) but not yet
# ingested as an inventory change; drained right after, or by the next drain after a crash.
atp_publish_queue = Table(
    "atp_publish_queue",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("queued_at", TS, nullable=False),
)
