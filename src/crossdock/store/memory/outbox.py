"""The twin's outbox, route cursors and parked deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from crossdock.model.base import EntityType
from crossdock.store.memory.state import MemoryTx, Tables, now
from crossdock.store.records import EventRow, ParkedRow, ParkedStatus, RouteCursor
from crossdock.store.repos.parked import NewParked


class MemoryOutbox:
    """:class:`~crossdock.store.protocols.Outbox` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _matching(
        self,
        after: int,
        entity_types: Sequence[EntityType] | None,
        partition: tuple[int, int] | None,
    ) -> list[EventRow]:
        def keep(e: EventRow) -> bool:
            n = partition[1] if partition is not None else 1
            if partition is not None and n > 1 and self._t.buckets[e.seq] % n != partition[0]:
                return False
            return not entity_types or e.entity_type in entity_types

        return [e for e in self._t.events if e.seq > after and keep(e)]

    def after(
        self,
        after: int,
        *,
        limit: int = 500,
        entity_types: Sequence[EntityType] | None = None,
        entity_id: str | None = None,
        partition: tuple[int, int] | None = None,
    ) -> list[EventRow]:
        found = self._matching(after, entity_types, partition)
        if entity_id is not None:
            found = [e for e in found if e.entity_id == entity_id]
        return found[:limit]

    def history(self, entity_type: EntityType, entity_id: str, limit: int = 1000) -> list[EventRow]:
        mine = [
            e for e in self._t.events if e.entity_type is entity_type and e.entity_id == entity_id
        ]
        return sorted(mine, key=lambda e: e.version)[:limit]

    def previous(
        self, entity_type: EntityType, entity_id: str, before_version: int
    ) -> EventRow | None:
        older = [
            e
            for e in self._t.events
            if e.entity_type is entity_type
            and e.entity_id == entity_id
            and e.version < before_version
        ]
        return max(older, key=lambda e: e.version) if older else None

    def count_after(
        self,
        after: int,
        *,
        entity_types: Sequence[EntityType] | None = None,
        partition: tuple[int, int] | None = None,
    ) -> int:
        return len(self._matching(after, entity_types, partition))

    def last_seq(self) -> int:
        return self._t.events[-1].seq if self._t.events else 0

    def event_time(self, seq: int) -> datetime | None:
        return next((e.time for e in self._t.events if e.seq == seq), None)

    def first_seq_since(self, since: datetime) -> int | None:
        return next((e.seq for e in self._t.events if e.time >= since), None)

    def count_by_source(self, edges: Sequence[datetime]) -> dict[str | None, list[int]]:
        out: dict[str | None, list[int]] = {}
        for e in self._t.events:
            for i in range(len(edges) - 1):
                if edges[i] <= e.time < edges[i + 1]:
                    out.setdefault(e.source_system, [0] * (len(edges) - 1))[i] += 1
                    break
        return out

    def count(self) -> int:
        return len(self._t.events)


class MemoryCursors:
    """:class:`~crossdock.store.protocols.Cursors` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def get(self, route: str, partition: int = 0) -> RouteCursor:
        found = self._t.cursors.get((route, partition))
        return found or RouteCursor(route=route, position=0, partition=partition)

    def of_route(self, route: str) -> list[RouteCursor]:
        return sorted(
            (c for (r, _), c in self._t.cursors.items() if r == route), key=lambda c: c.partition
        )

    def save(
        self,
        tx: MemoryTx,
        route: str,
        position: int,
        *,
        partition: int = 0,
        success: bool,
        delivered: int,
        error: str | None,
    ) -> None:
        at = now()
        old = self.get(route, partition)
        self._t.cursors[(route, partition)] = replace(
            old,
            position=position,
            updated_at=at,
            last_success_at=at if success else old.last_success_at,
            last_error=error,
            delivered=old.delivered + delivered,
        )

    def move_by_hand(
        self, route: str, position: int, *, partitions: int = 1, actor: str, reason: str
    ) -> None:
        tx = MemoryTx(self._t)
        for p in range(partitions):
            self.save(tx, route, position, partition=p, success=False, delivered=0, error=None)
        tx.audit(actor, "route.cursor.set", route, {"position": position, "reason": reason})


class MemoryParked:
    """:class:`~crossdock.store.protocols.Parked` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def page(
        self,
        route: str | None = None,
        status: ParkedStatus = ParkedStatus.PARKED,
        limit: int = 100,
        entity_id: str | None = None,
    ) -> list[ParkedRow]:
        found = [
            p
            for p in self._t.parked
            if p.status is status
            and (route is None or p.route == route)
            and (entity_id is None or p.entity_id == entity_id)
        ]
        return found[:limit]

    def count_by_route(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.page(limit=len(self._t.parked)):
            out[p.route] = out.get(p.route, 0) + 1
        return out

    def entities_parked(self, route: str, entity_ids: Sequence[str]) -> set[str]:
        wanted = set(entity_ids)
        return {p.entity_id for p in self.page(route, limit=len(self._t.parked))} & wanted

    def park(self, tx: MemoryTx, p: NewParked) -> None:
        self._t.parked.append(
            ParkedRow(
                id=len(self._t.parked) + 1,
                route=p.route,
                entity_type=p.entity_type,
                entity_id=p.entity_id,
                version=p.version,
                seq=p.seq,
                delivery_id=p.delivery_id,
                code=p.code,
                error=p.error[:4000],
                attempts=p.attempts,
                payload=p.payload,
                status=ParkedStatus.PARKED,
                parked_at=now(),
            )
        )

    def close(self, tx: MemoryTx, route: str, entity_id: str, status: ParkedStatus) -> int:
        moved = 0
        for i, p in enumerate(self._t.parked):
            if p.route == route and p.entity_id == entity_id and p.status is ParkedStatus.PARKED:
                self._t.parked[i] = replace(p, status=status)
                moved += 1
        return moved
