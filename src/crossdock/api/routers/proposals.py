"""``GET /v1/proposals``: values non-owning systems proposed, waiting for a person's decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from crossdock.api.auth import Reader
from crossdock.api.deps import HubDep, Limit
from crossdock.api.problems import problem_responses
from crossdock.model.base import EntityType
from crossdock.store import ProposalStatus

router = APIRouter(tags=["proposals"], responses=problem_responses(401, 403, 422))


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


class ProposalPage(BaseModel):
    items: list[ProposalOut]


@router.get("/proposals", response_model=ProposalPage, summary="Proposals by status")
def list_proposals(
    hub: HubDep,
    _who: Reader,
    status: ProposalStatus = ProposalStatus.PENDING,
    limit: Limit = 100,
) -> ProposalPage:
    rows = hub.store.list_proposals(status, limit=limit)
    return ProposalPage(
        items=[
            ProposalOut(
                id=p.id, entity_type=p.entity_type, entity_id=p.entity_id, system=p.system,
                field=p.field, value=p.value, source_ts=p.source_ts, status=p.status,
                created_at=p.created_at,
            )
            for p in rows
        ]
    )
