"""The raw statement path every availability write goes through, inside one write transaction.

The hot statements (a few per reservation or event) skip SQLAlchemy's
statement and result machinery, which cost four times SQLite's own work per
statement; the dialect turns ``?`` into the driver's placeholder and supplies
the row-lock clause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError

from crossdock.store.dialect import Dialect
from crossdock.store.write import WriteTx


class StockTxBase:
    """One open write transaction, seen by the availability writes."""

    def __init__(self, tx: WriteTx) -> None:
        self.tx = tx
        self.conn = tx.conn
        self.dialect: Dialect = tx.dialect
        self._cursor: Any = None

    @property
    def serial_writers(self) -> bool:
        """True when this transaction already excludes every other writer (SQLite)."""
        return self.dialect.serial_writers

    @property
    def reserves_in_one_statement(self) -> bool:
        """Whether :meth:`reserve_new` is available (PostgreSQL's one-round-trip reserve)."""
        return not self.dialect.serial_writers

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: a failure inside rolls back to here and leaves the rest."""
        with self.conn.begin_nested():
            yield

    def _ts(self, value: datetime) -> Any:
        return self.dialect.ts(value)

    def _lock(self, lock: bool = True, *, skip_locked: bool = False) -> str:
        return self.dialect.lock(skip_locked=skip_locked) if lock else ""

    def _raw(self, sql: str, params: Any, *, many: bool = False) -> Any:
        """Run ``sql`` on the transaction's own DBAPI cursor; the cursor.

        The hot statements (a few per reservation or event) skip SQLAlchemy's
        statement and result machinery, which cost four times SQLite's own work
        per statement. A driver error is raised as SQLAlchemy raises it
        (``IntegrityError``, ``DBAPIError`` with the SQLSTATE), so savepoint
        reruns and race retries see what they always saw.
        """
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        sql = self.dialect.sql(sql)
        try:
            if many:
                self._cursor.executemany(sql, params)
            else:
                self._cursor.execute(sql, params)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                sql, params, exc, self.conn.dialect.loaded_dbapi.Error, dialect=self.conn.dialect
            ) from exc
        return self._cursor

    def _one(self, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> Any:
        return self._raw(sql, params).fetchone()

    def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(self._raw(sql, params).fetchall())
