"""Group commit: the writes of many concurrent callers share one transaction.

Reservations and WMS events are small writes that each need an answer, and a
commit (with, on SQLite, opening and closing a connection) costs far more
than the statements themselves. So callers hand their write, a function of
a :class:`~crossdock.store.availability.StockTx`, to one writer thread per
service, which takes whatever is waiting (up to ``max_batch``), runs each in
its own savepoint inside one transaction, commits once, and answers each
caller. Nothing about a write's guarantee changes: each still runs its
conditional statements inside a write transaction; only the commit is shared.

* A write that raises a :class:`~crossdock.errors.CrossdockError` (refused
  input, too little stock) is rolled back to its savepoint and its caller
  gets the error; the others go on.
* A database error (a unique key taken by another process, a PostgreSQL
  deadlock) rolls back that savepoint too, and the write is run again alone,
  in its own transaction, after the batch commits.
* If the batch's commit itself fails, every write of it runs again alone.

Each write names the positions (SKU, location) it locks. On PostgreSQL a
batch of several writes naming more than one position locks them all first,
in one sorted statement: each write locks its own in order, but a batch of
several writes does not, and two API processes' batches could otherwise wait on each
other until PostgreSQL's ``deadlock_timeout`` (1 s by default) broke the
cycle and the whole batch ran again alone (measured: event-to-visible p99 of
1-2 s at 2,000 events/s with two API processes). Writes that name nothing
lock in their own order, as before.

``end_of_batch`` runs last inside the shared transaction, in a savepoint of
its own (the publisher ingests the batch's availability changes there, so
they commit with the stock change); ``after_batch`` runs after the commit and
before the answers (a drain of whatever the last step could not take).

A caller is answered only after the commit that holds its write: the answer
is durable when it arrives. On SQLite the writer keeps one connection while
work keeps coming (there is no pool, and closing the last connection
checkpoints the WAL: costly per batch) and gives it back after
``idle_seconds`` without work; on PostgreSQL each batch borrows one from the
pool. The thread ends after ``idle_seconds`` more, so an idle service holds
nothing open.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

from crossdock.errors import CrossdockError
from crossdock.store import Store, StoreError
from crossdock.store.availability import StockTx, WriteSession

log = logging.getLogger(__name__)
T = TypeVar("T")
Write = Callable[[StockTx], Any]
Key = tuple[str, str]
Item = tuple[Write, "Future[Any]", bool, tuple[Key, ...]]


class GroupCommitter:
    """Runs writes from many threads in shared transactions on one writer thread."""

    def __init__(
        self,
        store: Store,
        solo: Callable[[Write], Any],
        *,
        max_batch: int = 128,
        idle_seconds: float = 0.25,
        after_batch: Callable[[], object] | None = None,
        end_of_batch: Callable[[StockTx], object] | None = None,
    ) -> None:
        self.store = store
        self._solo = solo
        self._after = after_batch
        self._end = end_of_batch
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.Queue[Item] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._hold = store.stock.serial_writers  # one writer at a time: keep its connection

    def submit(
        self,
        write: Callable[[StockTx], T],
        *,
        savepoint: bool = True,
        locks: Iterable[Key] = (),
    ) -> T:
        """Run ``write`` in a shared transaction; its result once that commits (or its error).

        ``savepoint=False`` saves two statements for a write that refuses (raises a
        :class:`CrossdockError`) only before it writes anything, or after writes that
        stand on their own; a database error in it fails the whole batch instead.
        ``locks`` are the positions (SKU, location) it locks, in any order (they are
        sorted here): a batch is sorted by each write's first, and on PostgreSQL
        locks them all first when there are several (see the module's docstring),
        so two writers' batches do not deadlock.
        """
        result: T = self._enqueue(write, savepoint, locks).result()
        return result

    async def submit_async(
        self,
        write: Callable[[StockTx], T],
        *,
        savepoint: bool = True,
        locks: Iterable[Key] = (),
    ) -> T:
        """:meth:`submit` for a caller on an event loop: it awaits the answer, no thread waits."""
        result: T = await asyncio.wrap_future(self._enqueue(write, savepoint, locks))
        return result

    def _enqueue(
        self, write: Callable[[StockTx], Any], savepoint: bool, locks: Iterable[Key]
    ) -> Future[Any]:
        fut: Future[Any] = Future()
        self._queue.put((write, fut, savepoint, tuple(sorted(set(locks)))))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="availability-writer", daemon=True
                )
                self._thread.start()
        return fut

    def _take(self, first: Item) -> list[Item]:
        items = [first]
        while len(items) < self.max_batch:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        items.sort(key=lambda item: item[3][:1])
        return items

    def _lock_first(self, stx: StockTx, items: list[Item]) -> None:
        """PostgreSQL: lock every position the batch's writes name, in one sorted statement."""
        if stx.serial_writers:
            return  # SQLite: the write transaction already excludes every other writer
        if len(items) < 2:
            return  # one write locks its own positions in order already
        keys = {k for item in items for k in item[3]}
        if len(keys) > 1:
            stx.positions(sorted(keys))

    def _run(self) -> None:
        conn: WriteSession | None = None
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self.idle_seconds)
                except queue.Empty:
                    if conn is not None:  # idle: give the connection back, keep waiting
                        conn.close()
                        conn = None
                        continue
                    with self._lock:
                        if self._queue.empty():
                            self._thread = None
                            return
                    continue
                items = self._take(first)
                try:
                    if conn is None:
                        conn = self.store.stock.session()
                    if not self._batch(conn, items):
                        conn.discard()
                        conn = None
                    elif not self._hold:  # a pooled backend: the pool keeps it warm
                        conn.close()
                        conn = None
                except BaseException as exc:  # no connection at all: every caller hears it
                    for _, fut, _sp, _o in items:
                        if not fut.done():
                            fut.set_exception(exc)
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def _batch(self, conn: WriteSession, items: list[Item]) -> bool:
        """One shared transaction; False when it failed as a whole (the connection is suspect)."""
        done: list[tuple[Future[Any], Any, BaseException | None]] = []
        again: list[tuple[Write, Future[Any]]] = []
        try:
            with conn.transaction() as stx:
                self._lock_first(stx, items)
                for write, fut, savepoint, _o in items:
                    if not savepoint:
                        try:
                            done.append((fut, write(stx), None))
                        except CrossdockError as exc:
                            done.append((fut, None, exc))
                        continue
                    try:
                        with stx.savepoint():
                            done.append((fut, write(stx), None))
                    except CrossdockError as exc:
                        done.append((fut, None, exc))
                    except StoreError:
                        again.append((write, fut))
                self._end_of_batch(stx)
        except BaseException as exc:  # the batch as a whole failed: every write alone
            log.info("availability batch of %d failed (%s); running each alone", len(items), exc)
            for write, fut, _sp, _o in items:
                self._alone(write, fut)
            return False
        for write, fut in again:
            self._alone(write, fut)
        if self._after is not None:  # before the answers: a caller sees its change published
            try:
                self._after()
            except Exception:  # the queue keeps it; the next drain publishes it
                log.exception("availability publish drain failed; it will be retried")
        for fut, result, error in done:
            if error is None:
                fut.set_result(result)
            else:
                fut.set_exception(error)
        return True

    def _end_of_batch(self, stx: StockTx) -> None:
        """The batch's last step (publishing) in a savepoint: its failure fails no write."""
        if self._end is None:
            return
        try:
            with stx.savepoint():
                self._end(stx)
        except Exception:  # rolled back to the savepoint; after_batch tries again after commit
            log.exception("availability end-of-batch step failed; it runs again after the commit")

    def _alone(self, write: Write, fut: Future[Any]) -> None:
        try:
            fut.set_result(self._solo(write))
        except BaseException as exc:
            fut.set_exception(exc)


__all__ = ["GroupCommitter"]
