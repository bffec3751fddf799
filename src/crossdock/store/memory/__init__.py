"""The store's in-memory twin: records, crosswalk, outbox, cursors, parked, exceptions, ledger.

For unit tests that need a store and no database. It answers what the SQL
repositories answer (tests/integration/store/test_repository_contract.py runs
the same suite against SQLite, PostgreSQL and this); writes apply at once and
never roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from crossdock.store.memory.customer_match import MemoryCustomerMatch
from crossdock.store.memory.customer_merge import MemoryCustomerMerges
from crossdock.store.memory.exceptions import MemoryExceptions
from crossdock.store.memory.fulfilment import MemoryFulfilment
from crossdock.store.memory.onboarding import MemoryOnboarding
from crossdock.store.memory.outbox import MemoryCursors, MemoryOutbox, MemoryParked
from crossdock.store.memory.records import MemoryCrosswalk, MemoryRecords
from crossdock.store.memory.state import MemoryTx, Tables
from crossdock.store.protocols import (
    Crosswalk,
    Cursors,
    CustomerMatch,
    CustomerMerges,
    Exceptions,
    Fulfilment,
    Onboarding,
    Outbox,
    Parked,
    Records,
)


class MemoryStore:
    """The twin of :class:`~crossdock.store.Store` for the repositories it has."""

    backend = "memory"
    is_embedded = True

    def __init__(self) -> None:
        self.tables = Tables()
        # Typed as the Protocols: mypy holds the twin to the repositories' shape.
        self.records: Records = MemoryRecords(self.tables)
        self.crosswalk: Crosswalk = MemoryCrosswalk(self.tables)
        self.outbox: Outbox = MemoryOutbox(self.tables)
        self.cursors = MemoryCursors(self.tables)
        self.parked = MemoryParked(self.tables)
        self.exceptions: Exceptions = MemoryExceptions(self.tables)
        self.fulfilment = MemoryFulfilment()
        _fulfilment: Fulfilment = self.fulfilment
        self.customer_match: CustomerMatch = MemoryCustomerMatch()
        self.onboarding: Onboarding = MemoryOnboarding()
        self.customer_merges: CustomerMerges = MemoryCustomerMerges()
        _cursors: Cursors = self.cursors
        _parked: Parked = self.parked

    @classmethod
    def open(cls, url: str = "memory://", **_: Any) -> MemoryStore:
        return cls()

    def is_transient(self, exc: BaseException) -> bool:
        return False  # nothing races in memory

    @contextmanager
    def write(self) -> Iterator[MemoryTx]:
        """Writes apply as they are made (no rollback: use SQLite to test atomicity)."""
        yield MemoryTx(self.tables)

    def close(self) -> None:
        """Nothing to release; the tables go with the object."""


__all__ = ["MemoryStore", "MemoryTx"]
