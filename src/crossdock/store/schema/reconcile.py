"""The last reconciliation report of each system, kept for the console (and its heal button)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from crossdock.store.schema.base import TS, metadata

reconcile_reports = Table(
    "reconcile_reports",
    metadata,
    Column("system", String(64), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("ran_at", TS, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("records", Integer, nullable=False),
    Column("agreeing", Integer, nullable=False),
    Column("unreadable", Integer, nullable=False),
    Column("drifts", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("healed_at", TS, nullable=True),
    Column("healed_by", String(255), nullable=True),
    Column("healed", Text, nullable=True),
)

__all__ = ["reconcile_reports"]
