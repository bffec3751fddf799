"""``POST /v1/changes``: a system asserts changes; the hub ingests them in one call.

A change whose own shape is wrong (unknown entity type, missing native id)
refuses the whole request with a 422 naming it (``changes.3.entity_type``).
A well-shaped change whose *content* breaks a rule does not: it becomes a
business exception (listed under ``/v1/exceptions``) and the rest goes on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from starlette.requests import Request

from crossdock.api.auth import Principal, Writer, forbidden
from crossdock.api.deps import NO_CONTROL, SYSTEM_NAME, HubDep
from crossdock.api.exactjson import ExactJSONRoute
from crossdock.api.jsonvalues import check_json
from crossdock.api.problems import problem_responses
from crossdock.api.schemas import IngestCounts
from crossdock.api.versioning import Deprecation, mark
from crossdock.connectors.base import SourceItem
from crossdock.errors import InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.observability import tracing
from crossdock.sync.runtime import Hub

router = APIRouter(
    route_class=ExactJSONRoute,
    tags=["changes"],
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422, 503),
)

MAX_CHANGES = 1000
_MIN_YEAR, _MAX_YEAR = 1900, 9998

Text255 = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_CONTROL)]


class ChangeIn(BaseModel):
    """One system's statement about one record (only the fields it asserts)."""

    model_config = ConfigDict(extra="forbid")

    entity_type: EntityType
    native_id: Text255 = Field(description="the record's id in the sending system")
    op: ChangeOp = ChangeOp.UPSERT
    data: dict[str, Any] = Field(
        default_factory=dict, description="a partial canonical record, nested as the model nests"
    )
    source_ts: datetime | None = Field(
        default=None, description="when the system made the change (default: now; naive = UTC)"
    )
    idempotency_key: Text255 | None = Field(
        default=None, description="the hub drops a change whose key it has seen from this system"
    )

    @field_validator("data")
    @classmethod
    def _data_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_json(value)
        return value

    @field_validator("source_ts")
    @classmethod
    def _ts_in_range(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        try:
            utc = aware.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError("source_ts is out of range") from None
        if not _MIN_YEAR <= utc.year <= _MAX_YEAR:
            raise ValueError(f"source_ts must fall in the years {_MIN_YEAR} to {_MAX_YEAR} (UTC)")
        return utc


SYSTEM_FIELD = Deprecation(
    since=date(2026, 12, 4),
    sunset=date(2027, 6, 30),
    instead="leave `system` out: the hub takes it from the key",
)


class ChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=SYSTEM_NAME,
        description="deprecated: the system is the key's own; naming another is refused (403). "
        + SYSTEM_FIELD.note(),
        json_schema_extra={"deprecated": True},
    )
    changes: list[ChangeIn] = Field(min_length=1, max_length=MAX_CHANGES)


def sending_system(who: Principal, named: str | None, hub: Hub) -> str:
    """The system a request sends as: always the key's own.

    A key that belongs to no system may not send (403), and a body that names
    another system than the key's is refused (403): the ownership matrix trusts
    the sender's name, so the name comes from the credential, never the body.
    """
    if who.system is None:
        raise forbidden(
            "Only a system's key may send changes: this key belongs to "
            + (f"a person (role {who.role})" if who.role else "no system")
            + "; make one with `crossdock keys create --system NAME`."
        )
    if named is not None and named != who.system:
        raise forbidden(
            f"system: this key belongs to {who.system!r} and may not send as {named!r}."
        )
    declared = [s.name for s in hub.config.systems]
    if who.system not in declared:
        raise InvalidInput(
            f"this key's system {who.system!r} is not declared in the hub file; "
            f"declared: {', '.join(declared) or 'none'}",
            field="system",
        )
    return who.system


class IngestOut(IngestCounts):
    """What ingest did with the request's changes, and how to find its exceptions."""

    ref: str = Field(description="the `ref` prefix the request's exceptions carry")
    exceptions_url: str | None = Field(description="where the exceptions are listed, if any")


@router.post(
    "/changes",
    response_model=IngestOut,
    summary="Ingest changes from a system",
    description=f"Up to {MAX_CHANGES} changes, sent as the system the key belongs to. Needs "
    "a system's key with the `write` operation. JSON numbers with a fraction or exponent "
    'reach the model as their exact decimal text (`12.50` -> `"12.50"`).',
)
def post_changes(body: ChangesIn, request: Request, hub: HubDep, who: Writer) -> IngestOut:
    system = sending_system(who, body.system, hub)
    if body.system is not None:
        mark(request, SYSTEM_FIELD)
    for i, c in enumerate(body.changes):
        if not who.may_use(c.entity_type.value):
            raise forbidden(
                f"changes.{i}.entity_type: system {system} may not write "
                f"{c.entity_type.value} records (access.systems.{system}.entities)"
            )
    ref = f"api:{who.name}:{uuid.uuid4().hex[:12]}"
    caller = request.headers.get("traceparent")
    with tracing.span("crossdock.api.changes", caller, attributes={"system": system}) as trace:
        report = hub.ingest(_changes(body, system, ref, trace))
    hub.store.audit.append(
        who.actor,
        "changes.ingest",
        f"system/{system}",
        {"ref": ref, "trace_id": tracing.trace_id(trace), **_counts(report.as_dict())},
    )
    url = f"/v1/exceptions?system={system}" if report.exceptions else None
    return IngestOut(**report.as_dict(), ref=ref, exceptions_url=url)


def _counts(report: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in report.items() if v}


def _changes(body: ChangesIn, system: str, ref: str, trace: str) -> list[SourceItem]:
    now = datetime.now(UTC)
    return [
        Change(
            system=system,
            entity_type=c.entity_type,
            native_id=c.native_id,
            data=c.data,
            op=c.op,
            source_ts=c.source_ts or now,
            idempotency_key=c.idempotency_key,
            ref=f"{ref}#{i}",
            traceparent=trace,
        )
        for i, c in enumerate(body.changes)
    ]
