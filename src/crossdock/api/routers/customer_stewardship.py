"""The steward's verbs beside the review queue: merge, unmerge, keep apart, link (``approve``).

``POST /v1/customers/merge`` merges two records now (the pair is remembered,
never asked again); ``POST /v1/customers/merges/{id}/unmerge`` puts both back;
``POST /v1/customers/keep-apart`` records two records as different customers;
``POST /v1/customers/link`` says a system's native id is a record. Each is
audited with the caller as actor. Unknown records answer 404, a decision
that contradicts an earlier one or a merge that is not the newest 409.

``POST /v1/customers/changes`` (``write`` scope) is a person's change to a
known customer: sensitive fields wait as proposals naming the caller as
requester (``POST /v1/proposals/{id}/approve`` by anyone else applies them;
the requester gets 409), the rest is ingested at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.requests import Request

from crossdock.api.auth import Approver, Writer
from crossdock.api.deps import application_of
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute

router = APIRouter(
    prefix="/customers",
    route_class=AuthFirstRoute,
    tags=["customers"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
RecordId = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str | None, Field(default=None, max_length=1000)]


class MergeIn(BaseModel):
    survivor_id: RecordId
    merged_id: RecordId
    note: Note = None


class MergeOut(BaseModel):
    merge_id: int
    survivor_id: str
    merged_id: str
    version: int = Field(description="the survivor's new version")
    survivorship: dict[str, str] = Field(description="field -> the rule that chose its value")


class UnmergeIn(BaseModel):
    note: Note = None


class UnmergeOut(BaseModel):
    merge_id: int
    survivor_id: str
    merged_id: str
    versions: list[int]


class KeepApartIn(BaseModel):
    record_id: RecordId
    other_id: RecordId
    note: Note = None


class LinkIn(BaseModel):
    system: Annotated[str, Field(min_length=1, max_length=64)]
    native_id: Annotated[str, Field(min_length=1, max_length=255)]
    record_id: RecordId
    note: Note = None


class Done(BaseModel):
    record_id: str
    task_id: int | None = None


@router.post("/merge", response_model=MergeOut, summary="Merge two customers now")
async def merge(request: Request, body: MergeIn, who: Approver) -> MergeOut:
    svc = application_of(request).customers
    done = await run_in_threadpool(
        svc.merge, body.survivor_id, body.merged_id, actor=who.actor, note=body.note
    )
    return MergeOut(
        merge_id=done.merge_id,
        survivor_id=done.survivor_id,
        merged_id=done.merged_id,
        version=done.version,
        survivorship=done.reasons,
    )


@router.post("/merges/{merge_id}/unmerge", response_model=UnmergeOut, summary="Undo a merge")
async def unmerge(
    request: Request,
    merge_id: Annotated[int, Path(ge=1, le=2**62)],
    who: Approver,
    body: UnmergeIn | None = None,
) -> UnmergeOut:
    svc = application_of(request).customers
    done = await run_in_threadpool(
        svc.unmerge, merge_id, actor=who.actor, note=body.note if body else None
    )
    return UnmergeOut(
        merge_id=done.merge_id,
        survivor_id=done.survivor_id,
        merged_id=done.merged_id,
        versions=list(done.versions),
    )


@router.post("/keep-apart", response_model=Done, summary="Two customers are different")
async def keep_apart(request: Request, body: KeepApartIn, who: Approver) -> Done:
    svc = application_of(request).customers
    task = await run_in_threadpool(
        svc.keep_apart, body.record_id, body.other_id, actor=who.actor, note=body.note
    )
    return Done(record_id=body.record_id, task_id=task)


@router.post("/link", response_model=Done, summary="A system's native id is this customer")
async def link(request: Request, body: LinkIn, who: Approver) -> Done:
    svc = application_of(request).customers
    done = await run_in_threadpool(
        svc.link, body.system, body.native_id, body.record_id, actor=who.actor, note=body.note
    )
    return Done(record_id=done.record_id or body.record_id, task_id=done.task.id or None)


class ChangeIn(BaseModel):
    system: Annotated[str, Field(min_length=1, max_length=64)]
    native_id: Annotated[str, Field(min_length=1, max_length=255)]
    data: dict[str, Any] = Field(min_length=1)


class ChangeOut(BaseModel):
    record_id: str
    waiting: list[str] = Field(description="fields waiting for a second person's approval")
    applied: dict[str, int] | None = None


@router.post(
    "/changes", response_model=ChangeOut, summary="Request a change (sensitive fields wait)"
)
async def request_change(request: Request, body: ChangeIn, who: Writer) -> ChangeOut:
    svc = application_of(request).customers
    done = await run_in_threadpool(
        svc.request_change, body.system, body.native_id, body.data, actor=who.actor
    )
    return ChangeOut(
        record_id=done.record_id,
        waiting=done.waiting,
        applied=done.applied.as_dict() if done.applied else None,
    )
