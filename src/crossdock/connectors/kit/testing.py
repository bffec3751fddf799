"""In-memory connector parts, and the contract every connector's source and destination keep.

:class:`MemorySource` and :class:`MemoryDestination` are a system in a few
lines, for unit tests of the engine. :class:`SourceContract` and
:class:`DestinationContract` are test classes a connector's test module
subclasses with a fixture giving a *harness* (a way to make the real system
hold changes, break, and show what it received); the same tests then run
against the in-memory pair and against every real connector, so "acks only
after commit" or "one result per delivery" means the same for all of them.

The contract, for sources: a unit that was not acknowledged is read again
(nothing is lost by a crash before the commit); an acknowledged unit is not;
every item is a change or a source error. For destinations: one result per
delivery, for exactly the deliveries pushed; pushing the same deliveries
again changes nothing the system holds (receivers apply each delivery id
once); a destination that cannot take a batch now raises ``RetryableError``
or answers ``retry``; one that refuses a record for good answers ``failed``
or raises ``PermanentError``.

Needs pytest (a test dependency): import it from tests only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest

from crossdock.connectors.base import (
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    InboundUnit,
    Source,
    SourceError,
    SourceItem,
)
from crossdock.errors import ErrorCode, PermanentError, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp


# -- the in-memory pair -------------------------------------------------------------------
@dataclass
class MemorySource:
    """Units of items waiting; a unit leaves only when acknowledged."""

    system: str
    waiting: list[tuple[str, list[SourceItem]]] = field(default_factory=list)

    def offer(self, name: str, items: list[SourceItem]) -> None:
        self.waiting.append((name, items))

    def pull(self) -> Iterator[InboundUnit]:
        for name, items in list(self.waiting):

            def ack(name: str = name) -> None:
                self.waiting = [(n, i) for n, i in self.waiting if n != name]

            yield InboundUnit(name=name, items=list(items), total=len(items), ack=ack)


@dataclass
class MemoryDestination:
    """Holds the newest delivered version per record; applies each delivery id once."""

    held: dict[tuple[EntityType, str], dict[str, Any]] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)
    redirects: dict[tuple[EntityType, str], str] = field(default_factory=dict)
    """A record merged into another: its id -> the id it lives on as (as a receiver keeps it)."""
    pushes: int = 0
    failing: str | None = None
    """``retryable`` or ``permanent``: how the next pushes fail."""

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        self.pushes += 1
        if self.failing == "retryable":
            raise RetryableError("the memory destination is down", code=ErrorCode.TRANSIENT)
        out: list[DeliveryResult] = []
        for d in batch:
            if self.failing == "permanent":
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error="refused",
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
                continue
            if d.delivery_id not in self.applied:
                self.applied.add(d.delivery_id)
                self.held[(d.entity_type, d.entity_id)] = dict(d.data)
                if d.op is ChangeOp.DELETE and "merged_into" in d.data:
                    self.redirects[(d.entity_type, d.entity_id)] = str(d.data["merged_into"])
            out.append(DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED))
        return out


# -- the contracts --------------------------------------------------------------------------
class SourceHarness(Protocol):
    """What a source's contract test needs of the system behind it."""

    source: Source

    def offer(self, names: list[str]) -> list[str]:
        """Make the system hold new records named so; the native ids the source will use."""
        ...


class DestinationHarness(Protocol):
    """What a destination's contract test needs of the system behind it."""

    destination: Any
    entity_type: EntityType

    def data(self, n: int) -> dict[str, Any]:
        """A record's canonical data the destination can take (its ``n``-th)."""
        ...

    def held(self) -> dict[str, Any]:
        """What the system holds now, by the canonical entity id it was sent under."""
        ...

    def break_(self, how: str) -> bool:
        """Make the next pushes fail ``retryable`` or ``permanent``; False if it cannot."""
        ...


def _changes(units: list[InboundUnit]) -> tuple[dict[str, set[str | None]], list[SourceItem]]:
    """Native id -> the idempotency keys it came with, and every item."""
    items = [i for u in units for i in u.items]
    keys: dict[str, set[str | None]] = {}
    for i in items:
        if isinstance(i, Change):
            keys.setdefault(i.native_id, set()).add(i.idempotency_key)
    return keys, items


class SourceContract:
    """Subclass with a ``harness`` fixture returning a :class:`SourceHarness`."""

    def test_every_item_is_a_change_or_a_source_error(self, harness: SourceHarness) -> None:
        harness.offer(["c-1", "c-2"])
        _, items = _changes(list(harness.source.pull()))
        assert items
        assert all(isinstance(i, Change | SourceError) for i in items)

    def test_a_unit_not_acknowledged_is_read_again(self, harness: SourceHarness) -> None:
        offered = set(harness.offer(["c-1", "c-2"]))
        first, _ = _changes(list(harness.source.pull()))  # a crash: no ack
        assert offered <= set(first)
        again, _ = _changes(list(harness.source.pull()))
        assert offered <= set(again)

    def test_an_acknowledged_unit_is_not_applied_again(self, harness: SourceHarness) -> None:
        """After an ack, earlier changes come back (an overlap window) only as themselves.

        With the idempotency keys they had, which ingest drops; a source without an
        overlap does not send them at all.
        """
        offered = set(harness.offer(["c-1", "c-2"]))
        first: dict[str, set[str | None]] = {}
        for unit in harness.source.pull():
            got, _ = _changes([unit])
            for nid, keys in got.items():
                first.setdefault(nid, set()).update(keys)
            unit.ack()
        assert offered <= set(first)
        newer = set(harness.offer(["c-3"]))
        later, _ = _changes(list(harness.source.pull()))
        assert newer <= set(later)
        for nid in offered & set(later):
            assert later[nid] <= first[nid], f"{nid} came back as a new change"


def _delivery(route: str, et: EntityType, n: int, data: dict[str, Any]) -> Delivery:
    entity_id = f"ent-{n}"
    return Delivery(
        delivery_id=f"{route}:{et.value}:{entity_id}:v1",
        route=route,
        entity_type=et,
        entity_id=entity_id,
        version=1,
        op=ChangeOp.UPSERT,
        data=data,
        native_id=None,
        event_time=datetime.now(UTC),
    )


class DestinationContract:
    """Subclass with a ``harness`` fixture returning a :class:`DestinationHarness`."""

    route = "contract"

    def _batch(self, harness: DestinationHarness, n: int = 3) -> list[Delivery]:
        return [_delivery(self.route, harness.entity_type, i, harness.data(i)) for i in range(n)]

    def test_one_result_per_delivery(self, harness: DestinationHarness) -> None:
        batch = self._batch(harness)
        results = harness.destination.push(batch)
        assert sorted(r.delivery_id for r in results) == sorted(d.delivery_id for d in batch)
        assert all(r.status is DeliveryStatus.DELIVERED for r in results), results

    def test_pushing_again_changes_nothing(self, harness: DestinationHarness) -> None:
        batch = self._batch(harness)
        harness.destination.push(batch)
        once = harness.held()
        results = harness.destination.push(batch)  # at-least-once: the same deliveries again
        assert all(r.status is DeliveryStatus.DELIVERED for r in results)
        assert harness.held() == once
        assert len(once) == len(batch)

    def test_a_destination_that_cannot_take_it_now_asks_for_a_retry(
        self, harness: DestinationHarness
    ) -> None:
        if not harness.break_("retryable"):
            pytest.skip("this destination has no way to be unavailable here")
        batch = self._batch(harness)
        try:
            results = harness.destination.push(batch)
        except RetryableError:
            return
        assert all(r.status is DeliveryStatus.RETRY for r in results), results

    def test_a_record_refused_for_good_fails(self, harness: DestinationHarness) -> None:
        if not harness.break_("permanent"):
            pytest.skip("this destination refuses no record for good")
        batch = self._batch(harness, 1)
        try:
            results = harness.destination.push(batch)
        except PermanentError:
            return
        assert [r.status for r in results] == [DeliveryStatus.FAILED]
        assert results[0].error


__all__ = [
    "DestinationContract",
    "DestinationHarness",
    "MemoryDestination",
    "MemorySource",
    "SourceContract",
    "SourceHarness",
]
