"""The table of each system's last reconciliation report: one row per system, replaced per run.

A row holds the run's figures, a short summary (what a page reads) and the
whole document (what a heal reads), both JSON text written by
:mod:`crossdock.sync.reconcile_log`, which knows what they mean. Healing is
claimed with one conditional update on (system, run id, not healed yet), so a
report is healed at most once and never after a newer run replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.facade import Store

_C = t.reconcile_reports.c


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A system's last report without its whole document."""

    system: str
    run_id: str
    ran_at: datetime
    actor: str
    records: int
    agreeing: int
    unreadable: int
    drifts: int
    summary: str
    healed_at: datetime | None
    healed_by: str | None
    healed: str | None


@dataclass(frozen=True, slots=True)
class NewReport:
    system: str
    actor: str
    records: int
    agreeing: int
    unreadable: int
    drifts: int
    summary: str
    document: str


_ROW = (
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


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite gives naive UTC back
        return value.replace(tzinfo=UTC)
    return value


def _row(r: object) -> ReportRow:
    m = r._mapping  # type: ignore[attr-defined]
    return ReportRow(
        m["system"],
        m["run_id"],
        _utc(m["ran_at"]) or datetime.now(UTC),
        m["actor"],
        int(m["records"]),
        int(m["agreeing"]),
        int(m["unreadable"]),
        int(m["drifts"]),
        m["summary"],
        _utc(m["healed_at"]),
        m["healed_by"],
        m["healed"],
    )


class ReconcileReports:
    """Each system's last report in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, new: NewReport, run_id: str, at: datetime) -> None:
        """Keep ``new`` as its system's last report (replacing any earlier, healed or not)."""
        values = {
            "run_id": run_id,
            "ran_at": at,
            "actor": new.actor[:255],
            "records": new.records,
            "agreeing": new.agreeing,
            "unreadable": new.unreadable,
            "drifts": new.drifts,
            "summary": new.summary,
            "document": new.document,
            "healed_at": None,
            "healed_by": None,
            "healed": None,
        }
        with self.store.write() as tx:
            done = tx.conn.execute(
                update(t.reconcile_reports).where(_C.system == new.system).values(**values)
            )
            if done.rowcount == 0:
                tx.conn.execute(t.reconcile_reports.insert().values(system=new.system, **values))

    def rows(self, system: str | None = None) -> list[ReportRow]:
        """The last report of every system (or of one), by system name."""
        q = select(*_ROW).order_by(_C.system)
        if system is not None:
            q = q.where(_C.system == system)
        with self.store.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q).all()]

    def document(self, system: str, run_id: str) -> str | None:
        """The whole document of run ``run_id``; None when a newer run replaced it."""
        with self.store.engine.connect() as conn:
            found = conn.execute(
                select(_C.document).where(_C.system == system, _C.run_id == run_id)
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def claim(self, system: str, run_id: str, actor: str) -> bool:
        """Mark run ``run_id`` as healed by ``actor``; False when healed or replaced already."""
        with self.store.write() as tx:
            done = tx.conn.execute(
                update(t.reconcile_reports)
                .where(_C.system == system, _C.run_id == run_id, _C.healed_at.is_(None))
                .values(healed_at=datetime.now(UTC), healed_by=actor[:255])
            )
        return bool(done.rowcount == 1)

    def outcome(self, system: str, run_id: str, healed: str) -> None:
        with self.store.write() as tx:
            tx.conn.execute(
                update(t.reconcile_reports)
                .where(_C.system == system, _C.run_id == run_id)
                .values(healed=healed)
            )

    def release(self, system: str, run_id: str) -> None:
        """Undo a claim whose heal failed, so the report may be healed again."""
        with self.store.write() as tx:
            tx.conn.execute(
                update(t.reconcile_reports)
                .where(_C.system == system, _C.run_id == run_id, _C.healed.is_(None))
                .values(healed_at=None, healed_by=None)
            )


__all__ = ["NewReport", "ReconcileReports", "ReportRow"]
