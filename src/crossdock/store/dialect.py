"""What differs between SQLite and PostgreSQL, in one object per backend.

Placeholders, row locks (``FOR UPDATE``, ``SKIP LOCKED``), upserts
(``ON CONFLICT``), how a timestamp goes to the driver, and the one answer to
"is this database error transient?" (:meth:`Dialect.is_transient`): every
retry loop in Crossdock asks it, so ingest, delivery and availability agree on
what is worth another try.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Engine, Select, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

_PG_TRANSIENT = frozenset({"40001", "40P01", "55P03"})
"""Serialization failure, deadlock detected, lock not available."""
_TRANSIENT_TEXT = ("deadlock", "could not serialize", "database is locked", "busy")
"""The same causes as the drivers word them (SQLite has no SQLSTATE)."""


@lru_cache(maxsize=256)
def _sqlite_ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _transient_text(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in _TRANSIENT_TEXT)


class Dialect(Protocol):
    """One backend's SQL differences."""

    name: str
    mark: str
    """The driver's positional placeholder."""
    serial_writers: bool
    """True when a write transaction already excludes every other writer (no row locks)."""
    embedded: bool
    """True when the database is a file in this process (a read costs microseconds)."""
    bulk_copy: bool
    """Many-row inserts may stream through ``COPY ... FROM STDIN``."""
    array_params: bool
    """A list of keys may go as one array parameter (``= ANY(%s)``), not an ``IN`` list."""
    advisory_locks: bool
    """Transaction-scoped advisory locks exist (``pg_advisory_xact_lock``)."""

    def sql(self, text: str) -> str:
        """``text`` written with ``?`` placeholders, in the driver's own."""
        ...

    def lock(self, *, skip_locked: bool = False) -> str:
        """The clause that row-locks what a SELECT reads for this transaction."""
        ...

    def insert_ignore(self, table: Table) -> Insert:
        """An INSERT into ``table`` that does nothing on a key conflict."""
        ...

    def upsert(self, table: Table, keys: Sequence[str]) -> Insert:
        """An INSERT into ``table`` that, on a conflict on ``keys``, sets every other column."""
        ...

    def lock_select(self, query: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
        """``query`` row-locking what it reads (``lock``, for SQLAlchemy selects)."""
        ...

    def ts(self, value: datetime) -> Any:
        """A timestamp as the driver takes it."""
        ...

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the database losing a race that a retry may win."""
        ...


class SqliteDialect:
    """SQLite: ``?`` placeholders, ``BEGIN IMMEDIATE`` instead of row locks."""

    name = "sqlite"
    mark = "?"
    serial_writers = True
    embedded = True
    bulk_copy = False
    array_params = False
    advisory_locks = False

    def sql(self, text: str) -> str:
        return text

    def lock(self, *, skip_locked: bool = False) -> str:
        return ""  # the write transaction already holds the database

    def insert_ignore(self, table: Table) -> Insert:
        return sqlite_insert(table).on_conflict_do_nothing()

    def upsert(self, table: Table, keys: Sequence[str]) -> Insert:
        stmt = sqlite_insert(table)
        rest = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=rest)

    def lock_select(self, query: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
        return query

    def ts(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite text format, naive UTC.
        return _sqlite_ts(value)

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, DBAPIError) and _transient_text(exc)


class PostgresDialect:
    """PostgreSQL through psycopg 3: ``%s`` placeholders, row locks, SQLSTATE codes."""

    name = "postgresql"
    mark = "%s"
    serial_writers = False
    embedded = False
    bulk_copy = True
    array_params = True
    advisory_locks = True

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def lock(self, *, skip_locked: bool = False) -> str:
        return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

    def insert_ignore(self, table: Table) -> Insert:
        return pg_insert(table).on_conflict_do_nothing()

    def upsert(self, table: Table, keys: Sequence[str]) -> Insert:
        stmt = pg_insert(table)
        rest = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=rest)

    def lock_select(self, query: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
        return query.with_for_update(skip_locked=skip_locked)

    def ts(self, value: datetime) -> Any:
        return value

    def is_transient(self, exc: BaseException) -> bool:
        if not isinstance(exc, DBAPIError):
            return False
        return getattr(exc.orig, "sqlstate", None) in _PG_TRANSIENT or _transient_text(exc)


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def dialect_of(engine_or_name: Engine | str) -> Dialect:
    """The dialect object of an engine (or of a SQLAlchemy dialect name)."""
    name = engine_or_name if isinstance(engine_or_name, str) else engine_or_name.dialect.name
    return POSTGRES if name == "postgresql" else SQLITE


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is transient on any backend (for callers that hold no store)."""
    return SQLITE.is_transient(exc) or POSTGRES.is_transient(exc)


__all__ = ["POSTGRES", "SQLITE", "Dialect", "PostgresDialect", "SqliteDialect", "dialect_of"]
