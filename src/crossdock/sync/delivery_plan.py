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
from crossdock.store.repos.receipts import NewReceipt, ReceiptOutcome
from crossdock.sync.projection import (
    changes_filter,
    passes_filter,
    project,
    touches,
    visible_changes,
)

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
    if route.every_version:
        return _plan_every_version(
            route, events, parked=parked, native_ids=native_ids, passed_before=passed_before
        )
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
        relevant, moved = _concerns(route, ev)
        if relevant:
            foreign.add(key)
        if moved:
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
        plan.to_send.append((ev, _outgoing(route, ev, op, native_ids.get(key))))
    return plan


def _concerns(route: RouteConfig, ev: EventRow) -> tuple[bool, bool]:
    """Whether a foreign change is something for the destination; whether it moved the filter.

    A change of masked fields alone is nothing to the destination; a change of a filtered
    field always is (the record may have entered or left the route).
    """
    visible = visible_changes(route, ev.entity_type, ev.changed)
    moved = changes_filter(route, ev.changed)
    return ((visible or not ev.changed) and touches(route, visible)) or moved, moved


def _outgoing(route: RouteConfig, ev: EventRow, op: ChangeOp, native_id: str | None) -> Delivery:
    if op is ChangeOp.UPSERT:
        data = project(route, ev.data, ev.entity_type)
    elif ev.op is ChangeOp.DELETE and "merged_into" in ev.data:
        # merged into another record: the receiver can redirect this id to that one
        data = {"merged_into": ev.data["merged_into"]}
    else:
        data = {}
    return Delivery(
        delivery_id=delivery_id(route.name, ev.entity_type, ev.entity_id, ev.version),
        route=route.name,
        entity_type=ev.entity_type,
        entity_id=ev.entity_id,
        version=ev.version,
        op=op,
        data=data,
        native_id=native_id,
        event_time=ev.time,
        source_system=ev.source_system,
        traceparent=ev.traceparent,
    )


def _plan_every_version(
    route: RouteConfig,
    events: Sequence[EventRow],
    *,
    parked: Collection[str],
    native_ids: Mapping[EntityKey, str],
    passed_before: Callable[[EventRow, int], bool],
) -> BatchPlan:
    """Every version in outbox order (compaction off), with the same echo, field and filter rules.

    A version that leaves the filter withdraws the record only when the version before
    it passed (the one before the window: ``passed_before``; in the window: as planned).
    """
    plan = BatchPlan()
    passed: dict[EntityKey, bool] = {}
    for ev in events:
        key = (ev.entity_type, ev.entity_id)
        before = passed.get(key)
        now_in = ev.op is ChangeOp.UPSERT and passes_filter(route, ev.data)
        passed[key] = now_in
        relevant, moved = _concerns(route, ev)
        if ev.source_system == route.destination or not relevant:
            plan.skipped += 1
            continue
        if key[1] in parked:
            plan.behind.append((ev, _as_stored(route, ev)))
            continue
        op = ev.op
        if op is ChangeOp.UPSERT and not now_in:
            was_in = before if before is not None else passed_before(ev, ev.version)
            if not (moved and was_in):
                plan.skipped += 1
                continue
            op = ChangeOp.DELETE
        plan.to_send.append((ev, _outgoing(route, ev, op, native_ids.get(key))))
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
        ev.traceparent,
    )


def settle_batch(
    plan: BatchPlan,
    results: Mapping[str, DeliveryResult],
    attempts: Mapping[str, int],
) -> Settlement:
    """Sort the answers: delivered (with the ids the destination gave), or parked."""
    out = Settlement()
    failed: set[str] = set()
    for ev, d in plan.to_send:
        res = results[d.delivery_id]
        if d.entity_id in failed:  # a version after a refused one (compaction off): behind it
            out.parked.append(Park(ev, d, ErrorCode.PERMANENT, PARKED_BEHIND, 0))
            continue
        if res.status is DeliveryStatus.DELIVERED:
            out.delivered.append(d)
            if res.native_id:
                out.native_ids.append((d, res.native_id))
            out.native_ids.extend((d, also) for also in res.also_native_ids)
        else:
            failed.add(d.entity_id)
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


def receipt_of(d: Delivery, res: DeliveryResult) -> NewReceipt:
    """The receipt of one answered delivery."""
    if res.status is DeliveryStatus.DELIVERED:
        return _receipt(d, ReceiptOutcome.DELIVERED, res.native_id, reference=res.reference)
    code = None if res.code is None else str(res.code)
    return _receipt(d, ReceiptOutcome.PARKED, res.native_id, error=res.error, code=code)


def receipts_of(settled: Settlement, results: Mapping[str, DeliveryResult]) -> list[NewReceipt]:
    """Receipts for a settled batch, each entity's versions in order."""
    out = [receipt_of(d, results[d.delivery_id]) for d in settled.delivered]
    out += [
        _receipt(p.delivery, ReceiptOutcome.PARKED, None, error=p.error, code=str(p.code))
        for p in settled.parked
    ]
    return sorted(out, key=lambda r: (r.entity_id, r.version))


def _receipt(
    d: Delivery,
    outcome: ReceiptOutcome,
    native_id: str | None,
    *,
    reference: str | None = None,
    error: str | None = None,
    code: str | None = None,
) -> NewReceipt:
    return NewReceipt(
        route=d.route,
        entity_type=d.entity_type,
        entity_id=d.entity_id,
        version=d.version,
        op=d.op,
        outcome=outcome,
        native_id=native_id or d.native_id,
        reference=reference,
        error=error,
        code=code,
    )


__all__ = [
    "PARKED_BEHIND",
    "BatchPlan",
    "Park",
    "Settlement",
    "delivery_id",
    "plan_batch",
    "receipt_of",
    "receipts_of",
    "settle_batch",
]
