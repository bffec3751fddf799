"""The store: a small facade that opens transactions and hands out its repositories.

``Store.write()`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite)
and yields a :class:`~crossdock.store.write.WriteTx`; the read questions are
asked of the repositories it exposes (``store.records``, ``store.crosswalk``,
``store.outbox``, ...). Services and routers go through these, never through
raw SQL; what differs between SQLite and PostgreSQL is ``store.dialect``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from crossdock.store.dialect import Dialect, dialect_of
from crossdock.store.engine import WRITE, create_store_engine
from crossdock.store.migrate import upgrade
from crossdock.store.repos.crosswalk import SqlCrosswalk
from crossdock.store.repos.cursors import SqlCursors
from crossdock.store.repos.customer_match import SqlCustomerMatch
from crossdock.store.repos.customer_merge import SqlCustomerMerges
from crossdock.store.repos.edi import SqlEdi
from crossdock.store.repos.fulfilment import SqlFulfilment
from crossdock.store.repos.inbox import SqlInbox
from crossdock.store.repos.keys import SqlKeys
from crossdock.store.repos.onboarding import SqlOnboarding
from crossdock.store.repos.operator import SqlAudit, SqlExceptions, SqlProposals
from crossdock.store.repos.orders import SqlOrders
from crossdock.store.repos.outbox import SqlOutbox
from crossdock.store.repos.parked import SqlParked
from crossdock.store.repos.receipts import SqlReceipts
from crossdock.store.repos.records import SqlRecords
from crossdock.store.write import WriteTx

if TYPE_CHECKING:
    from crossdock.store.availability import StockStore
    from crossdock.store.protocols import (
        Crosswalk,
        Cursors,
        CustomerMatch,
        CustomerMerges,
        Exceptions,
        Fulfilment,
        Onboarding,
        Orders,
        Outbox,
        Parked,
        Records,
    )


_TURN_TIMEOUT = 60.0
"""Seconds to wait for a writer's turn: SQLite's own busy timeout."""


class Store:
    """A Crossdock store on SQLite or PostgreSQL, chosen by URL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_of(engine)
        self._turn = threading.RLock() if self.dialect.serial_writers else None
        parts = (engine, self.dialect, self.write)
        self.records = SqlRecords(*parts)
        self.crosswalk = SqlCrosswalk(*parts)
        self.outbox = SqlOutbox(*parts)
        self.cursors = SqlCursors(*parts)
        self.parked = SqlParked(*parts)
        self.inbox = SqlInbox(*parts)
        self.exceptions = SqlExceptions(*parts)
        self.proposals = SqlProposals(*parts)
        self.audit = SqlAudit(*parts)
        self.keys = SqlKeys(*parts)
        self.orders = SqlOrders(*parts)
        self.fulfilment = SqlFulfilment(*parts)
        self.receipts = SqlReceipts(*parts)
        self.customer_match = SqlCustomerMatch(*parts)
        self.onboarding = SqlOnboarding(*parts)
        self.customer_merges = SqlCustomerMerges(*parts)
        self.edi = SqlEdi(*parts)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        store = cls(create_store_engine(url))
        if migrate:
            upgrade(store.engine)
        return store

    @property
    def backend(self) -> str:
        return self.dialect.name

    @property
    def is_embedded(self) -> bool:
        """True when the database lives in this process (SQLite): a read takes microseconds."""
        return self.dialect.embedded

    @cached_property
    def stock(self) -> StockStore:
        """The availability tables (positions, inbound, reservations, feeds)."""
        from crossdock.store.availability import StockStore

        return StockStore(self)

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is this database losing a race that another try may win."""
        return self.dialect.is_transient(exc)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        with (
            self.writer_turn(),
            self.engine.connect().execution_options(**{WRITE: True}) as conn,
            conn.begin(),
        ):
            yield WriteTx(conn)

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """SQLite: this process's writers take turns here before ``BEGIN IMMEDIATE``.

        SQLite makes a writer that finds the database locked sleep and retry
        (1, 2, 5, 10 ... ms), so threads of one process racing for it waited far
        longer than the transactions they waited for; a lock hands the turn over at
        once. Another process still meets SQLite's own wait. A turn not had in the
        busy timeout (a thread waiting on itself) goes ahead as before, to SQLite's
        wait. Reentrant: a nested write meets SQLite's lock as it always did.
        """
        if self._turn is None:
            yield
            return
        got = self._turn.acquire(timeout=_TURN_TIMEOUT)
        try:
            yield
        finally:
            if got:
                self._turn.release()


if TYPE_CHECKING:

    def _conforms(
        store: Store,
    ) -> tuple[
        Records,
        Crosswalk,
        Outbox,
        Cursors,
        Parked,
        Exceptions,
        Orders,
        Fulfilment,
        CustomerMatch,
        Onboarding,
        CustomerMerges,
    ]:
        """Mypy holds the SQL repositories to the Protocols the memory twin also meets."""
        return (
            store.records,
            store.crosswalk,
            store.outbox,
            store.cursors,
            store.parked,
            store.exceptions,
            store.orders,
            store.fulfilment,
            store.customer_match,
            store.onboarding,
            store.customer_merges,
        )


__all__ = ["Store"]
