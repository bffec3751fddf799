"""``/v1/proposals``: values non-owning systems proposed, and a person's decision on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from crossdock.api.auth import Approver, Reader
from crossdock.api.deps import HubDep, Limit
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.model.base import EntityType
from crossdock.store import ProposalStatus
from crossdock.sync.proposals import decide_proposal

router = APIRouter(
    route_class=AuthFirstRoute, tags=["proposals"], responses=problem_responses(401, 403, 422)
)
ProposalId = Annotated[int, Path(ge=1, le=2**62, description="proposal id")]


class ProposalOut(BaseModel):
    id: int
    entity_type: EntityType
    entity_id: str
    system: str
    field: str
    value: Any
    source_ts: datetime
    status: ProposalStatus
    created_at: datetime
    requested_by: str | None = None
    """Four eyes: who asked for it (they may not approve it)."""


class ProposalPage(BaseModel):
    items: list[ProposalOut]


@router.get("/proposals", response_model=ProposalPage, summary="Proposals by status")
def list_proposals(
    hub: HubDep,
    _who: Reader,
    status: ProposalStatus = ProposalStatus.PENDING,
    limit: Limit = 100,
) -> ProposalPage:
    rows = hub.store.proposals.page(status, limit=limit)
    return ProposalPage(
        items=[
            ProposalOut(
                id=p.id,
                entity_type=p.entity_type,
                entity_id=p.entity_id,
                system=p.system,
                field=p.field,
                value=p.value,
                source_ts=p.source_ts,
                status=p.status,
                created_at=p.created_at,
                requested_by=p.requested_by,
            )
            for p in rows
        ]
    )


class DecisionOut(BaseModel):
    id: int
    status: ProposalStatus
    version: int | None = None


@router.post(
    "/proposals/{proposal_id}/approve",
    response_model=DecisionOut,
    summary="Approve: apply the proposed value (bypasses ownership; audited)",
    responses=problem_responses(404, 409),
)
def approve(proposal_id: ProposalId, hub: HubDep, who: Approver) -> DecisionOut:
    version = decide_proposal(
        hub.store,
        proposal_id,
        approve=True,
        actor=who.actor,
        ingestor=hub.ingestor,
        actor_system=who.system,
    )
    return DecisionOut(id=proposal_id, status=ProposalStatus.APPROVED, version=version)


@router.post(
    "/proposals/{proposal_id}/reject",
    response_model=DecisionOut,
    summary="Reject: the proposed value is dropped (audited)",
    responses=problem_responses(404),
)
def reject(proposal_id: ProposalId, hub: HubDep, who: Approver) -> DecisionOut:
    decide_proposal(hub.store, proposal_id, approve=False, actor=who.actor, ingestor=hub.ingestor)
    return DecisionOut(id=proposal_id, status=ProposalStatus.REJECTED)
