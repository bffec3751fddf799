"""The customer matching tables: blocking keys, the review queue, trained match parameters.

``customer_match_keys`` indexes each customer under its blocking keys
(normalized postcode + name word, phone, email domain, tax id, name), so
that the candidates of an incoming customer are a few index lookups.
``customer_review`` is the stewardship queue: one row per pair a person is
asked about (``pair_key`` is unique, so a pair is never asked twice), with
the explanation of its weight and, for an incoming customer held back by
ingest, the changes held until the decision. ``customer_match_model`` keeps
the m/u estimates of each EM training run; the newest one is used.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from crossdock.store.schema.base import TS, SeqType, metadata

customer_match_keys = Table(
    "customer_match_keys",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("record_id", String(64), primary_key=True),
)
Index("ix_customer_match_keys_record", customer_match_keys.c.record_id)

customer_review = Table(
    "customer_review",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("pair_key", String(400), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("other_id", String(64), nullable=True),
    Column("system", String(64), nullable=True),
    Column("native_id", String(255), nullable=True),
    Column("weight", String(32), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("held", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("decided_at", TS, nullable=True),
    Column("decided_by", String(128), nullable=True),
)
Index("ix_customer_review_status", customer_review.c.status, customer_review.c.id)

customer_match_model = Table(
    "customer_match_model",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("trained_at", TS, nullable=False),
    Column("pairs", Integer, nullable=False),
    Column("params", Text, nullable=False),
)

customer_merges = Table(
    "customer_merges",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("survivor_id", String(64), nullable=False),
    Column("merged_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("merged_at", TS, nullable=False),
    Column("merged_by", String(128), nullable=False),
    Column("unmerged_at", TS, nullable=True),
    Column("unmerged_by", String(128), nullable=True),
)
"""One row per merge: who survived, who was merged away, and everything an unmerge puts back.

``snapshot`` holds both records as they were (version, data, provenance), their crosswalk
rows and natural keys, and the references the merge repointed; a ``merged`` row also makes
ingest follow the merged-away id to the survivor.
"""
Index("ix_customer_merges_merged", customer_merges.c.merged_id, customer_merges.c.status)
Index("ix_customer_merges_survivor", customer_merges.c.survivor_id, customer_merges.c.status)

customer_site_links = Table(
    "customer_site_links",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column("native_id", String(255), primary_key=True),
    Column("code", String(64), nullable=False),
)
"""The ship-to site crosswalk: (customer, system, the system's own site id) -> the site's code.

A system that moves or renames a site keeps naming it by its own id, so the change keeps
updating the one canonical site. Rows with system ``crossdock`` are the codes a merge joined
into another site (old code -> surviving code), read for every system and for price lists.
"""
