"""Route cursors: how far each partition of a route has delivered from the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.records import RouteCursor
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx

_C = t.route_cursors.c


class SqlCursors(SqlRepo):
    """The ``route_cursors`` table."""

    def get(self, route: str, partition: int = 0) -> RouteCursor:
        """One partition's cursor (at 0 when it has none yet)."""
        with self._engine.connect() as conn:
            r = conn.execute(
                select(t.route_cursors).where(_C.route == route, _C.partition == partition)
            ).first()
        if r is None:
            return RouteCursor(route=route, position=0, partition=partition)
        return rows.cursor(r)

    def of_route(self, route: str) -> list[RouteCursor]:
        """Every partition's cursor of a route that has one."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.route_cursors).where(_C.route == route).order_by(_C.partition)
            ).all()
        return [rows.cursor(r) for r in found]

    def save(
        self,
        tx: WriteTx,
        route: str,
        position: int,
        *,
        partition: int = 0,
        success: bool,
        delivered: int,
        error: str | None,
    ) -> None:
        """Upsert one partition's cursor of a route inside a write transaction."""
        now = rows.now()
        where = (_C.route == route, _C.partition == partition)
        exists = tx.conn.execute(select(_C.route).where(*where)).first()
        values: dict[str, Any] = {"position": position, "updated_at": now, "last_error": error}
        if success:
            values["last_success_at"] = now
        if exists is None:
            tx.conn.execute(
                t.route_cursors.insert().values(
                    route=route, partition=partition, delivered=delivered, **values
                )
            )
        else:
            tx.conn.execute(
                update(t.route_cursors)
                .where(*where)
                .values(delivered=_C.delivered + delivered, **values)
            )

    def move_by_hand(
        self, route: str, position: int, *, partitions: int = 1, actor: str, reason: str
    ) -> None:
        """Move every partition's cursor of a route by hand (replay); audited."""
        with self._write() as tx:
            for p in range(partitions):
                self.save(tx, route, position, partition=p, success=False, delivered=0, error=None)
            tx.audit(actor, "route.cursor.set", route, {"position": position, "reason": reason})
