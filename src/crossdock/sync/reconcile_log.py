"""The last reconciliation report of each system, kept in the store so the console can show it.

``crossdock reconcile`` saves every report it makes (:meth:`ReconcileLog.save`),
replacing the system's previous one. It is kept twice over: a summary (drift
counts per entity type, kind and remedy, and the first :data:`HEAD` drifts),
which is all a page reads, so showing a report costs the same at 100 drifts or
100,000; and the whole document (every drift and, for each drift whose remedy
is ``ingest``, the system's snapshot record), read only to heal it, exactly
as it would have been healed right away.

Healing a stored report happens at most once: :meth:`ReconcileLog.claim` marks
the report healed in one conditional update (its run id, not healed yet)
before anything is applied, so two operators pressing the button at once, or
a reload, heal it once; a newer run's report is not healed by a stale page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossdock.errors import ConflictError, NotFound
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.reconcile_reports import NewReport, ReconcileReports, ReportRow
from crossdock.sync.changes_codec import change_from_json, change_to_json
from crossdock.sync.reconcile import Drift, DriftKind, ReconcileReport, Remedy

HEAD = 500
"""Drifts kept in a report's summary, for the page to list (the counts cover them all)."""


@dataclass(frozen=True, slots=True)
class DriftCount:
    entity_type: EntityType
    kind: DriftKind
    remedy: Remedy
    count: int


@dataclass(frozen=True, slots=True)
class StoredReport:
    """One system's last report as the store keeps it: its figures and summary."""

    system: str
    run_id: str
    ran_at: datetime
    actor: str
    records: int
    agreeing: int
    unreadable: int
    drifts: int
    counts: list[DriftCount]
    head: list[Drift]
    """The first :data:`HEAD` drifts."""
    healed_at: datetime | None
    healed_by: str | None
    healed: dict[str, int] | None

    @property
    def in_sync(self) -> bool:
        return not self.drifts and not self.unreadable

    @property
    def remediable(self) -> int:
        """Drifts a heal would act on (``ingest`` or ``resend``)."""
        return sum(c.count for c in self.counts if c.remedy is not Remedy.REPORT)


def _drift(doc: dict[str, Any]) -> Drift:
    return Drift(
        DriftKind(doc["kind"]),
        EntityType(doc["entity_type"]),
        doc.get("native_id"),
        doc.get("entity_id"),
        doc.get("field"),
        doc.get("system_value"),
        doc.get("hub_value"),
        Remedy(doc["remedy"]),
        doc.get("route"),
        doc.get("owner"),
    )


def _summary(report: ReconcileReport) -> str:
    counts: dict[tuple[str, str, str], int] = {}
    for d in report.drifts:
        key = (d.entity_type.value, d.kind.value, d.remedy.value)
        counts[key] = counts.get(key, 0) + 1
    return dumps(
        {
            "counts": [[*k, n] for k, n in sorted(counts.items())],
            "head": [d.as_dict() for d in report.drifts[:HEAD]],
        }
    )


def _document(report: ReconcileReport) -> str:
    wanted = {
        (d.entity_type, d.native_id)
        for d in report.drifts
        if d.remedy is Remedy.INGEST and d.native_id is not None
    }
    snapshot = [change_to_json(c) for k, c in report.snapshot.items() if k in wanted]
    return dumps({"drifts": [d.as_dict() for d in report.drifts], "snapshot": snapshot})


def _stored(row: ReportRow) -> StoredReport:
    summary = loads(row.summary)
    return StoredReport(
        row.system,
        row.run_id,
        row.ran_at,
        row.actor,
        row.records,
        row.agreeing,
        row.unreadable,
        row.drifts,
        [
            DriftCount(EntityType(et), DriftKind(kind), Remedy(remedy), int(n))
            for et, kind, remedy, n in summary.get("counts", [])
        ],
        [_drift(d) for d in summary.get("head", [])],
        row.healed_at,
        row.healed_by,
        loads(row.healed) if row.healed else None,
    )


class ReconcileLog:
    """Saves and reads each system's last report in one store."""

    def __init__(self, store: Store) -> None:
        self.table = ReconcileReports(store)

    def save(self, report: ReconcileReport, *, actor: str, at: datetime | None = None) -> str:
        """Keep ``report`` as its system's last one (replacing any earlier); its run id."""
        run_id = uuid.uuid4().hex
        new = NewReport(
            report.system,
            actor,
            report.records,
            report.agreeing,
            report.unreadable,
            len(report.drifts),
            _summary(report),
            _document(report),
        )
        self.table.put(new, run_id, at or datetime.now(UTC))
        return run_id

    def latest(self) -> list[StoredReport]:
        """Every system's last report (its summary), by system name."""
        return [_stored(r) for r in self.table.rows()]

    def get(self, system: str) -> StoredReport:
        found = self.table.rows(system)
        if not found:
            raise NotFound(f"no reconciliation report for system {system!r}")
        return _stored(found[0])

    def report(self, system: str, run_id: str) -> ReconcileReport:
        """The whole report of run ``run_id``: every drift, and the snapshot records to ingest."""
        found = self.table.rows(system)
        text = self.table.document(system, run_id) if found else None
        if text is None:
            raise NotFound(f"no reconciliation report of run {run_id} for system {system!r}")
        row = found[0]
        doc = loads(text)
        report = ReconcileReport(
            system,
            records=row.records,
            agreeing=row.agreeing,
            unreadable=row.unreadable,
            drifts=[_drift(d) for d in doc.get("drifts", [])],
        )
        for item in doc.get("snapshot", []):
            change = change_from_json(item)
            report.snapshot[(change.entity_type, change.native_id)] = change
        return report

    def claim(self, system: str, run_id: str, *, actor: str) -> None:
        """Mark the report of run ``run_id`` as being healed by ``actor``.

        Once only: a second claim, or one for a run a newer one replaced, raises
        :class:`ConflictError`.
        """
        if not self.table.claim(system, run_id, actor):
            raise ConflictError(
                f"the report of {system} was healed already or replaced by a newer run; "
                "reload the page"
            )

    def record_outcome(self, system: str, run_id: str, outcome: dict[str, int]) -> None:
        """What the heal of run ``run_id`` did (shown beside the report)."""
        self.table.outcome(system, run_id, dumps(outcome))

    def release(self, system: str, run_id: str) -> None:
        """Undo a claim whose heal failed, so the report may be healed again."""
        self.table.release(system, run_id)


__all__ = ["HEAD", "DriftCount", "ReconcileLog", "StoredReport"]
