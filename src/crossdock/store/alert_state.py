"""The state of each alert rule: firing or not, since when, and the notice still to send.

An alert that changes state (starts firing, or resolves) gets a pending
notice with an id made of its name, its new state and when that began; the
notice stays pending until a sender reports it sent, so a crash between the
change and the send sends it on the next pass, with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update

from crossdock.store import schema as t
from crossdock.store.facade import Store
from crossdock.store.write import utc

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertState:
    name: str
    firing: bool
    since: datetime
    value: float | None
    message: str
    pending_notice: str | None
    notice_id: str | None


_c = t.alerts.c


def _state(r: Row[Any]) -> AlertState:
    return AlertState(
        r.name,
        bool(r.firing),
        utc(r.since) or r.since,
        r.value,
        r.message,
        r.pending_notice,
        r.notice_id,
    )


def states(store: Store) -> dict[str, AlertState]:
    with store.engine.connect() as conn:
        return {r.name: _state(r) for r in conn.execute(select(t.alerts)).all()}


def observe(
    store: Store, name: str, firing: bool, value: float | None, message: str, now: datetime
) -> AlertState:
    """Record what a rule measured; a change of state leaves a notice pending."""
    with store.write() as tx:
        q = tx.dialect.lock_select(select(t.alerts).where(_c.name == name))
        row = tx.conn.execute(q).first()
        if row is None:
            tx.conn.execute(
                tx.dialect.insert_ignore(t.alerts).values(
                    name=name,
                    firing=False,
                    since=now,
                    value=None,
                    message="",
                    updated_at=now,
                )
            )
            row = tx.conn.execute(q).one()
        old = _state(row)
        values: dict[str, object] = {"value": value, "message": message, "updated_at": now}
        if firing != old.firing:
            notice = FIRING if firing else RESOLVED
            values |= {
                "firing": firing,
                "since": now,
                "pending_notice": notice,
                "notice_id": f"alert_{name}_{notice}_{int(now.timestamp() * 1000)}",
            }
        tx.conn.execute(update(t.alerts).where(_c.name == name).values(**values))
        return _state(tx.conn.execute(select(t.alerts).where(_c.name == name)).one())


def notice_sent(store: Store, name: str, notice_id: str) -> None:
    """The notice went out: clear it (unless a newer change replaced it meanwhile)."""
    with store.write() as tx:
        tx.conn.execute(
            update(t.alerts)
            .where(_c.name == name, _c.notice_id == notice_id)
            .values(pending_notice=None)
        )


def last_change_from(store: Store, system: str, not_before: datetime) -> datetime | None:
    """When the newest change from ``system`` since ``not_before`` was committed, if any.

    Reads back from the newest event, within the window only (the time index finds
    its start), so a lively system answers at once and a silent one costs the window.
    """
    first = store.outbox.first_seq_since(not_before)
    if first is None:
        return None
    c = t.events.c
    with store.engine.connect() as conn:
        at = conn.execute(
            select(c.time)
            .where(c.seq >= first, c.source_system == system)
            .order_by(c.seq.desc())
            .limit(1)
        ).scalar()
    return utc(at)


def forget_others(store: Store, names: set[str]) -> None:
    """Drop the state of rules no longer in the hub file."""
    with store.write() as tx:
        tx.conn.execute(t.alerts.delete().where(_c.name.not_in(names or {""})))


__all__ = [
    "FIRING",
    "RESOLVED",
    "AlertState",
    "forget_others",
    "last_change_from",
    "notice_sent",
    "observe",
    "states",
]
