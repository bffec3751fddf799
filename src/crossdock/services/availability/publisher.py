"""Publishing availability changes to channel routes, through ingest and the outbox.

When a position's ATP moves in a way the publish rule cares about (see
:mod:`.publish`), the decision is written with the stock change itself (the
published figure on the position and a row in ``atp_publish_queue``, one
transaction). A group-commit batch then ingests the queue as its last step,
in the same transaction (:meth:`Publisher.publish_in`); a write alone, or a
batch whose last step failed, drains the queue right after its commit. Either
way it ingests, in one batch, an ``inventory`` change per queued position from the
pseudo-system ``availability.publish_system`` (``crossdock-atp``) carrying
its current ATP and what each channel may promise. Routes that carry
inventory deliver it like any other change. A process that dies between a
write alone and its drain leaves the queue row, and the next drain publishes
it: nothing is lost. A batch takes the outbox's lock only in its last step,
as long as a drain of its own would hold it.

Ownership: the publisher's own ingestor owns ``available`` and
``available_by_channel`` and shares ``sku`` and ``location`` (needed to find
the record by its natural key), whatever the hub file says about inventory;
no other field is ever sent by it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability.buckets import Buckets, from_units, to_units
from crossdock.services.availability.channels import channel_atp
from crossdock.services.availability.publish import should_publish
from crossdock.store import Store
from crossdock.store.availability import PositionRow, StockTx
from crossdock.sync.ingest import Ingestor

PUBLISHED_FIELDS = ("available", "available_by_channel")


def buckets_of(row: PositionRow) -> Buckets:
    return Buckets.from_stored(
        row.on_hand, row.allocated, row.reserved, row.safety_stock, row.on_hold
    )


def _publisher_hub(hub: HubConfig, system: str) -> HubConfig:
    ownership = dict(hub.ownership)
    rule = ownership.get(EntityType.INVENTORY)
    if rule is not None:
        fields = dict(rule.fields)
        fields.update({f: system for f in PUBLISHED_FIELDS})
        fields.update({"sku": "*", "location": "*"})
        create = None if rule.create is None else [*rule.create, system]
        ownership[EntityType.INVENTORY] = EntityOwnership(
            owner=rule.owner, fields=fields, non_owner=rule.non_owner, create=create
        )
    return hub.model_copy(update={"ownership": ownership})


class Publisher:
    """Decides in the caller's write transaction; emits right after it, in batches."""

    def __init__(self, store: Store, hub: HubConfig, config: AvailabilityConfig) -> None:
        self.store = store
        self.config = config
        self.system = config.publish_system
        self.ingestor = Ingestor(store, _publisher_hub(hub, self.system))
        self.pending = threading.Event()
        self._draining = threading.Lock()

    def channels_of(self, atp: Decimal, location: str) -> dict[str, Decimal]:
        return {c.name: channel_atp(atp, c, location) for c in self.config.channels}

    def flush(self, stx: StockTx, rows: Iterable[PositionRow]) -> int:
        """Queue what the rule says of ``rows`` for publishing (the latest row per position)."""
        latest: dict[tuple[str, str], PositionRow] = {}
        for row in rows:
            latest[(row.sku, row.location)] = row
        marks: list[tuple[str, str, int]] = []
        for key in sorted(latest):
            row = latest[key]
            atp = buckets_of(row).atp
            previous = None if row.published_atp is None else from_units(row.published_atp)
            if should_publish(previous, atp, self.config.publish):
                marks.append((row.sku, row.location, to_units(atp, "atp")))
        if marks:
            stx.mark_published(marks, datetime.now(UTC))
            self.pending.set()
        return len(marks)

    def drain(self, limit: int = 64) -> int:
        """Ingest the queued positions' current ATP as inventory changes; how many.

        In transactions of at most ``limit`` positions: a writer marking one of them
        again waits for the drain's commit, so a drain stays short.
        """
        total = 0
        while True:
            self.pending.clear()
            with self.store.write() as tx:
                taken = self._publish(StockTx(tx), limit)
            total += taken
            if taken < limit:
                return total

    def publish_in(self, stx: StockTx, limit: int = 1024) -> int:
        """Ingest what is queued inside the caller's write transaction; how many.

        A group-commit batch calls this last, so its changes are published in the
        commit that makes them (no second transaction, no second commit). If more
        than ``limit`` are queued, the flag stays up for a drain after the commit.
        Nothing queued in this process since the last take (the flag is down): no
        statement at all. A queue row another process left (it died before its
        drain) is sent by that process's next batch or by a sync pass's drain.
        """
        if not self.pending.is_set():
            return 0
        self.pending.clear()
        try:
            taken = self._publish(stx, limit)
        except BaseException:  # the caller rolls it back; a drain after the commit retries
            self.pending.set()
            raise
        if taken >= limit:
            self.pending.set()
        return taken

    def _publish(self, stx: StockTx, limit: int) -> int:
        rows = stx.take_publish(limit)
        if rows:
            self.ingestor.apply_in(stx.tx, [self._change(r) for r in rows])
        return len(rows)

    def drain_if_pending(self) -> int:
        """Drain when something was queued; one thread of the process at a time.

        A thread that finds another draining leaves it to that one, which looks at
        the flag again when it is done, so nothing queued here waits for a later write.
        """
        total = 0
        while self.pending.is_set():
            if not self._draining.acquire(blocking=False):
                return total
            try:
                total += self.drain()
            finally:
                self._draining.release()
        return total

    def _change(self, row: PositionRow) -> Change:
        atp = buckets_of(row).atp
        return Change(
            system=self.system,
            entity_type=EntityType.INVENTORY,
            native_id=f"{row.sku}@{row.location}",
            data={
                "sku": row.sku,
                "location": row.location,
                "available": format(atp, "f"),
                "available_by_channel": {
                    k: format(v, "f") for k, v in self.channels_of(atp, row.location).items()
                },
            },
            idempotency_key=f"atp:{row.sku}@{row.location}:v{row.version}",
        )


__all__ = ["PUBLISHED_FIELDS", "Publisher", "buckets_of"]
