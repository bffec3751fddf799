"""The customer onboarding tables: one state row per onboarding, its timeline, the discovery cursor.

``customer_onboarding`` holds where each onboarding stands (step, status,
the reason a person must act, what the steps found); ``customer_id`` is
unique, so a customer is onboarded once however often it is discovered.
``version`` makes every step a compare-and-set: two pumps never both move
the same onboarding. ``customer_onboarding_steps`` is the timeline a person
reads. ``customer_onboarding_cursor`` is how far discovery has read the outbox.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from crossdock.store.schema.base import TS, SeqType, metadata

customer_onboarding = Table(
    "customer_onboarding",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, unique=True),
    Column("source_system", String(64), nullable=False),
    Column("step", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("facts", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_customer_onboarding_status", customer_onboarding.c.status, customer_onboarding.c.id)

customer_onboarding_steps = Table(
    "customer_onboarding_steps",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("onboarding_id", BigInteger, nullable=False),
    Column("step", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", TS, nullable=False),
)
Index("ix_customer_onboarding_steps_of", customer_onboarding_steps.c.onboarding_id)

customer_onboarding_cursor = Table(
    "customer_onboarding_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
