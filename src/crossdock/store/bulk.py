"""The bulk statement path of a write transaction: many rows in, many keys looked up.

The bulk paths (lookups by key lists, inserts of many rows) go to the driver
directly with positional parameters: SQLAlchemy's per-row parameter
processing cost more than SQLite's own insert work on the ingest path.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from crossdock.store.dialect import Dialect, dialect_of

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
    "traceparent",
)
BUCKETS = 1024
"""Events carry ``crc32(entity id) % BUCKETS``; a route with N partitions works bucket % N."""


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in Crossdock is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def driver_utc(value: Any) -> datetime | None:
    """A timestamp as a bare driver hands it back (SQLite: text) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class BulkTx:
    """One open write transaction's connection, dialect and bulk statement helpers."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect: Dialect = dialect_of(conn.dialect.name)
        self._mark = self.dialect.mark

    def _ts(self, value: datetime) -> Any:
        """A timestamp as the driver takes it."""
        return self.dialect.ts(value)

    def _insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self.dialect.bulk_copy and len(rows) >= COPY_FROM:
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
        if self.dialect.array_params:
            query = sql.replace("IN ({inlist})", "= ANY(%s)").format(m=self._mark)
            for part in chunks(values, 10_000):
                out.extend(self._fetch(query, (*fixed, list(part))))
            return out
        for part in chunks(values):
            marks = ", ".join([self._mark] * len(part))
            out.extend(self._fetch(sql.format(m=self._mark, inlist=marks), (*fixed, *part)))
        return out

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """All rows of a driver-level query as the driver's own tuples.

        Fetched from the driver cursor at once: SQLAlchemy's row objects, one per
        row, cost more than the lookup itself on a batch of thousands of keys.
        """
        result = self.conn.exec_driver_sql(sql, tuple(params))
        try:
            return list(result.cursor.fetchall()) if result.cursor is not None else []
        finally:
            result.close()

    def lock_keys(self, keys: Iterable[str]) -> None:
        """Serialise concurrent writers of the same identities (PostgreSQL advisory locks).

        Keys hash into ``LOCK_BUCKETS`` buckets, taken in one statement in sorted
        order, so a batch of thousands of records holds a bounded number of locks
        (the lock table is small) and two batches never deadlock on them. A bucket
        shared by two unrelated keys only makes two writers take turns. SQLite
        needs nothing: ``BEGIN IMMEDIATE`` already makes writers take turns.
        """
        if not self.dialect.advisory_locks:
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
        if self.dialect.advisory_locks:
            self.conn.execute(text("SELECT pg_advisory_xact_lock(7363019)"))


__all__ = ["BUCKETS", "CHUNK", "EVENT_COLUMNS", "BulkTx", "chunks", "driver_utc", "utc"]
