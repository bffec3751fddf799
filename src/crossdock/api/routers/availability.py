"""Availability: ATP per SKU x location and channel, sourcing plans, reservations, feeds.

``GET /v1/availability`` answers what can be promised (with the buckets it
comes from, per location, per channel, optionally projected to a date);
``POST /v1/availability/source`` plans the sourcing of order lines for a
ship-to; ``/v1/reservations`` reserves, confirms, releases and sweeps;
``POST /v1/availability/events`` and ``/snapshots`` take the WMS and ERP
feeds; ``GET /v1/availability/drift`` and ``/freshness`` report on them.
Quantities travel as decimal strings.

The hot routes (reading ATP, taking WMS events, reserving) are ``async``: a
plain ``def`` route costs FastAPI two thread-pool hops (the call and the
response check), which cost more than the work. Their writes are awaited
from the service's writer thread; the ATP read runs in the pool.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from crossdock.api.auth import Admin, Principal, Reader, Writer, forbidden
from crossdock.api.deps import NO_CONTROL, AvailabilityDep, HubDep, Limit
from crossdock.api.exactjson import ExactJSONRoute
from crossdock.api.problems import problem_responses
from crossdock.errors import InvalidInput
from crossdock.model.values import DecimalValue, NonNegativeDecimal
from crossdock.services.availability import (
    AvailabilityService,
    ErpSnapshot,
    EventKind,
    LineOutcome,
    LinePlan,
    Reservation,
    ReservationStatus,
    ReserveRequest,
    Resolution,
    SkuAvailability,
    SourceRequest,
    WmsEvent,
    from_units,
)
from crossdock.services.availability.context import now_utc
from crossdock.services.availability.publisher import buckets_of
from crossdock.sync.runtime import Hub

router = APIRouter(
    prefix="/availability",
    route_class=ExactJSONRoute,
    tags=["availability"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
reservations_router = APIRouter(
    prefix="/reservations",
    route_class=ExactJSONRoute,
    tags=["availability"],
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)

MAX_SKUS = 200
"""SKUs one ATP read may name (``sku`` repeated); :mod:`crossdock.api.hot` admits the same."""
MAX_LOCATIONS = 100
"""Locations one ATP read may name (``location`` repeated)."""

Code64 = Annotated[str, Query(min_length=1, max_length=64, pattern=NO_CONTROL)]
ReservationId = Annotated[
    str, Path(min_length=1, max_length=40, pattern=NO_CONTROL, description="reservation id")
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BucketsOut(_Out):
    on_hand: DecimalValue
    allocated: NonNegativeDecimal
    reserved: NonNegativeDecimal
    safety_stock: NonNegativeDecimal
    on_hold: NonNegativeDecimal


class InboundOut(_Out):
    reference: str
    kind: str
    quantity: NonNegativeDecimal
    eta: date


class ProjectionPoint(_Out):
    date: date
    atp: NonNegativeDecimal


class LocationOut(_Out):
    location: str
    buckets: BucketsOut
    atp: NonNegativeDecimal = Field(description="on hand - allocated - reserved - safety - hold")
    channel_atp: NonNegativeDecimal | None = Field(description="what the asked channel sees")
    channels: dict[str, NonNegativeDecimal] = Field(description="every channel's view")
    projected_atp: NonNegativeDecimal | None = Field(description="on the asked date")
    projection: list[ProjectionPoint] = Field(description="ATP from today, by inbound ETA")
    inbound: list[InboundOut]
    version: int
    last_event_at: datetime | None


class SkuOut(_Out):
    sku: str
    atp: NonNegativeDecimal
    channel_atp: NonNegativeDecimal | None
    projected_atp: NonNegativeDecimal | None
    locations: list[LocationOut]


class AvailabilityOut(_Out):
    channel: str | None
    date: date | None
    items: list[SkuOut]


def _sku_out(s: SkuAvailability) -> SkuOut:
    return SkuOut(
        sku=s.sku,
        atp=s.atp,
        channel_atp=s.channel_atp,
        projected_atp=s.projected_atp,
        locations=[
            LocationOut(
                location=x.location,
                buckets=BucketsOut(
                    on_hand=x.buckets.on_hand,
                    allocated=x.buckets.allocated,
                    reserved=x.buckets.reserved,
                    safety_stock=x.buckets.safety_stock,
                    on_hold=x.buckets.on_hold,
                ),
                atp=x.atp,
                channel_atp=x.channel_atp,
                channels=x.channels,
                projected_atp=x.projected_atp,
                projection=[ProjectionPoint(date=d, atp=q) for d, q in x.timeline],
                inbound=[
                    InboundOut(reference=i.reference, kind=i.kind, quantity=i.quantity, eta=i.eta)
                    for i in x.inbound
                ],
                version=x.version,
                last_event_at=x.last_event_at,
            )
            for x in s.locations
        ],
    )


@router.get("", response_model=AvailabilityOut, summary="Available to promise, with its buckets")
async def get_availability(
    svc: AvailabilityDep,
    _who: Reader,
    sku: Annotated[list[str], Query(min_length=1, max_length=MAX_SKUS, description="one or many")],
    location: Annotated[list[str] | None, Query(max_length=MAX_LOCATIONS)] = None,
    channel: Code64 | None = None,
    on: Annotated[date | None, Query(alias="date", description="project ATP to this date")] = None,
) -> AvailabilityOut:
    # A request of SKUs and locations alone is answered by crossdock.api.hot, the same
    # way (availability_answer), ahead of FastAPI's routing; this route answers the rest.
    return await availability_answer(svc, sku, location or [], channel, on)


def _code_problem(name: str, values: list[str]) -> InvalidInput | None:
    """The error for the first SKU or location that is blank, too long or has a control."""
    for i, s in enumerate(values):
        if not s.strip() or len(s) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in s):
            return InvalidInput(f"{name}.{i}: {s!r} is not a {name}", field=f"{name}.{i}")
    return None


async def availability_answer(
    svc: AvailabilityService,
    sku: list[str],
    location: list[str],
    channel: str | None,
    on: date | None,
) -> AvailabilityOut:
    """What ``GET /v1/availability`` answers (the store read runs in the worker pool)."""
    for name, values in (("sku", sku), ("location", location)):
        problem = _code_problem(name, values)
        if problem is not None:
            raise problem
    items = await run_in_threadpool(
        lambda: svc.availability(sku, locations=location, channel=channel, on=on)
    )
    return AvailabilityOut(channel=channel, date=on, items=[_sku_out(s) for s in items])


class AllocationOut(_Out):
    location: str
    sku: str
    quantity: NonNegativeDecimal
    substitute_for: str | None


class BackorderOut(_Out):
    sku: str
    quantity: NonNegativeDecimal
    location: str | None
    promise_date: date | None = Field(description="earliest inbound that covers it; null: none")


class LinePlanOut(_Out):
    line: str
    sku: str
    quantity: NonNegativeDecimal
    outcome: LineOutcome
    allocations: list[AllocationOut]
    backorder: BackorderOut | None


class SourcePlanOut(_Out):
    lines: list[LinePlanOut]


def _plan_out(p: LinePlan) -> LinePlanOut:
    b = p.backorder
    return LinePlanOut(
        line=p.line,
        sku=p.sku,
        quantity=p.quantity,
        outcome=p.outcome,
        allocations=[
            AllocationOut(
                location=a.location, sku=a.sku, quantity=a.quantity, substitute_for=a.substitute_for
            )
            for a in p.allocations
        ],
        backorder=None
        if b is None
        else BackorderOut(
            sku=b.sku, quantity=b.quantity, location=b.location, promise_date=b.promise_date
        ),
    )


@router.post(
    "/source",
    response_model=SourcePlanOut,
    summary="A sourcing plan for order lines and a ship-to (reserves nothing)",
)
def source(body: SourceRequest, svc: AvailabilityDep, _who: Reader) -> SourcePlanOut:
    return SourcePlanOut(lines=[_plan_out(p) for p in svc.source(body)])


class EventsIn(_Out):
    events: list[WmsEvent] = Field(min_length=1, max_length=1000)


class EventOut(_Out):
    idempotency_key: str
    duplicate: bool = Field(description="seen before: nothing was applied again")
    sku: str
    location: str
    kind: EventKind
    atp: NonNegativeDecimal | None
    version: int | None = Field(description="the position's version after the event")


class EventsOut(_Out):
    items: list[EventOut]


@router.post(
    "/events",
    response_model=EventsOut,
    summary="WMS inventory events (deltas, idempotent), applied in order in one transaction",
)
async def post_events(body: EventsIn, svc: AvailabilityDep, _who: Writer) -> EventsOut:
    # A well-formed request is answered by crossdock.api.hot, the same way
    # (events_answer), ahead of FastAPI's routing; this route answers the rest.
    return await events_answer(svc, body)


async def events_answer(svc: AvailabilityService, body: EventsIn) -> EventsOut:
    """What ``POST /v1/availability/events`` answers."""
    results = await svc.feeds.apply_wms_events_async(body.events)
    out: list[EventOut] = []
    for ev, res in zip(body.events, results, strict=True):
        out.append(
            EventOut(
                idempotency_key=ev.idempotency_key,
                duplicate=res.duplicate,
                sku=ev.sku,
                location=ev.location,
                kind=ev.kind,
                atp=buckets_of(res.position).atp if res.position else None,
                version=res.position.version if res.position else None,
            )
        )
    return EventsOut(items=out)


class SnapshotLineOut(_Out):
    sku: str
    location: str
    on_hand: DecimalValue = Field(description="on hand after reconciliation")
    expected: DecimalValue = Field(description="what events say on hand was at as_of")
    in_flight: DecimalValue = Field(description="event deltas after as_of")
    drift: DecimalValue = Field(description="snapshot - expected")
    resolution: Resolution
    reported: bool


class SnapshotOut(_Out):
    items: list[SnapshotLineOut]


@router.post(
    "/snapshots",
    response_model=SnapshotOut,
    summary="An ERP snapshot (absolute), reconciled with the event-fed state",
)
def post_snapshot(body: ErpSnapshot, svc: AvailabilityDep, _who: Writer) -> SnapshotOut:
    lines = svc.feeds.apply_erp_snapshot(body)
    return SnapshotOut(
        items=[
            SnapshotLineOut(
                sku=x.sku,
                location=x.location,
                on_hand=x.on_hand,
                expected=x.expected,
                in_flight=x.in_flight,
                drift=x.drift,
                resolution=x.resolution,
                reported=x.reported,
            )
            for x in lines
        ]
    )


class DriftOut(_Out):
    id: int
    sku: str
    location: str
    snapshot_as_of: datetime
    snapshot_on_hand: DecimalValue
    event_on_hand: DecimalValue
    in_flight: DecimalValue
    drift: DecimalValue
    resolution: str
    created_at: datetime


class DriftPage(_Out):
    items: list[DriftOut]


@router.get("/drift", response_model=DriftPage, summary="Drift per SKU x location, newest first")
def get_drift(
    svc: AvailabilityDep,
    _who: Reader,
    sku: Code64 | None = None,
    location: Code64 | None = None,
    limit: Limit = 100,
) -> DriftPage:
    rows = svc.stock.drift(sku=sku, location=location, limit=limit)
    return DriftPage(
        items=[
            DriftOut(
                id=r.id,
                sku=r.sku,
                location=r.location,
                snapshot_as_of=r.snapshot_as_of,
                snapshot_on_hand=from_units(r.snapshot_on_hand),
                event_on_hand=from_units(r.event_on_hand),
                in_flight=from_units(r.in_flight),
                drift=from_units(r.drift),
                resolution=r.resolution,
                created_at=r.created_at,
            )
            for r in rows
        ]
    )


class FreshnessOut(_Out):
    location: str
    last_event_at: datetime | None
    age_seconds: float | None


class FreshnessPage(_Out):
    items: list[FreshnessOut]


@router.get(
    "/freshness",
    response_model=FreshnessPage,
    summary="Time since the last WMS event, per location",
)
def get_freshness(svc: AvailabilityDep, _who: Reader) -> FreshnessPage:
    now = now_utc()
    return FreshnessPage(
        items=[
            FreshnessOut(
                location=loc,
                last_event_at=at,
                age_seconds=(now - at).total_seconds() if at else None,
            )
            for loc, at in svc.freshness().items()
        ]
    )


class ReservationOut(_Out):
    id: str
    idempotency_key: str
    sku: str
    location: str
    channel: str | None
    quantity: NonNegativeDecimal
    status: ReservationStatus
    order_ref: str | None
    expires_at: datetime
    created_at: datetime


def reservation_out(r: Reservation) -> ReservationOut:
    """A reservation as the API answers it (also by :mod:`crossdock.api.hot`)."""
    return ReservationOut(
        id=r.id,
        idempotency_key=r.idempotency_key,
        sku=r.sku,
        location=r.location,
        channel=r.channel,
        quantity=r.quantity,
        status=r.status,
        order_ref=r.order_ref,
        expires_at=r.expires_at,
        created_at=r.created_at,
    )


@reservations_router.post(
    "",
    response_model=ReservationOut,
    status_code=201,
    summary="Reserve units (idempotent by key; 200 when the key was seen)",
    description="409 `insufficient_stock` when ATP (or the channel's share) does not cover it.",
    responses={
        200: {
            "model": ReservationOut,
            "description": "A replay: the reservation an earlier request with this key made",
        }
    },
)
async def reserve(
    body: ReserveRequest,
    svc: AvailabilityDep,
    hub: HubDep,
    who: Writer,
    response: Response,
) -> ReservationOut:
    # A well-formed request is answered by crossdock.api.hot, the same way, ahead of
    # FastAPI's routing; this route documents the operation and answers the rest.
    refused = channel_refusal(who, body, hub)
    if refused is not None:
        raise forbidden(refused)
    r = await svc.reservations.reserve_async(body)
    if r.replayed:
        response.status_code = 200
    return reservation_out(r)


def channel_refusal(who: Principal, body: ReserveRequest, hub: Hub) -> str | None:
    """Why a system's key may not reserve for ``body.channel``, if it may not.

    A system reserves for itself: a channel that names another system of the hub
    file is refused (a channel that names no system, ``web`` or ``b2b``, is the
    availability section's to judge).
    """
    if who.system is None or body.channel is None or body.channel == who.system:
        return None
    if body.channel in {s.name for s in hub.config.systems}:
        return (
            f"channel: this key belongs to {who.system!r} and may not reserve for {body.channel!r}."
        )
    return None


class SweepOut(_Out):
    expired: int


@reservations_router.post(
    "/sweep", response_model=SweepOut, summary="Expire overdue reservations (admin)"
)
def sweep(svc: AvailabilityDep, _who: Admin) -> SweepOut:
    return SweepOut(expired=svc.reservations.sweep())


@reservations_router.get("/{rid}", response_model=ReservationOut, summary="One reservation")
def get_reservation(rid: ReservationId, svc: AvailabilityDep, _who: Reader) -> ReservationOut:
    return reservation_out(svc.reservations.get(rid))


class ConfirmIn(_Out):
    order_ref: str | None = Field(default=None, min_length=1, max_length=255)


@reservations_router.post(
    "/{rid}/confirm",
    response_model=ReservationOut,
    summary="Confirm: the reserved units become an allocation of the posted order",
    description="409 `reservation_expired` when its time ran out (its units went back).",
)
def confirm(
    rid: ReservationId, svc: AvailabilityDep, _who: Writer, body: ConfirmIn | None = None
) -> ReservationOut:
    ref = body.order_ref if body else None
    return reservation_out(svc.reservations.confirm(rid, ref))


@reservations_router.delete(
    "/{rid}", response_model=ReservationOut, summary="Release a held reservation (idempotent)"
)
def release(rid: ReservationId, svc: AvailabilityDep, _who: Writer) -> ReservationOut:
    return reservation_out(svc.reservations.release(rid))


__all__ = [
    "AvailabilityOut",
    "EventsIn",
    "availability_answer",
    "events_answer",
    "reservation_out",
    "reservations_router",
    "router",
]
