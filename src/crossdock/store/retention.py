"""Pruning rows past their age, in short transactions, never what is still needed.

Each kind is pruned in batches: select the primary keys of up to ``batch``
eligible rows, archive them (when a folder is given), delete them by key,
commit; repeat until a batch comes back short. A batch is one short write
transaction, so ingest and delivery wait at most one batch for the store's
write lock (``benchmarks/retention.py`` measures this).

What "still needed" means for outbox events: at or above the lowest cursor of
any route partition, pointed at by a parked delivery, or the newest version
of its record below that cursor (delivery asks for the version before a
window to decide whether a record left a route's filter).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, exists, select, tuple_
from sqlalchemy.orm import aliased

from crossdock.store import schema as t
from crossdock.store.facade import Store
from crossdock.store.jsoncodec import dumps
from crossdock.store.records import ExceptionStatus, ParkedStatus


@dataclass(slots=True)
class PruneReport:
    pruned: dict[str, int] = field(default_factory=dict)
    horizon: int = 0
    """The lowest cursor of every route partition: no event at or above it is pruned."""

    @property
    def total(self) -> int:
        return sum(self.pruned.values())


def event_horizon(store: Store, partitions: Mapping[str, int]) -> int:
    """The lowest position of every partition of the given routes (0 if one never ran)."""
    if not partitions:
        return 2**62  # no route reads the outbox
    c = t.route_cursors.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(c.route, c.partition, c.position).where(c.route.in_(list(partitions)))
        ).all()
    positions = {(r.route, r.partition): int(r.position) for r in rows}
    lowest = 2**62
    for route, n in partitions.items():
        for p in range(n):
            lowest = min(lowest, positions.get((route, p), 0))
    return lowest


def _events_eligible(horizon: int, cutoff: datetime) -> ColumnElement[bool]:
    e, newer, p = t.events, aliased(t.events), t.parked
    return and_(
        e.c.seq <= horizon,
        e.c.time < cutoff,
        exists().where(
            newer.c.entity_type == e.c.entity_type,
            newer.c.entity_id == e.c.entity_id,
            newer.c.version > e.c.version,
            newer.c.seq <= horizon,
        ),
        ~exists().where(p.c.seq == e.c.seq, p.c.status == ParkedStatus.PARKED.value),
    )


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    table: Table
    keys: tuple[str, ...]
    where: Callable[[datetime], ColumnElement[bool]]


def _kinds(horizon: int) -> list[_Kind]:
    ex, pk, au, ik = t.exceptions.c, t.parked.c, t.audit_log.c, t.inbound_keys.c
    closed = [s.value for s in ExceptionStatus if s is not ExceptionStatus.OPEN]
    done = [ParkedStatus.DELIVERED.value, ParkedStatus.SKIPPED.value]
    return [
        _Kind("events", t.events, ("seq",), lambda cut: _events_eligible(horizon, cut)),
        _Kind("idempotency_keys", t.inbound_keys, ("system", "key"), lambda cut: ik.seen_at < cut),
        _Kind(
            "exceptions",
            t.exceptions,
            ("id",),
            lambda cut: and_(ex.status.in_(closed), ex.updated_at < cut),
        ),
        _Kind(
            "parked", t.parked, ("id",), lambda cut: and_(pk.status.in_(done), pk.updated_at < cut)
        ),
        _Kind("audit", t.audit_log, ("id",), lambda cut: au.at < cut),
    ]


def prune(
    store: Store,
    ages: Mapping[str, float | None],
    *,
    partitions: Mapping[str, int],
    batch: int = 5000,
    archive: Path | None = None,
    now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> PruneReport:
    """Prune each kind named in ``ages`` (days; ``None`` keeps it) past its age.

    ``partitions``: every configured route and its partition count (their cursors
    hold the events they have not passed).
    """
    now = now or datetime.now(UTC)
    report = PruneReport(horizon=event_horizon(store, partitions))
    for kind in _kinds(report.horizon):
        days = ages.get(kind.name)
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        n = _prune_kind(store, kind, cutoff, batch, archive, now, progress)
        if n:
            report.pruned[kind.name] = n
    return report


def _prune_kind(
    store: Store,
    kind: _Kind,
    cutoff: datetime,
    batch: int,
    archive: Path | None,
    now: datetime,
    progress: Callable[[str, int], None] | None,
) -> int:
    cols = [kind.table.c[k] for k in kind.keys]
    key = cols[0] if len(cols) == 1 else tuple_(*cols)
    total = 0
    while True:
        eligible = select(*cols).where(kind.where(cutoff)).order_by(*cols).limit(batch)
        with store.write() as tx:
            if archive is None:
                # One statement: the database picks and deletes the batch, no keys travel.
                n = tx.conn.execute(delete(kind.table).where(key.in_(eligible))).rowcount
            else:
                rows = tx.conn.execute(
                    select(kind.table).where(kind.where(cutoff)).order_by(*cols).limit(batch)
                ).all()
                n = len(rows)
                if rows:
                    _archive(archive, kind.name, now, [r._asdict() for r in rows])
                    keys = [tuple(getattr(r, k) for k in kind.keys) for r in rows]
                    for i in range(0, len(keys), 400):
                        part = keys[i : i + 400]
                        match = (
                            cols[0].in_([k[0] for k in part])
                            if len(cols) == 1
                            else tuple_(*cols).in_(part)
                        )
                        tx.conn.execute(delete(kind.table).where(match))
        total += n
        if n and progress is not None:
            progress(kind.name, n)
        if n < batch:
            break
    return total


def _archive(folder: Path, kind: str, now: datetime, rows: Sequence[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{now:%Y%m%dT%H%M%SZ}.jsonl.gz"
    with gzip.open(path, "at", encoding="utf-8") as f:
        for row in rows:
            f.write(dumps({k: _plain(v) for k, v in row.items()}) + "\n")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


__all__ = ["PruneReport", "event_horizon", "prune"]
