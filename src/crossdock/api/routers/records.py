"""Canonical records: one by id, one by a system's native id, or a page of one type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crossdock.api.auth import Reader
from crossdock.api.deps import NO_CONTROL, HubDep, Limit, NativeId, RecordId, SystemPath
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.errors import NotFound
from crossdock.model.base import EntityType
from crossdock.store import Store, StoredRecord

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
    store: Store, rec: StoredRecord, natives: list[tuple[str, str]] | None = None
) -> RecordOut:
    """A stored record with its provenance and native ids, as the API shows it."""
    if natives is None:
        natives = store.crosswalk.native_ids(rec.entity_type, rec.id)
    return RecordOut(
        id=rec.id,
        entity_type=rec.entity_type,
        version=rec.version,
        deleted=rec.deleted,
        data=rec.data,
        provenance={path: _provenance(p) for path, p in rec.provenance.items()},
        native_ids=[NativeRef(system=s, native_id=n) for s, n in natives],
        updated_at=rec.updated_at,
    )


def _get(store: Store, entity_type: EntityType, record_id: str) -> RecordOut:
    rec = store.records.get(entity_type, record_id)
    if rec is None:
        raise NotFound(f"no {entity_type.value} record {record_id!r}")
    return record_out(store, rec)


@router.get("/{entity_type}", response_model=RecordPage, summary="A page of records of one type")
def list_records(
    entity_type: EntityType,
    hub: HubDep,
    _who: Reader,
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
    rows = hub.store.records.page(
        entity_type, after_id=after, limit=limit, include_deleted=include_deleted
    )
    natives = hub.store.crosswalk.native_ids_of(entity_type, [r.id for r in rows])
    items = [record_out(hub.store, r, natives[r.id]) for r in rows]
    return RecordPage(items=items, next=rows[-1].id if len(rows) == limit else None)


@router.get(
    "/{entity_type}/by-native/{system}/{native_id:path}",
    response_model=RecordOut,
    summary="A record found by a system's native id",
)
def by_native(
    entity_type: EntityType, system: SystemPath, native_id: NativeId, hub: HubDep, _who: Reader
) -> RecordOut:
    record_id = hub.store.crosswalk.resolve(system, entity_type, native_id)
    if record_id is None:
        raise NotFound(f"{system} {entity_type.value} {native_id!r} is not in the crosswalk")
    return _get(hub.store, entity_type, record_id)


@router.get("/{entity_type}/{record_id}", response_model=RecordOut, summary="One record by id")
def get_record(
    entity_type: EntityType, record_id: RecordId, hub: HubDep, _who: Reader
) -> RecordOut:
    return _get(hub.store, entity_type, record_id)
