"""Connector state: small named values a connector keeps in the hub's store (bookmarks).

A pull source that reads "changes since" keeps its bookmark here, one text
value per (system, key). Guarantee: a bookmark is saved only after the input
it covers was committed by ingest (the unit's ``ack``), so a crash re-reads
from the previous bookmark: at-least-once, and ingest's idempotency keys and
unchanged-record detection make the effect once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from crossdock.store import schema as t
from crossdock.store.facade import Store


class ConnectorState:
    """The bookmarks of one system in one store."""

    def __init__(self, store: Store, system: str) -> None:
        self.store = store
        self.system = system

    def get(self, key: str) -> str | None:
        c = t.connector_state.c
        with self.store.engine.connect() as conn:
            value = conn.execute(
                select(c.value).where(c.system == self.system, c.key == key)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def all(self) -> dict[str, str]:
        c = t.connector_state.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(c.key, c.value).where(c.system == self.system)).all()
        return {str(k): str(v) for k, v in rows}

    def set(self, key: str, value: str) -> None:
        """Insert or replace one value (one short transaction)."""
        c = t.connector_state.c
        now = datetime.now(UTC)
        with self.store.write() as tx:
            res = tx.conn.execute(
                update(t.connector_state)
                .where(c.system == self.system, c.key == key)
                .values(value=value, updated_at=now)
            )
            if res.rowcount == 0:
                tx.conn.execute(
                    t.connector_state.insert().values(
                        system=self.system, key=key, value=value, updated_at=now
                    )
                )

    def reset(self, *, actor: str, key: str | None = None) -> int:
        """Forget one value (or all of the system's), audited: the next pull reads everything."""
        c = t.connector_state.c
        with self.store.write() as tx:
            q = delete(t.connector_state).where(c.system == self.system)
            if key is not None:
                q = q.where(c.key == key)
            n = int(tx.conn.execute(q).rowcount)
            tx.audit(actor, "bookmarks.reset", self.system, {"key": key, "rows": n})
        return n


def systems_with_state(store: Store) -> list[str]:
    """Systems that keep any connector state."""
    c = t.connector_state.c
    with store.engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(select(c.system).distinct().order_by(c.system))]


__all__ = ["ConnectorState", "systems_with_state"]
