"""A record's lineage for the console: values with provenance, versions diffed, delivery per route.

Masked for the signed-in key as the API masks ``GET /v1/records`` (the same
:class:`~crossdock.api.masking.Mask`). Whether a route delivered a version:
a receipt says so where the route keeps them; otherwise a parked row says it
waits, a cursor past the version's event says the route handled it (sent, or
superseded by a newer version under compaction), and a version that came from
the route's own destination is never sent back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crossdock.api.auth import Principal
from crossdock.api.masking import Mask
from crossdock.model.base import EntityType
from crossdock.model.paths import flatten
from crossdock.store import Store
from crossdock.store.records import EventRow, ParkedStatus
from crossdock.sync.runtime import Hub

MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldView:
    path: str
    value: str
    system: str | None
    source_ts: str | None
    version: int | None


@dataclass(frozen=True, slots=True)
class Diff:
    path: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Delivery:
    route: str
    destination: str
    state: str
    """delivered, handled, parked, waiting or not sent (it came from there)."""
    at: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class VersionView:
    version: int
    seq: int
    op: str
    time: datetime
    source_system: str | None
    diff: list[Diff]
    deliveries: list[Delivery]


@dataclass(frozen=True, slots=True)
class RecordView:
    entity_type: EntityType
    id: str
    version: int
    deleted: bool
    fields: list[FieldView]
    native_ids: list[tuple[str, str]]
    versions: list[VersionView]
    """Newest first."""


def show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def _diff(before: dict[str, Any], after: dict[str, Any], mask: Mask) -> list[Diff]:
    old, new = mask_flat(before, mask), mask_flat(after, mask)
    return [
        Diff(p, show(old.get(p, MISSING)), show(new.get(p, MISSING)))
        for p in sorted(old.keys() | new.keys())
        if old.get(p, MISSING) != new.get(p, MISSING)
    ]


def mask_flat(data: dict[str, Any], mask: Mask) -> dict[str, Any]:
    return flatten(mask.data(data))


def _deliveries(hub: Hub, ev: EventRow, parked: dict[tuple[str, int], str]) -> list[Delivery]:
    store = hub.store
    out: list[Delivery] = []
    receipts = {(r.route, r.version): r for r in store.receipts.of_entity(ev.entity_id)}
    for route in hub.config.routes:
        if ev.entity_type not in route.entities:
            continue
        cursors = store.cursors.of_route(route.name)
        position = min((c.position for c in cursors), default=0)
        last_ok = max((c.last_success_at for c in cursors if c.last_success_at), default=None)
        receipt = receipts.get((route.name, ev.version))
        if route.destination == ev.source_system:
            out.append(Delivery(route.name, route.destination, "not sent", None, "came from there"))
        elif receipt is not None:
            out.append(
                Delivery(
                    route.name,
                    route.destination,
                    receipt.outcome.value,
                    receipt.at,
                    receipt.native_id or receipt.error or "",
                )
            )
        elif (route.name, ev.version) in parked:
            out.append(
                Delivery(
                    route.name, route.destination, "parked", None, parked[route.name, ev.version]
                )
            )
        elif position >= ev.seq:
            out.append(
                Delivery(
                    route.name,
                    route.destination,
                    "handled",
                    last_ok,
                    "the route passed this version (sent, or a newer one sent in its place); "
                    "the time is the route's last success, the latest it can have been",
                )
            )
        else:
            out.append(Delivery(route.name, route.destination, "waiting", None, "not sent yet"))
    return out


def record_view(
    hub: Hub, who: Principal, entity_type: EntityType, record_id: str
) -> RecordView | None:
    store: Store = hub.store
    rec = store.records.get(entity_type, record_id)
    if rec is None:
        return None
    mask = Mask(hub.config.masking, entity_type, who.viewer)
    provenance = mask.provenance(rec.provenance)
    fields = []
    for path, value in sorted(mask_flat(rec.data, mask).items()):
        stamp = [*(provenance.get(path) or []), None, None, None]
        fields.append(
            FieldView(
                path,
                show(value),
                str(stamp[0]) if stamp[0] is not None else None,
                str(stamp[1]) if stamp[1] is not None else None,
                stamp[2] if isinstance(stamp[2], int) else None,
            )
        )
    parked = {
        (p.route, p.version): f"{p.code}: {p.error}"
        for p in store.parked.page(status=ParkedStatus.PARKED, limit=1000, entity_id=record_id)
    }
    history = store.outbox.history(entity_type, record_id)
    versions: list[VersionView] = []
    before: dict[str, Any] = {}
    for ev in history:
        versions.append(
            VersionView(
                ev.version,
                ev.seq,
                ev.op.value,
                ev.time,
                ev.source_system,
                _diff(before, ev.data, mask),
                _deliveries(hub, ev, parked),
            )
        )
        before = ev.data
    versions.reverse()
    return RecordView(
        entity_type,
        rec.id,
        rec.version,
        rec.deleted,
        fields,
        store.crosswalk.native_ids(entity_type, rec.id),
        versions,
    )


_KEYS = (
    (EntityType.PRODUCT, "sku"),
    (EntityType.CUSTOMER, "account_number"),
    (EntityType.ORDER, "order_number"),
)


def search(hub: Hub, who: Principal, text: str) -> list[tuple[EntityType, str, str]]:
    """(type, record id, how found) for a SKU, account or order number, native or record id."""
    store = hub.store
    found: dict[tuple[EntityType, str], str] = {}
    text = text.strip()
    if not text:
        return []
    for entity_type, kind in _KEYS:
        rid = store.crosswalk.find_by_key(entity_type, kind, text)
        if rid is not None:
            found.setdefault((entity_type, rid), kind.replace("_", " "))
    for system in hub.config.systems:
        for entity_type in EntityType:
            rid = store.crosswalk.resolve(system.name, entity_type, text)
            if rid is not None:
                found.setdefault((entity_type, rid), f"{system.name} native id")
    for entity_type in EntityType:
        if store.records.get(entity_type, text) is not None:
            found.setdefault((entity_type, text), "record id")
    return [(t, rid, how) for (t, rid), how in found.items() if who.may_use(t.value)]


__all__ = ["Delivery", "Diff", "FieldView", "RecordView", "VersionView", "record_view", "search"]
