"""The write side of the store: one transaction of bulk reads and writes for ingest and delivery.

Everything ingest does for a batch happens in one :class:`WriteTx`: either
the records, their provenance, crosswalk rows, natural keys, idempotency
keys, events and exceptions of the batch all commit, or none do.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, and_, func, select, text, update
from sqlalchemy.exc import DBAPIError

from crossdock.errors import ConflictError, ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import raw_input
from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.records import NewException, StoredRecord

AUDIT_ORIGIN: ContextVar[str | None] = ContextVar("crossdock_audit_origin", default=None)
"""Where the action being done came from (the API sets the client's address per request)."""

CHUNK = 400
COPY_FROM = 50
"""Inserts of at least this many rows go through COPY on PostgreSQL."""
LOCK_BUCKETS = 512
LOCK_NAMESPACE = 73630
EVENT_COLUMNS = (
    "event_id",
    "entity_type",
    "entity_id",
    "version",
    "op",
    "source_system",
    "changed",
    "data",
    "time",
    "bucket",
)
BUCKETS = 1024
"""Events carry ``crc32(entity id) % BUCKETS``; a route with N partitions works bucket % N."""


@lru_cache(maxsize=256)
def _sqlite_ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in Crossdock is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class WriteTx:
    """Bulk operations inside one open write transaction.

    The bulk paths (lookups by key lists, inserts of many rows) go to the
    driver directly with positional parameters: SQLAlchemy's per-row parameter
    processing cost more than SQLite's own insert work on the ingest path.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.is_postgres = conn.dialect.name == "postgresql"
        self._mark = "%s" if self.is_postgres else "?"

    def _ts(self, value: datetime) -> Any:
        """A timestamp as the driver takes it (SQLAlchemy's SQLite text format, naive UTC)."""
        if self.is_postgres:
            return value
        return _sqlite_ts(value)

    def _insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self.is_postgres and len(rows) >= COPY_FROM:
            self._copy_rows(table, columns, rows)
            return
        marks = ", ".join([self._mark] * len(columns))
        self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows)
        )

    def _copy_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """PostgreSQL's ``COPY FROM STDIN`` in this transaction.

        One stream instead of a statement per row (several times faster for a
        bulk batch). Errors come back
        wrapped as SQLAlchemy's, so a unique violation is the ``IntegrityError`` that
        ingest retries on, exactly as from an ``INSERT``.
        """
        import psycopg

        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        raw = self.conn.connection.driver_connection
        try:
            with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc

    def _select_in(
        self, sql: str, fixed: Sequence[Any], values: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` (whose last condition is ``{col} IN ({inlist})``) over ``values``.

        PostgreSQL gets one array parameter (``= ANY``): a long ``IN`` list of
        untyped parameters is planned badly there. SQLite gets ``IN`` lists in chunks.
        """
        out: list[tuple[Any, ...]] = []
        if self.is_postgres:
            query = sql.replace("IN ({inlist})", "= ANY(%s)").format(m=self._mark)
            for part in chunks(values, 10_000):
                rows = self.conn.exec_driver_sql(query, (*fixed, list(part)))
                out.extend(tuple(r) for r in rows)
            return out
        for part in chunks(values):
            marks = ", ".join([self._mark] * len(part))
            rows = self.conn.exec_driver_sql(
                sql.format(m=self._mark, inlist=marks), (*fixed, *part)
            )
            out.extend(tuple(r) for r in rows)
        return out

    def lock_keys(self, keys: Iterable[str]) -> None:
        """Serialise concurrent writers of the same identities (PostgreSQL advisory locks).

        Keys hash into ``LOCK_BUCKETS`` buckets, taken in one statement in sorted
        order, so a batch of thousands of records holds a bounded number of locks
        (the lock table is small) and two batches never deadlock on them. A bucket
        shared by two unrelated keys only makes two writers take turns. SQLite
        needs nothing: ``BEGIN IMMEDIATE`` already makes writers take turns.
        """
        if not self.is_postgres:
            return
        buckets = sorted({zlib.crc32(k.encode()) % LOCK_BUCKETS for k in keys})
        if buckets:
            self.conn.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(%s, b) FROM unnest(%s::int[]) AS b ORDER BY b",
                (LOCK_NAMESPACE, buckets),
            )

    def lock_outbox(self) -> None:
        """Make outbox sequence order equal commit order on PostgreSQL.

        A reader that moves its cursor past seq N must never later see a
        commit with a seq below N. Holding one advisory lock from the first
        event insert to commit serialises only that tail of each transaction.
        """
        if self.is_postgres:
            self.conn.execute(text("SELECT pg_advisory_xact_lock(7363019)"))

    # -- idempotency ------------------------------------------------------------------
    def seen_keys(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        by_system: dict[str, list[str]] = {}
        for system, key in pairs:
            by_system.setdefault(system, []).append(key)
        seen: set[tuple[str, str]] = set()
        for system, keys in by_system.items():
            rows = self._select_in(
                "SELECT key FROM inbound_keys WHERE system = {m} AND key IN ({inlist})",
                (system,),
                keys,
            )
            seen.update((system, r[0]) for r in rows)
        return seen

    def add_keys(self, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
        ts = self._ts(now)
        self._insert_many(
            "inbound_keys", ("system", "key", "seen_at"), [(s, k, ts) for s, k in pairs]
        )

    # -- identity -----------------------------------------------------------------------
    def crosswalk_lookup(
        self, entity_type: EntityType, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        by_system: dict[str, list[str]] = {}
        for system, native in pairs:
            by_system.setdefault(system, []).append(native)
        found: dict[tuple[str, str], str] = {}
        for system, natives in by_system.items():
            rows = self._select_in(
                "SELECT native_id, canonical_id FROM crosswalk WHERE entity_type = {m} "
                "AND system = {m} AND native_id IN ({inlist})",
                (entity_type.value, system),
                natives,
            )
            found.update({(system, r[0]): r[1] for r in rows})
        return found

    def natural_lookup(
        self, entity_type: EntityType, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        found: dict[tuple[str, str], str] = {}
        for kind, values in by_kind.items():
            rows = self._select_in(
                "SELECT value, record_id FROM record_keys WHERE entity_type = {m} "
                "AND kind = {m} AND value IN ({inlist})",
                (entity_type.value, kind),
                values,
            )
            found.update({(kind, r[0]): r[1] for r in rows})
        return found

    def add_crosswalk(
        self, entity_type: EntityType, rows: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        """Rows of (system, native_id, canonical_id)."""
        ts = self._ts(now)
        et = entity_type.value
        self._insert_many(
            "crosswalk",
            ("system", "entity_type", "native_id", "canonical_id", "created_at"),
            [(s, et, n, cid, ts) for s, n, cid in rows],
        )

    def merge_tombstone(self, entity_type: EntityType, tombstone_id: str, into_id: str) -> None:
        """Move a bare tombstone's native ids to ``into_id`` and remove the tombstone.

        Its outbox events stay: they are history, and a delete of an id nobody
        was sent is harmless to a receiver.
        """
        et = entity_type.value
        self.conn.execute(
            update(t.crosswalk)
            .where(t.crosswalk.c.entity_type == et, t.crosswalk.c.canonical_id == tombstone_id)
            .values(canonical_id=into_id)
        )
        self.conn.execute(
            t.records.delete().where(
                t.records.c.entity_type == et,
                t.records.c.id == tombstone_id,
                t.records.c.deleted.is_(True),
            )
        )

    def set_record_keys(
        self,
        entity_type: EntityType,
        add: Sequence[tuple[str, str, str]],
        remove: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Add (kind, value, record_id) keys; remove (kind, value) keys that moved away."""
        c = t.record_keys.c
        et = entity_type.value
        for kind, value in remove:
            self.conn.execute(
                t.record_keys.delete().where(c.entity_type == et, c.kind == kind, c.value == value)
            )
        self._insert_many(
            "record_keys",
            ("entity_type", "kind", "value", "record_id"),
            [(et, k, v, rid) for k, v, rid in add],
        )

    # -- records ------------------------------------------------------------------------
    def load_records(self, entity_type: EntityType, ids: Sequence[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        rows = self._select_in(
            "SELECT id, version, data, provenance, deleted FROM records "
            "WHERE entity_type = {m} AND id IN ({inlist})",
            (entity_type.value,),
            ids,
        )
        for r in rows:
            out[r[0]] = StoredRecord(
                entity_type, r[0], int(r[1]), loads(r[2]), loads(r[3]), bool(r[4])
            )
        return out

    def insert_records(self, records: Sequence[StoredRecord], now: datetime) -> None:
        ts = self._ts(now)
        self._insert_many(
            "records",
            (
                "entity_type",
                "id",
                "version",
                "data",
                "provenance",
                "deleted",
                "created_at",
                "updated_at",
            ),
            [
                (
                    r.entity_type._value_,
                    r.id,
                    r.version,
                    r.data_json or dumps(r.data),
                    dumps(r.provenance),
                    r.deleted,
                    ts,
                    ts,
                )
                for r in records
            ],
        )

    def update_records(self, records: Sequence[tuple[StoredRecord, int]], now: datetime) -> None:
        """Update (record, expected_stored_version) pairs; a moved version is a conflict."""
        c = t.records.c
        for rec, expected in records:
            res = self.conn.execute(
                update(t.records)
                .where(
                    and_(
                        c.entity_type == rec.entity_type.value,
                        c.id == rec.id,
                        c.version == expected,
                    )
                )
                .values(
                    version=rec.version,
                    data=rec.data_json or dumps(rec.data),
                    provenance=dumps(rec.provenance),
                    deleted=rec.deleted,
                    updated_at=now,
                )
            )
            if res.rowcount != 1:
                raise ConflictError(
                    f"{rec.entity_type.value} {rec.id} changed under us (expected v{expected})",
                    code=ErrorCode.VERSION_CONFLICT,
                )

    # -- events, exceptions, proposals -----------------------------------------------
    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append outbox rows (dicts keyed by ``EVENT_COLUMNS``) under the outbox lock."""
        if rows:
            self.lock_outbox()
            cols = EVENT_COLUMNS
            self._insert_many(
                "events",
                cols,
                [tuple(self._ts(r[c]) if c == "time" else r[c] for c in cols) for r in rows],
            )

    def add_exceptions(self, items: Sequence[NewException], now: datetime) -> None:
        if items:
            self.conn.execute(
                t.exceptions.insert(),
                [
                    {
                        "system": e.system,
                        "entity_type": e.entity_type,
                        "native_id": e.native_id,
                        "ref": (e.ref or "")[:512] or None,
                        "field": (e.field or "")[:255] or None,
                        "code": e.code,
                        "reason": e.reason,
                        "payload": raw_input.keep(e.payload),
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                        "note": None,
                    }
                    for e in items
                ],
            )

    def add_proposals(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.proposals.insert(), list(rows))

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """Append to the audit log (rows are never updated; a trigger refuses it)."""
        self.conn.execute(
            t.audit_log.insert().values(
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                target=target,
                detail=dumps(detail),
                origin=AUDIT_ORIGIN.get(),
            )
        )

    def max_seq(self) -> int:
        return int(
            self.conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one()
        )


__all__ = ["WriteTx", "chunks", "utc"]
