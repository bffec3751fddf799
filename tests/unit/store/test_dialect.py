"""The dialects: one answer to "is this database error transient?", placeholders and locks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from crossdock.store.dialect import POSTGRES, SQLITE, dialect_of


class _PgError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(orig: Exception, cls: type[OperationalError] = OperationalError) -> OperationalError:
    return cls("UPDATE x", {}, orig)


def test_sqlite_calls_a_locked_or_busy_database_transient() -> None:
    assert SQLITE.is_transient(_wrapped(Exception("database is locked")))
    assert SQLITE.is_transient(_wrapped(Exception("database table is busy")))
    assert not SQLITE.is_transient(_wrapped(Exception("no such table: nope")))
    assert not SQLITE.is_transient(RuntimeError("database is locked"))  # not the driver's


def test_postgres_goes_by_sqlstate_and_by_the_words_of_a_lost_race() -> None:
    for code in ("40001", "40P01", "55P03"):
        assert POSTGRES.is_transient(_wrapped(_PgError("some words", code)))
    assert POSTGRES.is_transient(_wrapped(_PgError("deadlock detected", None)))
    assert POSTGRES.is_transient(_wrapped(_PgError("could not serialize access", None)))
    duplicate = _wrapped(_PgError("duplicate key value", "23505"), IntegrityError)  # type: ignore[arg-type]
    assert not POSTGRES.is_transient(duplicate)
    assert not POSTGRES.is_transient(_wrapped(_PgError("connection refused", "08001")))


def test_placeholders_locks_and_timestamps() -> None:
    assert SQLITE.sql("a = ? AND b = ?") == "a = ? AND b = ?"
    assert POSTGRES.sql("a = ? AND b = ?") == "a = %s AND b = %s"
    assert SQLITE.lock() == "" and SQLITE.lock(skip_locked=True) == ""
    assert POSTGRES.lock() == " FOR UPDATE"
    assert POSTGRES.lock(skip_locked=True) == " FOR UPDATE SKIP LOCKED"
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert SQLITE.ts(at) == "2026-01-02 03:04:05.000006" and POSTGRES.ts(at) is at
    assert dialect_of("postgresql") is POSTGRES and dialect_of("sqlite") is SQLITE
    assert SQLITE.serial_writers and not POSTGRES.serial_writers
