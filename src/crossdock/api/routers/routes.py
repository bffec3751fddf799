"""Delivery routes: lag and health, parked records, and the operator's actions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from crossdock.api.auth import Admin, Reader
from crossdock.api.deps import HubDep, Limit, RecordId, RouteName
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.errors import InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.store import ParkedRow, ParkedStatus
from crossdock.sync.runtime import Hub

router = APIRouter(
    prefix="/routes",
    route_class=AuthFirstRoute,
    tags=["routes"],
    responses=problem_responses(401, 403, 404, 422),
)


class RouteStatusOut(BaseModel):
    route: str
    destination: str
    position: int = Field(description="the route's cursor: last outbox seq handled")
    head: int = Field(description="the outbox's last seq")
    lag_events: int
    lag_seconds: float | None
    last_success_at: datetime | None
    last_error: str | None
    parked: int
    delivered: int
    circuit: str = Field(description="the destination's circuit: closed, open or half_open")


class RouteStatusList(BaseModel):
    items: list[RouteStatusOut]


class ParkedOut(BaseModel):
    id: int
    route: str
    entity_type: EntityType
    entity_id: str
    version: int
    seq: int
    delivery_id: str
    code: str
    error: str
    attempts: int
    payload: dict[str, Any]
    status: ParkedStatus
    parked_at: datetime


class ParkedPage(BaseModel):
    items: list[ParkedOut]


class DeliveryOut(BaseModel):
    events: int
    delivered: int
    skipped: int
    parked: int
    retries: int
    position: int


def _check_route(hub: Hub, name: str) -> None:
    if all(r.name != name for r in hub.config.routes):
        raise NotFound(f"no route named {name!r}")


def parked_out(p: ParkedRow) -> ParkedOut:
    return ParkedOut(
        id=p.id,
        route=p.route,
        entity_type=p.entity_type,
        entity_id=p.entity_id,
        version=p.version,
        seq=p.seq,
        delivery_id=p.delivery_id,
        code=p.code,
        error=p.error,
        attempts=p.attempts,
        payload=p.payload,
        status=p.status,
        parked_at=p.parked_at,
    )


@router.get("", response_model=RouteStatusList, summary="Every route's position, lag and health")
def list_routes(hub: HubDep, _who: Reader) -> RouteStatusList:
    return RouteStatusList(
        items=[
            RouteStatusOut(
                route=s.route,
                destination=s.destination,
                position=s.position,
                head=s.head,
                lag_events=s.lag_events,
                lag_seconds=s.lag_seconds,
                last_success_at=s.last_success_at,
                last_error=s.last_error,
                parked=s.parked,
                delivered=s.delivered,
                circuit=s.circuit,
            )
            for s in hub.route_status()
        ]
    )


@router.get("/{name}/parked", response_model=ParkedPage, summary="A route's parked records")
def list_parked(
    name: RouteName,
    hub: HubDep,
    _who: Reader,
    status: ParkedStatus = ParkedStatus.PARKED,
    limit: Limit = 100,
) -> ParkedPage:
    _check_route(hub, name)
    rows = hub.store.parked.page(name, status=status, limit=limit)
    return ParkedPage(items=[parked_out(p) for p in rows])


@router.post(
    "/{name}/parked/{entity_id}/retry",
    response_model=DeliveryOut,
    summary="Re-send a parked entity's current version",
    description="Needs the `admin` scope. 404 when nothing of that entity is parked on the route.",
    responses=problem_responses(503),
)
def retry_parked(name: RouteName, entity_id: RecordId, hub: HubDep, who: Admin) -> DeliveryOut:
    _check_route(hub, name)
    return _delivery_out(hub.worker(name).retry_parked(entity_id, actor=who.name))


def _delivery_out(report: Any) -> DeliveryOut:
    return DeliveryOut(
        events=report.events,
        delivered=report.delivered,
        skipped=report.skipped,
        parked=report.parked,
        retries=report.retries,
        position=report.position,
    )


class RetryAllIn(BaseModel):
    code: str | None = Field(default=None, max_length=64, description="only this error code")


@router.post(
    "/{name}/parked/retry",
    response_model=DeliveryOut,
    summary="Re-send every parked record of the route (or those with one error code)",
    description="Needs the `admin` scope; audited per record. An open circuit stops the run.",
    responses=problem_responses(503),
)
def retry_all_parked(name: RouteName, body: RetryAllIn, hub: HubDep, who: Admin) -> DeliveryOut:
    _check_route(hub, name)
    return _delivery_out(hub.worker(name).retry_all_parked(actor=who.name, code=body.code))


class SkipIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="why (kept in the audit log)")


class SkipOut(BaseModel):
    skipped: int


@router.post(
    "/{name}/parked/{entity_id}/skip",
    response_model=SkipOut,
    summary="Give up on a parked entity's versions (audited)",
    description="Needs the `admin` scope; later versions of the entity flow again.",
)
def skip_parked(
    name: RouteName, entity_id: RecordId, body: SkipIn, hub: HubDep, who: Admin
) -> SkipOut:
    _check_route(hub, name)
    return SkipOut(skipped=hub.worker(name).skip_parked(entity_id, actor=who.name, note=body.note))


class ReplayIn(BaseModel):
    from_seq: int | None = Field(default=None, ge=1, le=2**62)
    since: datetime | None = Field(default=None, description="ISO 8601 with a time zone")


class ReplayOut(BaseModel):
    position: int


@router.post(
    "/{name}/replay",
    response_model=ReplayOut,
    summary="Move the route's cursor back to send again from a seq or a time",
    description=(
        "Needs the `admin` scope; audited. Give exactly one of `from_seq` or `since`. The "
        "cursor never moves forward; receivers drop versions they already had by delivery id."
    ),
)
def replay(name: RouteName, body: ReplayIn, hub: HubDep, who: Admin) -> ReplayOut:
    _check_route(hub, name)
    if body.since is not None and body.since.tzinfo is None:
        raise InvalidInput("since needs a time zone (e.g. 2026-01-01T00:00:00Z)", field="since")
    position = hub.replay(name, from_seq=body.from_seq, since=body.since, actor=who.name)
    return ReplayOut(position=position)


@router.post(
    "/{name}/resend/{entity_type}/{entity_id}",
    response_model=DeliveryOut,
    summary="Send one record's current version through the route again",
    description="Needs the `admin` scope; audited.",
    responses=problem_responses(503),
)
def resend(
    name: RouteName, entity_type: EntityType, entity_id: RecordId, hub: HubDep, who: Admin
) -> DeliveryOut:
    _check_route(hub, name)
    return _delivery_out(hub.worker(name).resend(entity_type, entity_id, actor=who.name))
