"""``/v1/customers/review``: the customer stewardship queue, and a person's decision on a task.

Listing needs a reader; accepting or rejecting needs the ``approve`` scope.
Accepting an ``incoming`` task links the held customer to the candidate
record and applies its held changes; rejecting makes it a record of its
own. Accepting a ``pair`` task dedupe filed merges the two records. A task
decided already answers 409, an unknown one 404, matching turned off 422
(problem+json).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.requests import Request

from crossdock.api.auth import Approver, Reader
from crossdock.api.deps import Limit, application_of
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.store.customer_rows import ReviewKind, ReviewRow, ReviewStatus

router = APIRouter(
    prefix="/customers",
    route_class=AuthFirstRoute,
    tags=["customers"],
    responses=problem_responses(401, 403, 422),
)
TaskId = Annotated[int, Path(ge=1, le=2**62, description="review task id")]


class TaskOut(BaseModel):
    id: int
    kind: ReviewKind
    record_id: str
    other_id: str | None
    system: str | None
    native_id: str | None
    weight: float
    status: ReviewStatus
    held_changes: int
    explanation: dict[str, Any]
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def of(cls, r: ReviewRow) -> TaskOut:
        same = {name: getattr(r, name) for name in cls.model_fields if name != "held_changes"}
        return cls(**same, held_changes=len(r.held))


class TaskPage(BaseModel):
    items: list[TaskOut]


class DecisionIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class DecisionOut(BaseModel):
    task: TaskOut
    record_id: str | None = Field(description="where the held changes went (incoming tasks)")
    applied: dict[str, int] | None = None


@router.get("/review", response_model=TaskPage, summary="Customer review tasks by status")
def list_review(
    request: Request,
    _who: Reader,
    status: ReviewStatus = ReviewStatus.PENDING,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Limit = 100,
) -> TaskPage:
    rows = application_of(request).hub.store.customer_match.reviews(
        status, after_id=after_id, limit=limit
    )
    return TaskPage(items=[TaskOut.of(r) for r in rows])


async def _decide(
    request: Request, task_id: int, accept: bool, actor: str, body: DecisionIn | None
) -> DecisionOut:
    svc = application_of(request).customers
    done = await run_in_threadpool(
        svc.decide, task_id, accept=accept, actor=actor, note=body.note if body else None
    )
    return DecisionOut(
        task=TaskOut.of(done.task),
        record_id=done.record_id,
        applied=done.applied.as_dict() if done.applied else None,
    )


@router.post(
    "/review/{task_id}/accept",
    response_model=DecisionOut,
    summary="Accept: the same customer (link the held one, or merge the pair)",
    responses=problem_responses(404, 409),
)
async def accept(
    request: Request, task_id: TaskId, who: Approver, body: DecisionIn | None = None
) -> DecisionOut:
    return await _decide(request, task_id, True, who.actor, body)


@router.post(
    "/review/{task_id}/reject",
    response_model=DecisionOut,
    summary="Reject: different customers (the held one becomes its own record)",
    responses=problem_responses(404, 409),
)
async def reject(
    request: Request, task_id: TaskId, who: Approver, body: DecisionIn | None = None
) -> DecisionOut:
    return await _decide(request, task_id, False, who.actor, body)
