"""Business exceptions: list them, read one, retry it (optionally corrected), dismiss it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from crossdock.api.auth import Reader, Writer
from crossdock.api.deps import SYSTEM_NAME, HubDep, Limit, RowId, SeqAfter
from crossdock.api.exactjson import ExactJSONRoute
from crossdock.api.jsonvalues import check_json
from crossdock.api.problems import problem_responses
from crossdock.api.schemas import IngestCounts
from crossdock.errors import ConflictError, NotFound
from crossdock.store import ExceptionRow, ExceptionStatus, Store

router = APIRouter(
    prefix="/exceptions",
    tags=["exceptions"],
    responses=problem_responses(401, 403, 404, 422),
    route_class=ExactJSONRoute,
)


class StatusFilter(StrEnum):
    """An exception status, or ``all``."""

    OPEN = "open"
    RETRIED = "retried"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    ALL = "all"


class ExceptionOut(BaseModel):
    id: int
    system: str
    entity_type: str | None
    native_id: str | None
    ref: str | None
    field: str | None = Field(description="the field at fault, a dotted path")
    code: str
    reason: str = Field(description="what is wrong, in words a person can act on")
    payload: dict[str, Any] | None = Field(description="the change as received, for replay")
    status: ExceptionStatus
    created_at: datetime
    updated_at: datetime
    note: str | None


class ExceptionPage(BaseModel):
    items: list[ExceptionOut]
    next: int | None = Field(description="pass as `after` for the next page; null at the end")


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] | None = Field(
        default=None, description="corrected record data replacing the kept change's data"
    )

    @field_validator("data")
    @classmethod
    def _data_is_json(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_json(value)
        return value


class RetryOut(BaseModel):
    exception: ExceptionOut
    report: IngestCounts


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(
        min_length=1, max_length=2000, pattern=r"^[^\x00]+$", description="why it is dismissed"
    )


def exception_out(row: ExceptionRow) -> ExceptionOut:
    return ExceptionOut(
        id=row.id,
        system=row.system,
        entity_type=row.entity_type,
        native_id=row.native_id,
        ref=row.ref,
        field=row.field,
        code=row.code,
        reason=row.reason,
        payload=row.payload,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        note=row.note,
    )


def _load(store: Store, exc_id: int) -> ExceptionRow:
    row = store.exceptions.get(exc_id)
    if row is None:
        raise NotFound(f"no exception {exc_id}")
    return row


@router.get("", response_model=ExceptionPage, summary="Exceptions by status and system")
def list_exceptions(
    hub: HubDep,
    _who: Reader,
    status: StatusFilter = StatusFilter.OPEN,
    after: SeqAfter = 0,
    limit: Limit = 100,
    system: str | None = Query(default=None, min_length=1, max_length=64, pattern=SYSTEM_NAME),
) -> ExceptionPage:
    wanted = None if status is StatusFilter.ALL else ExceptionStatus(status.value)
    rows = hub.store.exceptions.page(status=wanted, after_id=after, limit=limit, system=system)
    return ExceptionPage(
        items=[exception_out(r) for r in rows],
        next=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/{exc_id}", response_model=ExceptionOut, summary="One exception")
def get_exception(exc_id: RowId, hub: HubDep, _who: Reader) -> ExceptionOut:
    return exception_out(_load(hub.store, exc_id))


@router.post(
    "/{exc_id}/retry",
    response_model=RetryOut,
    summary="Re-ingest the kept change, optionally with corrected data",
    description="Needs the `write` scope. The exception becomes `resolved` when the change "
    "goes through, `retried` when it fails again (a new exception is filed).",
    responses=problem_responses(400, 415),
)
def retry_exception(
    exc_id: RowId, hub: HubDep, who: Writer, body: RetryIn | None = None
) -> RetryOut:
    report = hub.retry_exception(exc_id, actor=who.name, data=body.data if body else None)
    return RetryOut(
        exception=exception_out(_load(hub.store, exc_id)), report=IngestCounts.of(report)
    )


@router.post(
    "/{exc_id}/dismiss",
    response_model=ExceptionOut,
    summary="Dismiss an open exception with a note",
    description="Needs the `write` scope. Only an open exception can be dismissed (else 409).",
    responses=problem_responses(400, 409, 415),
)
def dismiss_exception(exc_id: RowId, body: DismissIn, hub: HubDep, who: Writer) -> ExceptionOut:
    row = _load(hub.store, exc_id)
    if row.status is not ExceptionStatus.OPEN:
        raise ConflictError(f"exception {exc_id} is {row.status.value}, not open")
    hub.store.exceptions.set_status(
        exc_id, ExceptionStatus.DISMISSED, actor=who.name, note=body.note
    )
    return exception_out(_load(hub.store, exc_id))
