"""The hub's own tables: records, identity, outbox, delivery state, operator work, keys."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from crossdock.store.schema.base import TS, SeqType, metadata

# Primary keys lead with their most selective column: batch lookups send one list of
# values (``= ANY``) and PostgreSQL must be able to use it as an index condition even
# before it has statistics for a table that grew by a million rows a minute ago.
records = Table(
    "records",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("entity_type", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("provenance", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_records_type_updated", records.c.entity_type, records.c.updated_at)

record_keys = Table(
    "record_keys",
    metadata,
    Column("value", String(255), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("entity_type", String(32), primary_key=True),
    Column("record_id", String(64), nullable=False),
)

crosswalk = Table(
    "crosswalk",
    metadata,
    Column("native_id", String(255), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column("entity_type", String(32), primary_key=True),
    Column("canonical_id", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
)
Index("ix_crosswalk_canonical", crosswalk.c.entity_type, crosswalk.c.canonical_id)

ingest_digests = Table(
    "ingest_digests",
    metadata,
    Column("native_id", String(255), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column("entity_type", String(32), primary_key=True),
    Column("record_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(32), nullable=False),
    Column("applied_ts", String(32), nullable=False),
    Column("seen_ts", String(32), nullable=False),
)
"""What each system last sent for each record, fully applied: a resend of it is skipped.

``version`` is the record's version right after it applied; ``applied_ts`` its
source time; ``seen_ts`` the newest source time the same content came again.
"""
Index("ix_ingest_digests_record", ingest_digests.c.entity_type, ingest_digests.c.record_id)

inbound_keys = Table(
    "inbound_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column("seen_at", TS, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("op", String(16), nullable=False),
    Column("source_system", String(64), nullable=True),
    Column("changed", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("time", TS, nullable=False),
    Column("bucket", Integer, nullable=False, default=0),
    Column("traceparent", String(55), nullable=True),
    UniqueConstraint("entity_type", "entity_id", "version", name="uq_events_entity_version"),
)
Index("ix_events_time", events.c.time)

route_cursors = Table(
    "route_cursors",
    metadata,
    Column("route", String(64), primary_key=True),
    Column("partition", Integer, primary_key=True, default=0),
    Column("position", BigInteger, nullable=False, default=0),
    Column("updated_at", TS, nullable=False),
    Column("last_success_at", TS, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered", BigInteger, nullable=False, default=0),
)

# Who works one partition of a route now. ``token`` grows with every change of owner
# (the fencing token): a worker whose lease was taken over cannot move the cursor.
leases = Table(
    "leases",
    metadata,
    Column("route", String(64), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("token", BigInteger, nullable=False),
    Column("expires_at", TS, nullable=False),
)

parked = Table(
    "parked",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("route", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("delivery_id", String(255), nullable=False),
    Column("code", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("parked_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_parked_route_entity", parked.c.route, parked.c.entity_type, parked.c.entity_id)
Index("ix_parked_status", parked.c.status)

# What a destination answered per delivered or parked version, for routes with ``receipts: true``
# (the order engine learns from them that the ERP took an order, and its number).
delivery_receipts = Table(
    "delivery_receipts",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("route", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("op", String(8), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("native_id", String(255), nullable=True),
    Column("reference", String(255), nullable=True),
    Column("code", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("at", TS, nullable=False),
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("system", String(64), nullable=False),
    Column("entity_type", String(32), nullable=True),
    Column("native_id", String(255), nullable=True),
    Column("ref", String(512), nullable=True),
    Column("field", String(255), nullable=True),
    Column("code", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("note", Text, nullable=True),
)
Index("ix_exceptions_status", exceptions.c.status, exceptions.c.id)

proposals = Table(
    "proposals",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("system", String(64), nullable=False),
    Column("field", String(255), nullable=False),
    Column("value", Text, nullable=False),
    Column("source_ts", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("decided_at", TS, nullable=True),
    Column("decided_by", String(128), nullable=True),
    Column("requested_by", String(128), nullable=True),
)
Index("ix_proposals_status", proposals.c.status, proposals.c.id)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=False),
    Column("detail", Text, nullable=False),
    Column("origin", String(128), nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(128), nullable=False),
    Column("scopes", String(255), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("system", String(64), nullable=True),
    Column("role", String(64), nullable=True),
    Column("expires_at", TS, nullable=True),
    Column("last_used_at", TS, nullable=True),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("system", String(64), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("items", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", TS, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_inbox_status", inbox.c.status, inbox.c.id)

# One row per alert rule: whether it fires, and the notice not yet sent of its last change.
alerts = Table(
    "alerts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("firing", Boolean, nullable=False),
    Column("since", TS, nullable=False),
    Column("value", Float, nullable=True),
    Column("message", Text, nullable=False),
    Column("pending_notice", String(16), nullable=True),
    Column("notice_id", String(128), nullable=True),
    Column("updated_at", TS, nullable=False),
)

# One row per destination: its token bucket and circuit breaker, shared by every worker
# process. Times are wall-clock epoch seconds (a monotonic clock is per process).
destination_guards = Table(
    "destination_guards",
    metadata,
    Column("system", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("tokens_at", Float, nullable=False),
    Column("circuit", String(16), nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("probe_until", Float, nullable=False),
    # Back-pressure (0005): no worker pushes to the destination before this epoch second.
    Column("paused_until", Float, nullable=False, server_default=text("0")),
)

# Connector bookmarks (0003_connector_state): one text value per (system, key), e.g. the
# newest change timestamp a source has committed; see crossdock.store.connector_state.
connector_state = Table(
    "connector_state",
    metadata,
    Column("system", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# -- availability (ATP): buckets in millionths of a unit, so SQL arithmetic is exact --------
