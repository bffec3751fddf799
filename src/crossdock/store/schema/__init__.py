"""The store's tables (SQLAlchemy Core): one metadata for SQLite and PostgreSQL.

JSON payloads are kept as text written by the store itself (compact, sorted
keys) so that both backends hold byte-identical documents and ``Decimal``
values stay strings. Alembic migrations in ``migrations/`` create these
tables; this module is their single source.
"""

from crossdock.store.schema.base import metadata
from crossdock.store.schema.customers import (
    customer_match_keys,
    customer_match_model,
    customer_merges,
    customer_review,
    customer_site_links,
)
from crossdock.store.schema.edi import (
    edi_control_numbers,
    edi_counters,
    edi_inbound,
    edi_sent_groups,
)
from crossdock.store.schema.hub import (
    alerts,
    api_keys,
    audit_log,
    connector_state,
    crosswalk,
    delivery_receipts,
    destination_guards,
    events,
    exceptions,
    inbound_keys,
    inbox,
    ingest_digests,
    leases,
    parked,
    proposals,
    record_keys,
    records,
    route_cursors,
)
from crossdock.store.schema.onboarding import (
    customer_onboarding,
    customer_onboarding_cursor,
    customer_onboarding_steps,
)
from crossdock.store.schema.orders import (
    UNPUBLISHED,
    customer_invoices,
    order_applied,
    order_credit,
    order_fulfilment,
    order_lines,
    order_reservations,
    order_steps,
    orders,
)
from crossdock.store.schema.reconcile import reconcile_reports
from crossdock.store.schema.stock import (
    atp_publish_queue,
    inventory_event_keys,
    reservation_shipments,
    reservations,
    stock_drift,
    stock_inbound,
    stock_positions,
)

__all__ = [
    "UNPUBLISHED",
    "alerts",
    "api_keys",
    "atp_publish_queue",
    "audit_log",
    "connector_state",
    "crosswalk",
    "customer_invoices",
    "customer_match_keys",
    "customer_match_model",
    "customer_merges",
    "customer_onboarding",
    "customer_onboarding_cursor",
    "customer_onboarding_steps",
    "customer_review",
    "customer_site_links",
    "delivery_receipts",
    "destination_guards",
    "edi_control_numbers",
    "edi_counters",
    "edi_inbound",
    "edi_sent_groups",
    "events",
    "exceptions",
    "inbound_keys",
    "inbox",
    "ingest_digests",
    "inventory_event_keys",
    "leases",
    "metadata",
    "order_applied",
    "order_credit",
    "order_fulfilment",
    "order_lines",
    "order_reservations",
    "order_steps",
    "orders",
    "parked",
    "proposals",
    "reconcile_reports",
    "record_keys",
    "records",
    "reservation_shipments",
    "reservations",
    "route_cursors",
    "stock_drift",
    "stock_inbound",
    "stock_positions",
]
