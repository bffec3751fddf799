"""Reconciliation: does a system hold what the hub says it should? Field by field.

A system's snapshot (every record it holds, mapped to partial canonical
records by its connector, as on a pull) is compared with the canonical store:

* each snapshot record is found through the crosswalk (system, native id);
  each field the snapshot asserts is compared with the canonical value after
  both go through the canonical model, so ``12.5`` and ``12.50``, or a GTIN
  with and without its leading zero, agree;
* a snapshot record the hub does not know is *unknown to the hub*;
* a live canonical record the system has a native id for, absent from the
  snapshot, is *missing in the system*.

Each drift names its remedy from the ownership matrix and the routes: the
system owns the field, so the hub takes the system's value (``ingest``); the
hub's value is what a route sends to the system (``resend``); or neither, and
the drift is only reported. :func:`heal` applies the remedies through the
normal paths (ingest with its merge rules; a route's audited re-send), so
healing can never do what a normal change could not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from crossdock.config.hub import HubConfig
from crossdock.config.ownership import ANY_SYSTEM, OwnershipMatrix
from crossdock.connectors.base import SourceError, SourceItem
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.paths import flatten_record, unflatten
from crossdock.model.registry import model_for
from crossdock.store import Store
from crossdock.store.records import StoredRecord


class DriftKind(StrEnum):
    DIFFERENT = "different"
    DELETED_IN_HUB = "deleted_in_hub"
    UNKNOWN_TO_HUB = "unknown_to_hub"
    MISSING_IN_SYSTEM = "missing_in_system"


class Remedy(StrEnum):
    INGEST = "ingest"
    """The system is the source: the hub takes its value (through ingest and its merge)."""
    RESEND = "resend"
    """The hub is the source and a route sends it: the route re-sends the record."""
    REPORT = "report"
    """Neither: the system holds a field nobody syncs to it; a person decides."""


@dataclass(frozen=True, slots=True)
class Drift:
    kind: DriftKind
    entity_type: EntityType
    native_id: str | None
    entity_id: str | None
    field: str | None
    system_value: Any
    hub_value: Any
    remedy: Remedy
    route: str | None = None
    owner: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "entity_type": self.entity_type.value,
            "native_id": self.native_id,
            "entity_id": self.entity_id,
            "field": self.field,
            "system_value": self.system_value,
            "hub_value": self.hub_value,
            "remedy": self.remedy.value,
            "route": self.route,
            "owner": self.owner,
        }


@dataclass
class ReconcileReport:
    system: str
    records: int = 0
    agreeing: int = 0
    unreadable: int = 0
    drifts: list[Drift] = field(default_factory=list)
    snapshot: dict[tuple[EntityType, str], Change] = field(default_factory=dict, repr=False)

    @property
    def in_sync(self) -> bool:
        return not self.drifts and not self.unreadable

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.drifts:
            out[d.kind.value] = out.get(d.kind.value, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "records": self.records,
            "agreeing": self.agreeing,
            "unreadable": self.unreadable,
            "in_sync": self.in_sync,
            "drifts_by_kind": self.counts(),
            "drifts": [d.as_dict() for d in self.drifts],
        }


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float | str):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return None
    return None


def same_value(a: Any, b: Any) -> bool:
    """Equal as a person comparing two systems would say: numbers by value, text trimmed."""
    if a == b:
        return True
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return False


class Reconciler:
    """Compares one system's snapshot with the canonical store."""

    def __init__(self, store: Store, hub: HubConfig) -> None:
        self.store = store
        self.hub = hub
        self.matrix = OwnershipMatrix(hub.ownership)

    def reconcile(
        self,
        system: str,
        items: Iterable[SourceItem],
        *,
        entity_types: Iterable[EntityType] | None = None,
        check_missing: bool = True,
    ) -> ReconcileReport:
        """The drift between ``system``'s snapshot and the hub.

        ``check_missing`` should be off for a partial snapshot (one file of
        several): records it does not list are not missing from the system.
        """
        self.hub.system(system)  # KeyError for an unknown system, before any work
        report = ReconcileReport(system)
        wanted = set(entity_types) if entity_types is not None else None
        for item in items:
            if isinstance(item, SourceError):
                report.unreadable += 1
                continue
            if item.system != system or (wanted is not None and item.entity_type not in wanted):
                continue
            if item.op is ChangeOp.UPSERT:
                report.snapshot[(item.entity_type, item.native_id)] = item
        types = {et for et, _ in report.snapshot} if wanted is None else wanted
        for et in sorted(types, key=lambda e: e.value):
            self._compare_type(report, et, check_missing)
        return report

    def _compare_type(self, report: ReconcileReport, et: EntityType, check_missing: bool) -> None:
        system = report.system
        crosswalk = self.store.crosswalk.of_system(system, et)
        natives = [n for (t, n) in report.snapshot if t is et]
        ids = sorted({crosswalk[n] for n in natives if n in crosswalk})
        records = self.store.records.get_many(et, ids)
        for native in natives:
            change = report.snapshot[(et, native)]
            report.records += 1
            cid = crosswalk.get(native)
            rec = records.get(cid) if cid else None
            if rec is None:
                may_create = self.matrix.may_create(et, system)
                report.drifts.append(
                    Drift(
                        DriftKind.UNKNOWN_TO_HUB,
                        et,
                        native,
                        None,
                        None,
                        change.data,
                        None,
                        Remedy.INGEST if may_create else Remedy.REPORT,
                    )
                )
                continue
            found = self._field_drifts(et, system, native, rec, change)
            report.drifts.extend(found)
            if not found:
                report.agreeing += 1
        if check_missing:
            listed = set(natives)
            missing = sorted((n, c) for n, c in crosswalk.items() if n not in listed)
            held = self.store.records.get_many(et, sorted({c for _, c in missing}))
            for native, cid in missing:
                rec = held.get(cid)
                if rec is None or rec.deleted:
                    continue
                route = self._route_to(system, et, None)
                report.drifts.append(
                    Drift(
                        DriftKind.MISSING_IN_SYSTEM,
                        et,
                        native,
                        cid,
                        None,
                        None,
                        rec.data,
                        Remedy.RESEND if route else Remedy.REPORT,
                        route,
                    )
                )

    def _field_drifts(
        self, et: EntityType, system: str, native: str, rec: StoredRecord, change: Change
    ) -> list[Drift]:
        if rec.deleted:
            return [
                Drift(
                    DriftKind.DELETED_IN_HUB,
                    et,
                    native,
                    rec.id,
                    None,
                    change.data,
                    None,
                    Remedy.REPORT,
                )
            ]
        model = model_for(et)
        hub_flat = flatten_record(model, rec.data)
        system_flat = flatten_record(model, change.data)
        # The system's values as the model would store them (formats, padding, enums);
        # a value the model refuses stays as sent and is compared as such.
        try:
            overlay = unflatten({**hub_flat, **{k: v for k, v in system_flat.items()}})
            normal = model.model_validate(overlay).model_dump(
                mode="json", exclude_unset=True, exclude_none=True
            )
            system_flat = {
                k: flatten_record(model, normal).get(k) if v is not None else None
                for k, v in system_flat.items()
            }
        except ValidationError:
            pass
        out: list[Drift] = []
        for path, value in system_flat.items():
            hub_value = hub_flat.get(path)
            if same_value(value, hub_value):
                continue
            owner = self.matrix.owner(et, path)
            route = self._route_to(system, et, path)
            if owner in (system, ANY_SYSTEM) or (owner is None and route is None):
                remedy = Remedy.INGEST
            elif route is not None:
                remedy = Remedy.RESEND
            else:
                remedy = Remedy.REPORT
            out.append(
                Drift(
                    DriftKind.DIFFERENT,
                    et,
                    native,
                    rec.id,
                    path,
                    value,
                    hub_value,
                    remedy,
                    route,
                    owner,
                )
            )
        return out

    def _route_to(self, system: str, et: EntityType, path: str | None) -> str | None:
        """The first route that sends this entity (and field) to ``system``."""
        for r in self.hub.routes:
            if r.destination == system and et in r.entities and (path is None or r.sends(path)):
                return r.name
        return None


__all__ = [
    "Drift",
    "DriftKind",
    "ReconcileReport",
    "Reconciler",
    "Remedy",
    "same_value",
]
