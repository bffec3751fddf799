"""``GET /v1/audit``: who did what, when and from where; read-only, newest first.

Every operator and admin action (retries, dismissals, replays, parked
deliveries, proposals, keys, heals) and every batch of changes a system sends
through the API is a row. No interface changes or deletes a row (the store
refuses updates with a trigger); only retention removes rows past their age.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from crossdock.api.auth import Operator
from crossdock.api.deps import NO_CONTROL, HubDep, Limit
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute

router = APIRouter(
    route_class=AuthFirstRoute, tags=["audit"], responses=problem_responses(401, 403, 422)
)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="the key (prefix, name, owner) or the CLI user")
    action: str
    target: str
    detail: dict[str, Any]
    origin: str | None = Field(description="where the action came from (client address)")


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before: int | None = Field(description="pass as `before` for the next (older) page")


def _filter(description: str) -> Any:
    return Query(
        default=None, min_length=1, max_length=128, pattern=NO_CONTROL, description=description
    )


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="The audit log, newest first (needs the operate operation)",
)
def list_audit(
    hub: HubDep,
    _who: Operator,
    limit: Limit = 100,
    before: int | None = Query(default=None, ge=1, le=2**62, description="older than this id"),
    actor: str | None = _filter("part of the actor: a key prefix, a name, system:erp"),
    action: str | None = _filter("action prefix, e.g. `parked.` or `api_key.`"),
    target: str | None = _filter("target prefix, e.g. a route name"),
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> AuditPage:
    rows = hub.store.audit.page(
        before=before,
        limit=limit,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
    )
    return AuditPage(
        items=[
            AuditOut(
                id=r.id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                target=r.target,
                detail=r.detail,
                origin=r.origin,
            )
            for r in rows
        ],
        next_before=rows[-1].id if len(rows) == limit else None,
    )
