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

from sqlalchemy import select, update

from crossdock.errors import ConflictError, NotFound
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps, loads
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


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite gives naive UTC back
        return value.replace(tzinfo=UTC)
    return value


class ReconcileLog:
    """Saves and reads each system's last report in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, report: ReconcileReport, *, actor: str, at: datetime | None = None) -> str:
        """Keep ``report`` as its system's last one (replacing any earlier); its run id."""
        run_id = uuid.uuid4().hex
        values = {
            "run_id": run_id,
            "ran_at": at or datetime.now(UTC),
            "actor": actor[:255],
            "records": report.records,
            "agreeing": report.agreeing,
            "unreadable": report.unreadable,
            "drifts": len(report.drifts),
            "summary": _summary(report),
            "document": _document(report),
            "healed_at": None,
            "healed_by": None,
            "healed": None,
        }
        c = t.reconcile_reports.c
        with self.store.write() as tx:
            done = tx.conn.execute(
                update(t.reconcile_reports).where(c.system == report.system).values(**values)
            )
            if done.rowcount == 0:
                tx.conn.execute(t.reconcile_reports.insert().values(system=report.system, **values))
        return run_id

    def latest(self) -> list[StoredReport]:
        """Every system's last report (its summary), by system name."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(*_SUMMARY).order_by(t.reconcile_reports.c.system)).all()
        return [_stored(r._mapping) for r in rows]

    def get(self, system: str) -> StoredReport:
        c = t.reconcile_reports.c
        with self.store.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(c.system == system)).first()
        if row is None:
            raise NotFound(f"no reconciliation report for system {system!r}")
        return _stored(row._mapping)

    def report(self, system: str, run_id: str) -> ReconcileReport:
        """The whole report of run ``run_id``: every drift, and the snapshot records to ingest."""
        c = t.reconcile_reports.c
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(c.records, c.agreeing, c.unreadable, c.document).where(
                    c.system == system, c.run_id == run_id
                )
            ).first()
        if row is None:
            raise NotFound(f"no reconciliation report of run {run_id} for system {system!r}")
        doc = loads(row.document)
        report = ReconcileReport(
            system,
            records=int(row.records),
            agreeing=int(row.agreeing),
            unreadable=int(row.unreadable),
            drifts=[_drift(d) for d in doc.get("drifts", [])],
        )
        for item in doc.get("snapshot", []):
            change = change_from_json(item)
            report.snapshot[(change.entity_type, change.native_id)] = change
        return report

    def claim(self, system: str, run_id: str, *, actor: str) -> ReconcileReport:
        """Mark the report of run ``run_id`` as being healed by ``actor``; the whole report.

        Once only: a second claim, or one for a run a newer one replaced, raises
        :class:`ConflictError`.
        """
        c = t.reconcile_reports.c
        with self.store.write() as tx:
            done = tx.conn.execute(
                update(t.reconcile_reports)
                .where(c.system == system, c.run_id == run_id, c.healed_at.is_(None))
                .values(healed_at=datetime.now(UTC), healed_by=actor[:255])
            )
        if done.rowcount != 1:
            raise ConflictError(
                f"the report of {system} was healed already or replaced by a newer run; "
                "reload the page"
            )
        return self.report(system, run_id)

    def record_outcome(self, system: str, run_id: str, outcome: dict[str, int]) -> None:
        c = t.reconcile_reports.c
        with self.store.write() as tx:
            tx.conn.execute(
                update(t.reconcile_reports)
                .where(c.system == system, c.run_id == run_id)
                .values(healed=dumps(outcome))
            )

    def release(self, system: str, run_id: str) -> None:
        """Undo a claim whose heal failed before it applied anything, so it may be tried again."""
        c = t.reconcile_reports.c
        with self.store.write() as tx:
            tx.conn.execute(
                update(t.reconcile_reports)
                .where(c.system == system, c.run_id == run_id, c.healed.is_(None))
                .values(healed_at=None, healed_by=None)
            )


_C = t.reconcile_reports.c
_SUMMARY = (
    _C.system,
    _C.run_id,
    _C.ran_at,
    _C.actor,
    _C.records,
    _C.agreeing,
    _C.unreadable,
    _C.drifts,
    _C.summary,
    _C.healed_at,
    _C.healed_by,
    _C.healed,
)


def _stored(row: Any) -> StoredReport:
    summary = loads(row["summary"])
    healed = row["healed"]
    return StoredReport(
        row["system"],
        row["run_id"],
        _aware(row["ran_at"]) or datetime.now(UTC),
        row["actor"],
        int(row["records"]),
        int(row["agreeing"]),
        int(row["unreadable"]),
        int(row["drifts"]),
        [
            DriftCount(EntityType(et), DriftKind(kind), Remedy(remedy), int(n))
            for et, kind, remedy, n in summary.get("counts", [])
        ],
        [_drift(d) for d in summary.get("head", [])],
        _aware(row["healed_at"]),
        row["healed_by"],
        loads(healed) if healed else None,
    )


__all__ = ["HEAD", "DriftCount", "ReconcileLog", "StoredReport"]
