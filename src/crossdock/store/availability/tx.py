"""One availability write transaction, and the held connection the group committer writes on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from crossdock.store.availability.ledger import LedgerWrites
from crossdock.store.availability.positions import PositionWrites
from crossdock.store.engine import WRITE
from crossdock.store.write import WriteTx

if TYPE_CHECKING:
    from crossdock.store.facade import Store


class StockTx(PositionWrites, LedgerWrites):
    """Availability writes inside one open write transaction."""


class WriteSession:
    """A write connection kept across transactions (the group committer's writer thread).

    Keeping it saves a pool checkout per batch on SQLite; :meth:`discard`
    throws it away when a batch failed as a whole and the connection is suspect.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.engine.connect().execution_options(**{WRITE: True})

    @contextmanager
    def transaction(self) -> Iterator[StockTx]:
        """One write transaction on the kept connection (in turn with the process's writers)."""
        with self._store.writer_turn(), self._conn.begin():
            yield StockTx(WriteTx(self._conn))

    def close(self) -> None:
        self._conn.close()

    def discard(self) -> None:
        """Invalidate and close the connection (it will not go back to the pool)."""
        self._conn.invalidate()
        self._conn.close()
