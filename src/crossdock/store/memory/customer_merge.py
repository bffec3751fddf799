"""The in-memory twin of the customer merge log and the rows a merge moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crossdock.errors import NotFound
from crossdock.store.customer_rows import MergeRow, MergeStatus


class MemoryCustomerMerges:
    """Answers what :class:`~crossdock.store.repos.customer_merge.SqlCustomerMerges` answers.

    Links, keys and order owners live in its own dicts; ``tx`` is taken for the shape.
    """

    def __init__(self) -> None:
        self.rows: list[MergeRow] = []
        self.crosswalk: dict[tuple[str, str], str] = {}
        self.natural: dict[tuple[str, str], str] = {}
        self.order_owner: dict[str, str] = {}
        self.site_rows: dict[tuple[str, str, str], str] = {}
        self.price_lists: list[str] = []
        """Price-list ids a merge should look at (the twin holds no records)."""

    def record(
        self, tx: Any, survivor_id: str, merged_id: str, snapshot: dict[str, Any], actor: str
    ) -> int:
        row = MergeRow(
            len(self.rows) + 1, survivor_id, merged_id, MergeStatus.MERGED, snapshot,
            datetime.now(UTC), actor,
        )  # fmt: skip
        self.rows.append(row)
        return row.id

    def get(self, merge_id: int, tx: Any = None) -> MergeRow | None:
        return self.rows[merge_id - 1] if 0 < merge_id <= len(self.rows) else None

    def merges(self, *, after_id: int = 0, limit: int = 100) -> list[MergeRow]:
        return self.rows[after_id : after_id + limit]

    def newest_into(self, tx: Any, survivor_id: str) -> MergeRow | None:
        live = [
            r for r in self.rows
            if r.survivor_id == survivor_id and r.status is MergeStatus.MERGED
        ]  # fmt: skip
        return live[-1] if live else None

    def survivors(self, tx: Any, ids: Sequence[str]) -> dict[str, str]:
        edges = {r.merged_id: r.survivor_id for r in self.rows if r.status is MergeStatus.MERGED}
        out: dict[str, str] = {}
        for start in ids:
            at = start
            while at in edges:
                at = edges[at]
            if at != start:
                out[start] = at
        return out

    def set_unmerged(self, tx: Any, merge_id: int, actor: str) -> None:
        row = self.get(merge_id)
        if row is None or row.status is not MergeStatus.MERGED:
            raise NotFound(f"merge {merge_id} is not in force")
        self.rows[merge_id - 1] = replace(
            row, status=MergeStatus.UNMERGED, unmerged_at=datetime.now(UTC), unmerged_by=actor
        )

    def links(self, tx: Any, record_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        return sorted((s, n, c) for (s, n), c in self.crosswalk.items() if c in record_ids)

    def set_links(self, tx: Any, links: Sequence[tuple[str, str, str]]) -> None:
        for s, n, c in links:
            if (s, n) in self.crosswalk:
                self.crosswalk[(s, n)] = c

    def keys(self, tx: Any, record_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        return sorted((k, v, r) for (k, v), r in self.natural.items() if r in record_ids)

    def set_keys(
        self, tx: Any, record_ids: Sequence[str], keys: Sequence[tuple[str, str, str]]
    ) -> None:
        self.natural = {kv: r for kv, r in self.natural.items() if r not in record_ids}
        self.natural.update({(k, v): r for k, v, r in keys})

    def orders_of(self, tx: Any, customer_id: str) -> list[str]:
        return sorted(o for o, c in self.order_owner.items() if c == customer_id)

    def lists_naming(self, tx: Any, accounts: Sequence[str]) -> list[str]:
        return list(self.price_lists) if accounts else []

    def set_order_customer(self, tx: Any, order_ids: Sequence[str], customer_id: str) -> None:
        for o in order_ids:
            self.order_owner[o] = customer_id

    def site_links(
        self, tx: Any, record_ids: Sequence[str], systems: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, str]]:
        return sorted(
            (r, s, n, c)
            for (r, s, n), c in self.site_rows.items()
            if r in record_ids and (systems is None or s in systems)
        )

    def put_site_links(self, tx: Any, links: Sequence[tuple[str, str, str, str]]) -> None:
        self.site_rows.update({(r, s, n): c for r, s, n, c in links})

    def set_site_links(
        self, tx: Any, record_ids: Sequence[str], links: Sequence[tuple[str, str, str, str]]
    ) -> None:
        self.site_rows = {k: c for k, c in self.site_rows.items() if k[0] not in record_ids}
        self.put_site_links(tx, links)
