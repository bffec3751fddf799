"""Reconciling a system the hub only writes to: the destination reads itself back.

A destination (a web shop) holds what the hub's routes sent it, in its own
shape: a product's case variant has its own price, a stock level is one
number per location. So the hub gives the destination what each route sends
it (:class:`~crossdock.connectors.base.Sent`: the record as projected by the
route, or withdrawn), and the destination compares that with what it reads
(:class:`~crossdock.connectors.base.ReadBackDestination`). Its mismatches
become the same :class:`~crossdock.sync.reconcile.Drift` rows as a source's
snapshot drift, each with the route that re-sends the record as its remedy,
so ``crossdock reconcile --heal`` mends them through an audited re-send.
"""

from __future__ import annotations

from collections.abc import Iterator

from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Mismatch, ReadBackDestination, Sent
from crossdock.model.base import EntityType
from crossdock.store import Store, StoredRecord
from crossdock.sync.projection import passes_filter, project
from crossdock.sync.reconcile import Drift, DriftKind, ReconcileReport, Remedy


def _all(store: Store, et: EntityType) -> Iterator[StoredRecord]:
    """Every record of a type, deleted ones included (a tombstone keeps its last data)."""
    after: str | None = None
    while page := store.records.page(et, after_id=after, limit=2000, include_deleted=True):
        yield from page
        after = page[-1].id


def sent_to(store: Store, hub: HubConfig, system: str) -> list[Sent]:
    """Every record each route to ``system`` sends, as the route sends it."""
    out: list[Sent] = []
    for route in hub.routes:
        if route.destination != system:
            continue
        for et in route.entities:
            for rec in _all(store, et):
                gone = rec.deleted or not passes_filter(route, rec.data)
                # a withdrawn record keeps its last data: the destination finds it by it
                out.append(Sent(et, rec.id, route.name, project(route, rec.data, et), gone))
    return out


def _drift(m: Mismatch) -> Drift:
    kind = DriftKind(m.kind)
    # What the hub sent is the truth for a destination: the route re-sends it (a withdrawn
    # record goes again as a delete). A record the hub never sent is for a person.
    remedy = Remedy.RESEND if m.route and kind is not DriftKind.UNKNOWN_TO_HUB else Remedy.REPORT
    return Drift(
        kind,
        m.entity_type,
        m.native_id,
        m.entity_id,
        m.field,
        m.system_value,
        m.hub_value,
        remedy,
        m.route,
    )


def read_back(
    store: Store,
    hub: HubConfig,
    system: str,
    destination: ReadBackDestination,
    report: ReconcileReport | None = None,
) -> ReconcileReport:
    """The destination's drift from what the hub sent it, added to ``report`` (or a new one)."""
    report = report if report is not None else ReconcileReport(system)
    found = destination.read_back(sent_to(store, hub, system))
    report.records += found.records
    report.agreeing += found.agreeing
    report.drifts.extend(_drift(m) for m in found.mismatches)
    return report


__all__ = ["read_back", "sent_to"]
