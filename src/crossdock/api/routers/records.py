"""Canonical records: one by id, one by a system's native id, or a page of one type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crossdock.api.auth import Principal, Reader, require_entity
from crossdock.api.deps import NO_CONTROL, HubDep, Limit, NativeId, RecordId, SystemPath
from crossdock.api.masking import Mask
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.errors import NotFound
from crossdock.model.base import EntityType
from crossdock.observability import tracing
from crossdock.store import Store, StoredRecord
from crossdock.sync.runtime import Hub

router = APIRouter(
    prefix="/records",
    route_class=AuthFirstRoute,
    tags=["records"],
    responses=problem_responses(401, 403, 404, 422),
)


class Provenance(BaseModel):
    """Who last set a field, when that system says it did, and the version it made."""

    system: str | None
    source_ts: datetime | None
    version: int | None


class NativeRef(BaseModel):
    system: str
    native_id: str


class RecordOut(BaseModel):
    id: str
    entity_type: EntityType
    version: int
    deleted: bool
    data: dict[str, Any]
    provenance: dict[str, Provenance] = Field(description="field path -> provenance")
    native_ids: list[NativeRef]
    updated_at: datetime | None


class RecordPage(BaseModel):
    items: list[RecordOut]
    next: str | None = Field(description="pass as `after` for the next page; null at the end")


def _ts(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _provenance(entry: Any) -> Provenance:
    items = list(entry) if isinstance(entry, list | tuple) else []
    items += [None] * (3 - len(items))
    system, ts, version = items[:3]
    return Provenance(
        system=str(system) if system is not None else None,
        source_ts=_ts(ts),
        version=version if isinstance(version, int) else None,
    )


def record_out(
    store: Store,
    rec: StoredRecord,
    natives: list[tuple[str, str]] | None = None,
    *,
    mask: Mask,
) -> RecordOut:
    """A stored record with its provenance and native ids, as the API shows it (``mask``)."""
    if natives is None:
        natives = store.crosswalk.native_ids(rec.entity_type, rec.id)
    provenance = mask.provenance(rec.provenance)
    return RecordOut(
        id=rec.id,
        entity_type=rec.entity_type,
        version=rec.version,
        deleted=rec.deleted,
        data=mask.data(rec.data),
        provenance={path: _provenance(p) for path, p in provenance.items()},
        native_ids=[NativeRef(system=s, native_id=n) for s, n in natives],
        updated_at=rec.updated_at,
    )


def _get(hub: Hub, who: Principal, entity_type: EntityType, record_id: str) -> RecordOut:
    rec = hub.store.records.get(entity_type, record_id)
    if rec is None:
        raise NotFound(f"no {entity_type.value} record {record_id!r}")
    return record_out(hub.store, rec, mask=Mask(hub.config.masking, entity_type, who.viewer))


@router.get("/{entity_type}", response_model=RecordPage, summary="A page of records of one type")
def list_records(
    entity_type: EntityType,
    hub: HubDep,
    who: Reader,
    after: str | None = Query(
        default=None,
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL,
        description="the `next` of the previous page",
    ),
    limit: Limit = 100,
    include_deleted: bool = Query(default=False, description="also list deleted records"),
) -> RecordPage:
    require_entity(who, entity_type.value)
    rows = hub.store.records.page(
        entity_type, after_id=after, limit=limit, include_deleted=include_deleted
    )
    natives = hub.store.crosswalk.native_ids_of(entity_type, [r.id for r in rows])
    mask = Mask(hub.config.masking, entity_type, who.viewer)
    items = [record_out(hub.store, r, natives[r.id], mask=mask) for r in rows]
    return RecordPage(items=items, next=rows[-1].id if len(rows) == limit else None)


@router.get(
    "/{entity_type}/by-native/{system}/{native_id:path}",
    response_model=RecordOut,
    summary="A record found by a system's native id",
)
def by_native(
    entity_type: EntityType, system: SystemPath, native_id: NativeId, hub: HubDep, who: Reader
) -> RecordOut:
    require_entity(who, entity_type.value)
    record_id = hub.store.crosswalk.resolve(system, entity_type, native_id)
    if record_id is None:
        raise NotFound(f"{system} {entity_type.value} {native_id!r} is not in the crosswalk")
    return _get(hub, who, entity_type, record_id)


@router.get("/{entity_type}/{record_id}", response_model=RecordOut, summary="One record by id")
def get_record(entity_type: EntityType, record_id: RecordId, hub: HubDep, who: Reader) -> RecordOut:
    require_entity(who, entity_type.value)
    return _get(hub, who, entity_type, record_id)


class VersionOut(BaseModel):
    version: int
    op: str
    time: datetime = Field(description="when the version was committed")
    source_system: str | None
    changed: list[str] = Field(description="the field paths this version changed")
    trace_id: str | None = Field(description="the W3C trace id of the change that made it")
    traceparent: str | None


class LineageOut(BaseModel):
    entity_type: EntityType
    id: str
    versions: list[VersionOut] = Field(
        description="oldest first; versions older than the outbox retention are gone"
    )


@router.get(
    "/{entity_type}/{record_id}/versions",
    response_model=LineageOut,
    summary="A record's versions: when, from which system, what changed, and its trace",
)
def lineage(entity_type: EntityType, record_id: RecordId, hub: HubDep, who: Reader) -> LineageOut:
    require_entity(who, entity_type.value)
    if hub.store.records.get(entity_type, record_id) is None:
        raise NotFound(f"no {entity_type.value} record {record_id!r}")
    mask = Mask(hub.config.masking, entity_type, who.viewer)
    return LineageOut(
        entity_type=entity_type,
        id=record_id,
        versions=[
            VersionOut(
                version=ev.version,
                op=ev.op.value,
                time=ev.time,
                source_system=ev.source_system,
                changed=mask.changed(ev.changed),
                trace_id=tracing.trace_id(ev.traceparent),
                traceparent=ev.traceparent,
            )
            for ev in hub.store.outbox.history(entity_type, record_id)
        ],
    )
