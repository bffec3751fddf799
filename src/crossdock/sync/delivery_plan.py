"""Planning one delivery batch: what a window of outbox events comes to, decided without I/O.

:func:`plan_batch` turns the events a route reads after its cursor into the
deliveries to push: the newest version of each entity (compaction), nothing
for an entity whose every change in the window came from the destination
itself (no echo) or touched no field the route sends, a withdrawal (a
delete) for a record that left the route's filter, and a parked row behind
an entity already parked on the route. :func:`settle_batch` turns the
destination's answers into what the batch's one transaction records.

What they need from the store (which entities are parked, their native ids
in the destination, whether the version before the window passed the
filter) comes in as arguments, so the rules are property-tested without a
database (``tests/property/test_delivery_plan.py``) and the worker
(:mod:`crossdock.sync.delivery`) only reads, pushes and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from crossdock.config.hub import RouteConfig
from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import EventRow
from crossdock.sync.projection import changes_filter, passes_filter, project, touches

EntityKey = tuple[EntityType, str]
PARKED_BEHIND = "parked behind an earlier version"


def delivery_id(route: str, entity_type: EntityType, entity_id: str, version: int) -> str:
    return f"{route}:{entity_type.value}:{entity_id}:v{version}"


@dataclass(slots=True)
class BatchPlan:
    """The deliveries of one window, and what is not sent."""

    to_send: list[tuple[EventRow, Delivery]] = field(default_factory=list)
    behind: list[tuple[EventRow, Delivery]] = field(default_factory=list)
    """Versions of entities parked on the route: they park behind the earlier one."""
    skipped: int = 0
    """Entities with nothing for the destination (its own echo, no field it takes, filtered out)."""


@dataclass(frozen=True, slots=True)
class Park:
    """One parked row to write."""

    event: EventRow
    delivery: Delivery
    code: str
    error: str
    attempts: int


@dataclass(slots=True)
class Settlement:
    """What the batch's transaction records once the destination has answered."""

    delivered: list[Delivery] = field(default_factory=list)
    native_ids: list[tuple[Delivery, str]] = field(default_factory=list)
    """Deliveries the destination answered with its own id: they go into the crosswalk."""
    parked: list[Park] = field(default_factory=list)


def plan_batch(
    route: RouteConfig,
    events: Sequence[EventRow],
    *,
    parked: Collection[str],
    native_ids: Mapping[EntityKey, str],
    passed_before: Callable[[EventRow, int], bool],
) -> BatchPlan:
    """The deliveries for ``events``, a window read in outbox order.

    ``parked``: entity ids parked on the route. ``native_ids``: the destination's id
    for each entity it knows. ``passed_before(event, first_version)``: whether the
    version before ``first_version`` (the window's first of that entity) passed the
    route's filter, i.e. the destination probably holds the record.
    """
    newest: dict[EntityKey, EventRow] = {}
    first: dict[EntityKey, int] = {}
    foreign: set[EntityKey] = set()
    filter_moved: set[EntityKey] = set()
    for ev in events:
        key = (ev.entity_type, ev.entity_id)
        newest[key] = ev
        first.setdefault(key, ev.version)
        if ev.source_system == route.destination:
            continue
        if touches(route, ev.changed):
            foreign.add(key)
        if changes_filter(route, ev.changed):
            foreign.add(key)
            filter_moved.add(key)
    plan = BatchPlan()
    for key, ev in newest.items():
        if key not in foreign:
            plan.skipped += 1
            continue
        if key[1] in parked:
            plan.behind.append((ev, _as_stored(route, ev)))
            continue
        op = ev.op
        if op is ChangeOp.UPSERT and not passes_filter(route, ev.data):
            if key not in filter_moved or not passed_before(ev, first[key]):
                plan.skipped += 1
                continue
            op = ChangeOp.DELETE  # it left the filter: withdraw it from the destination
        data = project(route, ev.data) if op is ChangeOp.UPSERT else {}
        plan.to_send.append(
            (
                ev,
                Delivery(
                    delivery_id=delivery_id(route.name, ev.entity_type, ev.entity_id, ev.version),
                    route=route.name,
                    entity_type=ev.entity_type,
                    entity_id=ev.entity_id,
                    version=ev.version,
                    op=op,
                    data=data,
                    native_id=native_ids.get(key),
                    event_time=ev.time,
                    source_system=ev.source_system,
                ),
            )
        )
    return plan


def _as_stored(route: RouteConfig, ev: EventRow) -> Delivery:
    """The event as it would have gone out, for its parked row (replayed from there)."""
    return Delivery(
        delivery_id(route.name, ev.entity_type, ev.entity_id, ev.version),
        route.name,
        ev.entity_type,
        ev.entity_id,
        ev.version,
        ev.op,
        ev.data,
        None,
        ev.time,
        ev.source_system,
    )


def settle_batch(
    plan: BatchPlan,
    results: Mapping[str, DeliveryResult],
    attempts: Mapping[str, int],
) -> Settlement:
    """Sort the answers: delivered (with the ids the destination gave), or parked."""
    out = Settlement()
    for ev, d in plan.to_send:
        res = results[d.delivery_id]
        if res.status is DeliveryStatus.DELIVERED:
            out.delivered.append(d)
            if res.native_id:
                out.native_ids.append((d, res.native_id))
        else:
            out.parked.append(
                Park(
                    ev,
                    d,
                    res.code or ErrorCode.PERMANENT,
                    res.error or "",
                    attempts.get(d.delivery_id, 1),
                )
            )
    out.parked.extend(Park(ev, d, ErrorCode.PERMANENT, PARKED_BEHIND, 0) for ev, d in plan.behind)
    return out


__all__ = [
    "PARKED_BEHIND",
    "BatchPlan",
    "Park",
    "Settlement",
    "delivery_id",
    "plan_batch",
    "settle_batch",
]
