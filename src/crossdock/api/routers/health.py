"""``GET /v1/health``: is the hub up, which store, how far the outbox has come. No key needed."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from crossdock import __version__
from crossdock.api.deps import HubDep
from crossdock.api.problems import problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    store: str
    last_seq: int


@router.get(
    "/health",
    response_model=Health,
    summary="Liveness and outbox head",
    description="Needs no API key. Answers 503 when the store cannot be read.",
    responses=problem_responses(503),
)
def health(hub: HubDep) -> Health:
    return Health(
        status="ok",
        version=__version__,
        store=hub.store.backend,
        last_seq=hub.store.outbox.last_seq(),
    )
