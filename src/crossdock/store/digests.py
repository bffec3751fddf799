"""Ingest digests: what each system last sent for each record, so an unchanged resend is free.

A nightly full export is mostly rows the hub already holds. For each (entity
type, system, native id) the store keeps the digest of the last change that
applied in full (nothing stale, refused, proposed or held), the record's
version right after it, and its source time. A later change with the same
digest, for the same record still at that version, would change nothing but
the source times in the provenance; ingest acknowledges it without loading,
merging or writing the record, and moves ``seen_ts`` on instead. Where a later
change does load the record, the provenance stamps that change left are lifted
to ``seen_ts`` first (:meth:`DigestTx.digest_lifts`), so out-of-order
protection sees the newest confirmation as the record's own stamps would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossdock.model.base import EntityType
from crossdock.store.bulk import BulkTx


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A system's last fully applied content for one record, and where the record is now."""

    record_id: str
    version: int
    """The record's version right after that content applied."""
    digest: str
    seen_ts: str
    record_version: int | None
    """The record's version in the store now (``None``: the record is gone)."""


@dataclass(frozen=True, slots=True)
class NewDigest:
    system: str
    native_id: str
    record_id: str
    version: int
    digest: str
    ts: str


class DigestTx(BulkTx):
    """The digest table's reads and writes inside one write transaction."""

    def digests(
        self, entity_type: EntityType, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredDigest]:
        """The stored digests of (system, native id) pairs, with their record's version now."""
        by_system: dict[str, list[str]] = {}
        for system, native in pairs:
            by_system.setdefault(system, []).append(native)
        found: dict[tuple[str, str], StoredDigest] = {}
        for system, natives in by_system.items():
            rows = self._select_in(
                "SELECT d.native_id, d.record_id, d.version, d.digest, d.seen_ts, r.version "
                "FROM ingest_digests d LEFT JOIN records r "
                "ON r.entity_type = d.entity_type AND r.id = d.record_id "
                "WHERE d.entity_type = {m} AND d.system = {m} AND d.native_id IN ({inlist})",
                (entity_type.value, system),
                natives,
            )
            for n, rid, v, dg, seen, rv in rows:
                found[(system, n)] = StoredDigest(
                    rid, int(v), dg, seen, None if rv is None else int(rv)
                )
        return found

    def digest_lifts(
        self, entity_type: EntityType, record_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str, str]]]:
        """Per record: (system, applied_ts, seen_ts) where the same content came again later."""
        out: dict[str, list[tuple[str, str, str]]] = {}
        if not record_ids:
            return out
        rows = self._select_in(
            "SELECT record_id, system, applied_ts, seen_ts FROM ingest_digests "
            "WHERE entity_type = {m} AND record_id IN ({inlist})",
            (entity_type.value,),
            record_ids,
        )
        for rid, system, applied, seen in rows:
            if seen > applied:
                out.setdefault(rid, []).append((system, applied, seen))
        return out

    def put_digests(
        self, entity_type: EntityType, rows: Sequence[NewDigest], known: set[tuple[str, str]]
    ) -> None:
        """Record fully applied contents; ``known`` are the pairs that already have a row."""
        et = entity_type.value
        fresh = [
            (r.native_id, r.system, et, r.record_id, r.version, r.digest, r.ts, r.ts)
            for r in rows
            if (r.system, r.native_id) not in known
        ]
        cols = (
            "native_id",
            "system",
            "entity_type",
            "record_id",
            "version",
            "digest",
            "applied_ts",
            "seen_ts",
        )
        self._insert_many("ingest_digests", cols, fresh)
        again = [
            (r.record_id, r.version, r.digest, r.ts, r.ts, r.native_id, r.system, et)
            for r in rows
            if (r.system, r.native_id) in known
        ]
        if again:
            m = self._mark
            self.conn.exec_driver_sql(
                f"UPDATE ingest_digests SET record_id = {m}, version = {m}, digest = {m}, "
                f"applied_ts = {m}, seen_ts = {m} "
                f"WHERE native_id = {m} AND system = {m} AND entity_type = {m}",
                again,
            )

    def confirm_digests(
        self, entity_type: EntityType, rows: Sequence[tuple[str, str, str]]
    ) -> None:
        """(system, native id, source ts): the same content came again at that time."""
        if rows and self.dialect.array_params:  # one statement, not one per row
            self.conn.exec_driver_sql(
                "UPDATE ingest_digests AS d SET seen_ts = v.ts "
                "FROM unnest(%s::text[], %s::text[], %s::text[]) AS v(native_id, system, ts) "
                "WHERE d.native_id = v.native_id AND d.system = v.system "
                "AND d.entity_type = %s AND d.seen_ts < v.ts",
                (
                    [n for _, n, _ in rows],
                    [s for s, _, _ in rows],
                    [ts for _, _, ts in rows],
                    entity_type.value,
                ),
            )
        elif rows:
            m = self._mark
            self.conn.exec_driver_sql(
                f"UPDATE ingest_digests SET seen_ts = {m} "
                f"WHERE native_id = {m} AND system = {m} AND entity_type = {m} AND seen_ts < {m}",
                [(ts, n, s, entity_type.value, ts) for s, n, ts in rows],
            )


__all__ = ["DigestTx", "NewDigest", "StoredDigest"]
