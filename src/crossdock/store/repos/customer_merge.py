"""Customer merges: the merge log, and the identity and reference rows a merge moves.

Every method that changes something takes the caller's write transaction:
the survivor's new version, the merged-away tombstone, the crosswalk and
natural-key rows moved, the orders repointed and the merge row itself commit
together or not at all. The snapshot kept in the merge row is what an
unmerge puts back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update

from crossdock.errors import NotFound
from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.customer_rows import MergeRow, MergeStatus
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_G = t.customer_merges.c
_X, _K, _O, _R = t.crosswalk.c, t.record_keys.c, t.orders.c, t.records.c
_S = t.customer_site_links.c
_CUSTOMER = EntityType.CUSTOMER.value

Link = tuple[str, str, str]
"""A crosswalk row: (system, native id, canonical id)."""
Key = tuple[str, str, str]
"""A natural key row: (kind, value, record id)."""
SiteLink = tuple[str, str, str, str]
"""A ship-to site crosswalk row: (record id, system, native site id, site code)."""


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself (JSON-escaped first: the column holds JSON)."""
    quoted = dumps(text)[1:-1]
    return quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _merge(r: Any) -> MergeRow:
    return MergeRow(
        id=int(r.id),
        survivor_id=r.survivor_id,
        merged_id=r.merged_id,
        status=MergeStatus(r.status),
        snapshot=dict(loads(r.snapshot)),
        merged_at=utc(r.merged_at) or rows.now(),
        merged_by=r.merged_by,
        unmerged_at=utc(r.unmerged_at),
        unmerged_by=r.unmerged_by,
    )


class SqlCustomerMerges(SqlRepo):
    """The ``customer_merges`` table, and the crosswalk, key and order rows a merge moves."""

    # -- the merge log ----------------------------------------------------------------------
    def record(
        self, tx: WriteTx, survivor_id: str, merged_id: str, snapshot: dict[str, Any], actor: str
    ) -> int:
        res = tx.conn.execute(
            t.customer_merges.insert()
            .values(
                survivor_id=survivor_id,
                merged_id=merged_id,
                status=MergeStatus.MERGED.value,
                snapshot=dumps(snapshot),
                merged_at=rows.now(),
                merged_by=actor[:128],
            )
            .returning(_G.id)
        )
        return int(res.scalar_one())

    def get(self, merge_id: int, tx: WriteTx | None = None) -> MergeRow | None:
        """The merge ``merge_id``; locked for the rest of ``tx`` when given."""
        q = select(t.customer_merges).where(_G.id == merge_id)
        if tx is not None:
            r = tx.conn.execute(self._dialect.lock_select(q)).first()
        else:
            with self._engine.connect() as conn:
                r = conn.execute(q).first()
        return None if r is None else _merge(r)

    def merges(self, *, after_id: int = 0, limit: int = 100) -> list[MergeRow]:
        q = select(t.customer_merges).where(_G.id > after_id).order_by(_G.id).limit(limit)
        with self._engine.connect() as conn:
            return [_merge(r) for r in conn.execute(q)]

    def newest_into(self, tx: WriteTx, survivor_id: str) -> MergeRow | None:
        """The newest merge still in force whose survivor is ``survivor_id``."""
        q = (
            select(t.customer_merges)
            .where(_G.survivor_id == survivor_id, _G.status == MergeStatus.MERGED.value)
            .order_by(_G.id.desc())
            .limit(1)
        )
        r = tx.conn.execute(q).first()
        return None if r is None else _merge(r)

    def survivors(self, tx: WriteTx | None, ids: Sequence[str]) -> dict[str, str]:
        """merged-away id -> the record it lives on in, for those of ``ids`` merged away.

        Follows chains (a merged into b, b into c: a -> c).
        """
        edges: dict[str, str] = {}
        todo = list(dict.fromkeys(ids))
        asked: set[str] = set()
        while todo:
            chunk, todo = todo[: rows.CHUNK], todo[rows.CHUNK :]
            asked.update(chunk)
            q = select(_G.merged_id, _G.survivor_id).where(
                _G.merged_id.in_(chunk), _G.status == MergeStatus.MERGED.value
            )
            if tx is not None:
                found = {r[0]: r[1] for r in tx.conn.execute(q)}
            else:
                with self._engine.connect() as conn:
                    found = {r[0]: r[1] for r in conn.execute(q)}
            edges.update(found)
            todo.extend(s for s in set(found.values()) - asked if s not in todo)
        out: dict[str, str] = {}
        for start in ids:
            at, hops = start, 0
            while at in edges and hops <= len(edges):  # a cycle cannot form; guard anyway
                at, hops = edges[at], hops + 1
            if at != start:
                out[start] = at
        return out

    def set_unmerged(self, tx: WriteTx, merge_id: int, actor: str) -> None:
        res = tx.conn.execute(
            update(t.customer_merges)
            .where(_G.id == merge_id, _G.status == MergeStatus.MERGED.value)
            .values(
                status=MergeStatus.UNMERGED.value, unmerged_at=rows.now(), unmerged_by=actor[:128]
            )
        )
        if res.rowcount != 1:
            raise NotFound(f"merge {merge_id} is not in force")

    # -- what a merge moves -----------------------------------------------------------------
    def links(self, tx: WriteTx, record_ids: Sequence[str]) -> list[Link]:
        """The crosswalk rows of these customers, in a stable order."""
        q = (
            select(_X.system, _X.native_id, _X.canonical_id)
            .where(_X.entity_type == _CUSTOMER, _X.canonical_id.in_(list(record_ids)))
            .order_by(_X.system, _X.native_id)
        )
        return [(r[0], r[1], r[2]) for r in tx.conn.execute(q)]

    def set_links(self, tx: WriteTx, links: Sequence[Link]) -> None:
        """Point each (system, native id) at the canonical id given."""
        for system, native, canonical in links:
            tx.conn.execute(
                update(t.crosswalk)
                .where(_X.entity_type == _CUSTOMER, _X.system == system, _X.native_id == native)
                .values(canonical_id=canonical)
            )

    def keys(self, tx: WriteTx, record_ids: Sequence[str]) -> list[Key]:
        """The natural key rows (account numbers) naming these customers."""
        q = (
            select(_K.kind, _K.value, _K.record_id)
            .where(_K.entity_type == _CUSTOMER, _K.record_id.in_(list(record_ids)))
            .order_by(_K.kind, _K.value)
        )
        return [(r[0], r[1], r[2]) for r in tx.conn.execute(q)]

    def set_keys(self, tx: WriteTx, record_ids: Sequence[str], keys: Sequence[Key]) -> None:
        """Make ``keys`` exactly the natural key rows naming ``record_ids``."""
        tx.conn.execute(
            t.record_keys.delete().where(
                _K.entity_type == _CUSTOMER, _K.record_id.in_(list(record_ids))
            )
        )
        if keys:
            tx.conn.execute(
                t.record_keys.insert(),
                [
                    {"entity_type": _CUSTOMER, "kind": k, "value": v, "record_id": rid}
                    for k, v, rid in keys
                ],
            )

    def orders_of(self, tx: WriteTx, customer_id: str) -> list[str]:
        q = select(_O.id).where(_O.customer_id == customer_id).order_by(_O.id)
        return [r[0] for r in tx.conn.execute(q)]

    def lists_naming(self, tx: WriteTx, accounts: Sequence[str]) -> list[str]:
        """Ids of live price lists whose JSON names any of ``accounts`` (the caller checks)."""
        if not accounts:
            return []
        found = or_(*(_R.data.like('%"' + _like(a) + '"%', escape="\\") for a in accounts))
        q = (
            select(_R.id)
            .where(_R.entity_type == EntityType.PRICE_LIST.value, _R.deleted.is_(False), found)
            .order_by(_R.id)
        )
        return [r[0] for r in tx.conn.execute(q)]

    def set_order_customer(self, tx: WriteTx, order_ids: Sequence[str], customer_id: str) -> None:
        for chunk in (order_ids[i : i + rows.CHUNK] for i in range(0, len(order_ids), rows.CHUNK)):
            tx.conn.execute(
                update(t.orders).where(_O.id.in_(list(chunk))).values(customer_id=customer_id)
            )

    # -- the ship-to site crosswalk ---------------------------------------------------------
    def site_links(
        self, tx: WriteTx, record_ids: Sequence[str], systems: Sequence[str] | None = None
    ) -> list[SiteLink]:
        """The site crosswalk rows of these customers (of ``systems`` only, when given)."""
        q = select(_S.record_id, _S.system, _S.native_id, _S.code).where(
            _S.record_id.in_(list(record_ids))
        )
        if systems is not None:
            q = q.where(_S.system.in_(list(systems)))
        q = q.order_by(_S.record_id, _S.system, _S.native_id)
        return [(r[0], r[1], r[2], r[3]) for r in tx.conn.execute(q)]

    def put_site_links(self, tx: WriteTx, links: Sequence[SiteLink]) -> None:
        """Point each (record, system, native site id) at its code (insert or update)."""
        if links:
            tx.conn.execute(
                self._dialect.upsert(t.customer_site_links, ["record_id", "system", "native_id"]),
                [{"record_id": r, "system": s, "native_id": n, "code": c} for r, s, n, c in links],
            )

    def set_site_links(
        self, tx: WriteTx, record_ids: Sequence[str], links: Sequence[SiteLink]
    ) -> None:
        """Make ``links`` exactly the site crosswalk rows of ``record_ids`` (merge, unmerge)."""
        tx.conn.execute(t.customer_site_links.delete().where(_S.record_id.in_(list(record_ids))))
        if links:
            tx.conn.execute(
                t.customer_site_links.insert(),
                [{"record_id": r, "system": s, "native_id": n, "code": c} for r, s, n, c in links],
            )


__all__ = ["Key", "Link", "SiteLink", "SqlCustomerMerges"]
