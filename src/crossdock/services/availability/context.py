"""What the store-backed parts of the availability service share: config, store, publisher.

Also the checks every entry point makes the same way (a known location, a
known channel) and the retry of a write transaction that lost a race the
database detected (a PostgreSQL deadlock or serialization failure, a unique
key taken by a concurrent writer with the same idempotency key).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from crossdock.config.availability import AvailabilityConfig, ChannelRule
from crossdock.errors import InvalidInput, NotFound
from crossdock.services.availability.committer import GroupCommitter
from crossdock.services.availability.publisher import Publisher
from crossdock.store import Store, StoreConflict, StoreError
from crossdock.store.availability import StockStore, StockTx

T = TypeVar("T")
log = logging.getLogger(__name__)


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(f"{field}: a time zone is required (e.g. 'Z')", field=field)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"{field}: {value} is out of range", field=field) from None


@dataclass(slots=True)
class Context:
    store: Store
    stock: StockStore
    config: AvailabilityConfig
    publisher: Publisher
    committer: GroupCommitter | None = None

    def __post_init__(self) -> None:
        if self.committer is None and self.config.group_commit:
            self.committer = GroupCommitter(
                self.store,
                self.solo,
                after_batch=self.publisher.drain_if_pending,
                end_of_batch=self.publisher.publish_in,
            )

    def write(
        self,
        work: Callable[[StockTx], T],
        *,
        savepoint: bool = True,
        locks: Iterable[tuple[str, str]] = (),
    ) -> T:
        """Run ``work`` inside a write transaction: shared with others (group commit) or alone.

        See :meth:`GroupCommitter.submit` for ``savepoint`` and ``locks``.
        """
        if self.committer is not None:  # its writer drains after each batch, then answers
            return self.committer.submit(work, savepoint=savepoint, locks=locks)
        out = self.solo(work)
        try:
            self.publisher.drain_if_pending()
        except Exception:  # committed already; the queue keeps it for the next drain
            log.exception("availability publish drain failed; it will be retried")
        return out

    async def write_async(
        self,
        work: Callable[[StockTx], T],
        *,
        savepoint: bool = True,
        locks: Iterable[tuple[str, str]] = (),
    ) -> T:
        """:meth:`write` awaited on an event loop (an API route): the writer thread answers it.

        Without group commit the write runs in a worker thread, as a plain route would.
        """
        if self.committer is not None:
            return await self.committer.submit_async(work, savepoint=savepoint, locks=locks)
        return await asyncio.to_thread(self.write, work, savepoint=savepoint, locks=locks)

    def solo(self, work: Callable[[StockTx], T]) -> T:
        """Run ``work`` in a write transaction of its own, again if the database lost a race."""

        def once() -> T:
            with self.stock.write() as stx:
                return work(stx)

        return self.retry(once)

    def check_location(self, location: str, field: str = "location") -> None:
        if self.config.locations and location not in self.config.locations:
            known = ", ".join(self.config.locations)
            raise InvalidInput(
                f"{field}: unknown location {location!r}; known: {known}",
                field=field,
            )

    def channel_rule(self, channel: str | None, field: str = "channel") -> ChannelRule | None:
        if channel is None:
            return None
        rule = self.config.channel(channel)
        if rule is None:
            known = ", ".join(c.name for c in self.config.channels) or "none configured"
            raise NotFound(f"{field}: unknown channel {channel!r} (known: {known})")
        return rule

    def retry(self, work: Callable[[], T], attempts: int = 6) -> T:
        """Run ``work`` (one write transaction) again when the database says it lost a race."""
        for attempt in range(1, attempts + 1):
            try:
                return work()
            except StoreConflict:
                if attempt == attempts:
                    raise
            except StoreError as exc:
                if attempt == attempts or not self.store.is_transient(exc):
                    raise
            time.sleep(0.002 * 2**attempt)
        raise AssertionError("unreachable")


__all__ = ["Context", "as_utc", "now_utc"]
