"""The webhook inbox: payloads recorded before the answer, ingested behind it.

Each row is claimed before it is ingested, so two workers never ingest one
row at the same time; a claim older than the caller's stale time belongs to a
worker that died and may be taken over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo

_C = t.inbox.c


class SqlInbox(SqlRepo):
    """The ``inbox`` table."""

    def add(self, system: str, items_json: str) -> int:
        """Record one webhook's items (JSON text) as pending; the row's id."""
        with self._write() as tx:
            res = tx.conn.execute(
                t.inbox.insert().values(
                    system=system, received_at=rows.now(), items=items_json, status="pending"
                )
            )
            pk = res.inserted_primary_key
        return int(pk[0]) if pk else 0

    def waiting(self, limit: int) -> list[int]:
        """Ids of rows not yet done (pending, or claimed), oldest first."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_C.id)
                .where(_C.status.in_(("pending", "processing")))
                .order_by(_C.id)
                .limit(limit)
            ).all()
        return [int(r[0]) for r in found]

    def claim(self, row_id: int, now: datetime, stale_before: datetime) -> str | None:
        """Claim a pending row (or one whose claim went stale); its items, or None if taken."""
        with self._write() as tx:
            res = tx.conn.execute(
                update(t.inbox)
                .where(
                    _C.id == row_id,
                    (_C.status == "pending")
                    | ((_C.status == "processing") & (_C.claimed_at < stale_before)),
                )
                .values(status="processing", claimed_at=now)
            )
            if res.rowcount != 1:
                return None
            items: str = tx.conn.execute(select(_C["items"]).where(_C.id == row_id)).scalar_one()
            return items

    def done(self, row_id: int) -> None:
        """Mark a row ingested."""
        with self._write() as tx:
            tx.conn.execute(update(t.inbox).where(_C.id == row_id).values(status="done"))
