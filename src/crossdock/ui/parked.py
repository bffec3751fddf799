"""Parked deliveries: why and since when, per route; retry or skip one entity, or all of a route.

The actions are the delivery worker's (:meth:`retry_parked`, :meth:`retry_all_parked`,
:meth:`skip_parked`), audited with the signed-in key's actor, as the API's are.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from crossdock.errors import InvalidInput, NotFound
from crossdock.store.records import ParkedStatus
from crossdock.sync.runtime import Hub
from crossdock.ui.pages import PREFIX, act, application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()
PAGE = 200


@router.get("/parked")
def parked_page(request: Request, route: str = Query(default="", max_length=64)) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        rows = hub.store.parked.page(route or None, status=ParkedStatus.PARKED, limit=PAGE)
        counts = hub.store.parked.count_by_route()
        return render(
            request,
            "parked.html",
            session,
            rows=rows,
            more=len(rows) == PAGE,
            routes=[(r.name, r.destination, counts.get(r.name, 0)) for r in hub.config.routes],
            chosen=route,
        )

    return page(request, build)


def _route(hub: Hub, name: str) -> str:
    if all(r.name != name for r in hub.config.routes):
        raise NotFound(f"no route named {name!r}")
    return name


def _outcome(hub: Hub, route: str, what: str, report: object) -> str:
    """What a retry did, and what is still parked on the route afterwards."""
    delivered = getattr(report, "delivered", 0)
    still = hub.store.parked.count_by_route().get(route, 0)
    return f"{what}: {delivered} delivered; {still} still parked on {route}."


def _note(fields: dict[str, str]) -> str:
    note = fields.get("note", "").strip()
    if not note:
        raise InvalidInput("say why it is skipped (kept in the audit log)", field="note")
    return note[:2000]


def _where(route: str) -> str:
    return f"{PREFIX}/parked?" + urlencode({"route": route})


@router.post("/parked/{route}/{entity_id}/retry")
async def retry_one(request: Request, route: str, entity_id: str) -> Response:
    hub = application_of(request).hub

    def run(s: Session, _f: dict[str, str]) -> str:
        worker = hub.worker(_route(hub, route))
        report = worker.retry_parked(entity_id, actor=s.principal.actor)
        return _outcome(hub, route, f"Retried {entity_id}", report)

    return await act(request, lambda _f: _where(route), run)


@router.post("/parked/{route}/{entity_id}/skip")
async def skip_one(request: Request, route: str, entity_id: str) -> Response:
    hub = application_of(request).hub

    def run(s: Session, f: dict[str, str]) -> str:
        worker = hub.worker(_route(hub, route))
        n = worker.skip_parked(entity_id, actor=s.principal.actor, note=_note(f))
        return f"Skipped {n} parked version(s) of {entity_id}."

    return await act(request, lambda _f: _where(route), run)


@router.post("/parked/{route}/retry-all")
async def retry_all(request: Request, route: str) -> Response:
    hub = application_of(request).hub

    def run(s: Session, _f: dict[str, str]) -> str:
        worker = hub.worker(_route(hub, route))
        report = worker.retry_all_parked(actor=s.principal.actor)
        return _outcome(hub, route, f"Retried route {route}", report)

    return await act(request, lambda _f: _where(route), run)


@router.post("/parked/{route}/skip-all")
async def skip_all(request: Request, route: str) -> Response:
    hub = application_of(request).hub

    def run(s: Session, f: dict[str, str]) -> str:
        note = _note(f)
        worker = hub.worker(_route(hub, route))
        entities = {p.entity_id for p in hub.store.parked.page(route, limit=10_000)}
        skipped = sum(worker.skip_parked(e, actor=s.principal.actor, note=note) for e in entities)
        return f"Skipped {skipped} parked version(s) of {len(entities)} record(s) on {route}."

    return await act(request, lambda _f: _where(route), run)


__all__ = ["router"]
