"""``GET /v1/systems``: each connected system's link now — connected or why not, and its lag.

Only systems whose connector can say are listed (the brokers today). The
answer comes within a few seconds even with a broker down: each link is
asked with a short timeout and a silent one reads ``unreachable: <reason>``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from crossdock.api.auth import Reader
from crossdock.api.deps import HubDep
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute

router = APIRouter(
    prefix="/systems",
    route_class=AuthFirstRoute,
    tags=["systems"],
    responses=problem_responses(401, 403),
)


class SystemLinkOut(BaseModel):
    system: str
    kind: str
    connected: bool
    detail: str = Field(description="connected, or unreachable: <reason>")
    where: str = Field(description="what was asked (broker and host:port), no credentials")
    pending: int | None = Field(
        description="source lag: messages waiting (NATS: also delivered, not yet acked); "
        "null when not a source or not known"
    )
    unconfirmed: int | None = Field(
        description="destination lag: publishes this hub process sent that the broker has "
        "not confirmed yet; null when not a destination"
    )


class SystemLinkList(BaseModel):
    items: list[SystemLinkOut]


@router.get(
    "", response_model=SystemLinkList, summary="Each system's link: connected or why not, lag"
)
def list_systems(hub: HubDep, _who: Reader) -> SystemLinkList:
    return SystemLinkList(
        items=[
            SystemLinkOut(
                system=s.system,
                kind=s.kind,
                connected=s.link.connected,
                detail=s.link.detail,
                where=s.link.where,
                pending=s.link.pending,
                unconfirmed=s.link.unconfirmed,
            )
            for s in hub.system_links()
        ]
    )
