"""Ingest: turn changes into committed record versions, one transaction per batch.

For each batch: drop changes already seen (system + idempotency key),
resolve identity (crosswalk, then natural keys such as SKU and GTIN, else a
new canonical id), merge field by field under the ownership matrix, validate
the merged record against the canonical model, and write the new versions,
their provenance, crosswalk rows, natural keys, idempotency keys, outbox
events and business exceptions in one transaction. An invalid change
becomes an exception naming the record, the field and the reason; the rest
of the batch goes on. Nothing of an invalid change is written.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError

from crossdock.config.hub import HubConfig
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.connectors.base import SourceError, SourceItem
from crossdock.errors import ConflictError, ErrorCode
from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.paths import flatten_record, unflatten
from crossdock.model.registry import model_for
from crossdock.observability.metrics import INGESTED
from crossdock.store import ExceptionStatus, NewException, Store, StoredRecord, WriteTx, dumps
from crossdock.store.ids import new_record_id, time_ordered_hex
from crossdock.store.write import BUCKETS
from crossdock.sync.changes_codec import TS_FORMAT, change_from_json, ts_key
from crossdock.sync.gc_pause import fewer_collections
from crossdock.sync.ingest_problems import (
    Refused,
    change_exception,
    source_exception,
    validation_problem,
    waiting_key,
    waiting_or_refused,
)
from crossdock.sync.merge import merge_fields

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestReport:
    received: int = 0
    duplicates: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    exceptions: int = 0
    proposals: int = 0
    events: int = 0
    stale_fields: int = 0
    released: int = 0
    """Changes that waited for a record this ingest created, applied now."""

    def add(self, other: IngestReport) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class _Working:
    """A record's state while a batch is applied to it."""

    id: str
    stored_version: int | None
    version: int
    state: dict[str, Any]
    provenance: dict[str, list[Any]]
    deleted: bool
    data: dict[str, Any]
    keys: set[tuple[str, str]]
    dirty: bool = False
    data_json: str | None = None

    @property
    def exists(self) -> bool:
        return self.stored_version is not None or self.version > 0


@dataclass(slots=True)
class _TypeBatch:
    """What applying one entity type's share of a batch works on, in one transaction."""

    tx: WriteTx
    model: type[CanonicalEntity]
    entity_type: EntityType
    now: datetime
    report: IngestReport
    events: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    working: dict[str, _Working]
    stored: dict[str, StoredRecord]
    owners_of_keys: dict[tuple[str, str], str]
    """Natural key -> the record holding it, as far as this batch has looked or assigned."""
    identity: frozenset[str] = frozenset()
    """The model's identity fields: never withheld from a record that has none yet."""


def _working_of(model: type[CanonicalEntity], rec: StoredRecord) -> _Working:
    state = flatten_record(model, rec.data)
    if rec.deleted:
        state[DELETED] = True
    return _Working(
        rec.id,
        rec.version,
        rec.version,
        state,
        rec.provenance,
        rec.deleted,
        rec.data,
        set(model.natural_keys(rec.data)),
    )


class Ingestor:
    """Applies changes to the store; safe to call from several threads or processes."""

    def __init__(self, store: Store, hub: HubConfig, *, batch_size: int = 2000) -> None:
        self.store = store
        self.hub = hub
        self.matrix = OwnershipMatrix(hub.ownership)
        self.batch_size = batch_size

    def ingest(
        self,
        items: Iterable[SourceItem],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest everything in ``items``, committing every ``batch_size`` items."""
        total = IngestReport()
        it: Iterator[SourceItem] = iter(items)
        while True:
            with fewer_collections():
                batch = list(islice(it, self.batch_size))
                if not batch:
                    break
                total.add(self.ingest_batch(batch))
            if progress is not None:
                progress(len(batch))
        for outcome in ("created", "updated", "deleted", "unchanged", "duplicates", "exceptions"):
            n = getattr(total, outcome)
            if n:
                INGESTED.labels(outcome).inc(n)
        return total

    def ingest_batch(self, batch: Sequence[SourceItem], *, attempts: int = 5) -> IngestReport:
        """One transaction; retried when a concurrent writer moved a record under us."""
        with fewer_collections():
            return self._ingest_batch(batch, attempts)

    def _ingest_batch(self, batch: Sequence[SourceItem], attempts: int) -> IngestReport:
        for attempt in range(1, attempts + 1):
            created: dict[EntityType, list[str]] = {}
            try:
                with self.store.write() as tx:
                    report = self._apply(tx, batch, created)
            except (ConflictError, IntegrityError) as exc:
                if attempt == attempts:
                    raise
                log.info("ingest batch conflict, retrying (%s): %s", attempt, exc)
            except DBAPIError as exc:
                if attempt == attempts or not _is_transient(exc):
                    raise
                log.info("ingest batch transient error, retrying (%s): %s", attempt, exc)
            else:
                if created:
                    report.released = self._release_waiting(created)
                return report
            time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    def _release_waiting(self, created: dict[EntityType, list[str]]) -> int:
        """Apply the changes that waited for a record this batch created; how many were applied.

        Each one goes alone, so its exception can say whether it went through.
        """
        released = 0
        for entity_type, keys in created.items():
            for row in self.store.waiting_for(entity_type, keys):
                if not row.payload:
                    continue
                report = self.ingest_batch([change_from_json(dict(row.payload))])
                applied = report.exceptions == 0
                released += applied
                self.store.set_exception_status(
                    row.id,
                    ExceptionStatus.RESOLVED if applied else ExceptionStatus.RETRIED,
                    actor="crossdock",
                    note="applied once the record it waited for arrived"
                    if applied
                    else "retried when the record arrived; see the newer exception",
                )
        return released

    def apply_in(self, tx: WriteTx, batch: Sequence[SourceItem]) -> IngestReport:
        """Apply ``batch`` inside a write transaction the caller owns.

        For services that emit a change together with writes of their own: one
        commit holds both, so the outbox never says what the store does not.
        """
        return self._apply(tx, batch)

    # -- the batch ----------------------------------------------------------------------
    def _apply(
        self,
        tx: WriteTx,
        batch: Sequence[SourceItem],
        created: dict[EntityType, list[str]] | None = None,
    ) -> IngestReport:
        now = datetime.now(UTC)
        report = IngestReport(received=len(batch))
        exceptions: list[NewException] = []
        changes: list[Change] = []
        for item in batch:
            if isinstance(item, SourceError):
                exceptions.append(source_exception(item))
            else:
                changes.append(item)

        keyed = [(c.system, c.idempotency_key) for c in changes if c.idempotency_key]
        seen = tx.seen_keys(keyed) if keyed else set()
        fresh: list[Change] = []
        in_batch: set[tuple[str, str]] = set()
        for c in changes:
            if c.idempotency_key:
                key = (c.system, c.idempotency_key)
                if key in seen or key in in_batch:
                    report.duplicates += 1
                    continue
                in_batch.add(key)
            fresh.append(c)

        by_type: dict[EntityType, list[Change]] = {}
        for c in fresh:
            by_type.setdefault(c.entity_type, []).append(c)
        accepted_keys: list[tuple[str, str]] = []
        events: list[dict[str, Any]] = []
        proposals: list[dict[str, Any]] = []
        for entity_type, group in by_type.items():
            new_keys = self._apply_type(
                tx, entity_type, group, now, report, exceptions, events, proposals, accepted_keys
            )
            if new_keys and created is not None:
                created.setdefault(entity_type, []).extend(new_keys)
        tx.add_keys(accepted_keys, now)
        tx.add_exceptions(exceptions, now)
        tx.add_proposals(proposals)
        tx.add_events(events)
        report.exceptions = len(exceptions)
        report.events = len(events)
        report.proposals = len(proposals)
        return report

    def _apply_type(
        self,
        tx: WriteTx,
        entity_type: EntityType,
        changes: list[Change],
        now: datetime,
        report: IngestReport,
        exceptions: list[NewException],
        events: list[dict[str, Any]],
        proposals: list[dict[str, Any]],
        accepted_keys: list[tuple[str, str]],
    ) -> list[str]:
        """Apply one type's changes; the natural keys (``kind:value``) of records it created."""
        model = model_for(entity_type)
        pairs = list({(c.system, c.native_id) for c in changes})
        change_keys = [
            model.natural_keys(c.data) if c.op is ChangeOp.UPSERT else [] for c in changes
        ]
        # Lock what this batch may create, its native ids and every natural key it names,
        # before looking them up: another writer may be creating the same ones right now.
        et = entity_type.value
        tx.lock_keys(
            chain(
                (f"{et}:{s}:{n}" for s, n in pairs),
                (f"{et}:nk:{k}:{v}" for nks in change_keys for k, v in nks),
            )
        )
        known = tx.crosswalk_lookup(entity_type, pairs)
        wanted_keys = {
            k
            for c, nks in zip(changes, change_keys, strict=True)
            if (c.system, c.native_id) not in known
            for k in nks
        }
        by_key = tx.natural_lookup(entity_type, list(wanted_keys)) if wanted_keys else {}

        ids: list[str] = []
        new_pairs: dict[tuple[str, str], str] = {}
        for c, nks in zip(changes, change_keys, strict=True):
            pair = (c.system, c.native_id)
            cid = known.get(pair) or new_pairs.get(pair)
            if cid is None:
                cid = next((by_key[k] for k in nks if k in by_key), None) or new_record_id(
                    model.id_prefix
                )
                new_pairs[pair] = cid
                for k in nks:
                    by_key.setdefault(k, cid)
            ids.append(cid)

        stored = tx.load_records(entity_type, list(set(ids)))
        working: dict[str, _Working] = {}
        for cid in ids:
            if cid in working:
                continue
            rec = stored.get(cid)
            if rec is None:
                working[cid] = _Working(cid, None, 0, {}, {}, False, {}, set())
            else:
                working[cid] = _working_of(model, rec)
        b = _TypeBatch(
            tx,
            model,
            entity_type,
            now,
            report,
            events,
            proposals,
            working,
            stored,
            dict(by_key),
            frozenset(model.identity_fields),
        )

        touched_pairs: list[tuple[str, str, str]] = []
        merged_into: dict[str, str] = {}
        for c, nks, first_cid in zip(changes, change_keys, ids, strict=True):
            cid = merged_into.get(first_cid, first_cid)
            w = working[cid]
            if nks and not w.keys and not w.data and (w.deleted or not w.exists):
                into = self._join_by_keys(b, c, w, nks)
                if into is not None:
                    merged_into[cid] = into
                    cid, w = into, working[into]
            try:
                problem = self._apply_change(b, c, w)
            except Refused as refused:
                exceptions.append(refused.exception)
                continue
            if problem is not None:  # applied, but a part of it was refused
                exceptions.append(problem)
            if c.idempotency_key:
                accepted_keys.append((c.system, c.idempotency_key))
            if (c.system, c.native_id) in new_pairs and w.exists:
                touched_pairs.append((c.system, c.native_id, cid))
                del new_pairs[(c.system, c.native_id)]

        if merged_into:
            touched_pairs = [(s, n, merged_into.get(i, i)) for s, n, i in touched_pairs]
        inserts: list[StoredRecord] = []
        updates: list[tuple[StoredRecord, int]] = []
        add_keys: list[tuple[str, str, str]] = []
        drop_keys: list[tuple[str, str]] = []
        for w in working.values():
            if not w.dirty:
                continue
            rec = StoredRecord(
                entity_type,
                w.id,
                w.version,
                w.data,
                w.provenance,
                w.deleted,
                data_json=w.data_json,
            )
            old_keys = set(model.natural_keys(stored[w.id].data)) if w.id in stored else set()
            add_keys.extend((k, v, w.id) for k, v in w.keys - old_keys)
            drop_keys.extend(old_keys - w.keys)
            if w.stored_version is None:
                inserts.append(rec)
            else:
                updates.append((rec, w.stored_version))
        tx.set_record_keys(entity_type, add_keys, drop_keys)
        tx.insert_records(inserts, now)
        tx.update_records(updates, now)
        tx.add_crosswalk(entity_type, touched_pairs, now)
        return [waiting_key(k) for rec in inserts for k in working[rec.id].keys]

    def _join_by_keys(
        self, b: _TypeBatch, c: Change, w: _Working, keys: list[tuple[str, str]]
    ) -> str | None:
        """The record ``c``'s natural keys name, for a record with no identity of its own yet.

        Two kinds have none: an id this batch set aside for a native id whose
        earlier change did nothing (a non-owner's delete of an unknown record),
        and a bare tombstone. A delete of a record the hub has not seen leaves
        one: no data, no natural key, only the sender's native id. When that
        system's create arrives after another system created the same record
        (same SKU), both are one record: the tombstone's native ids move to that
        record, its delete is applied there with its own source time and sender,
        and the tombstone goes. Any arrival order then ends in the same state.
        Returns the record ``c`` joins, or ``None`` when the keys name no other.
        """
        tx, entity_type, owners = b.tx, b.entity_type, b.owners_of_keys
        unseen = [k for k in keys if k not in owners]
        if unseen:
            owners.update(tx.natural_lookup(entity_type, unseen))
        into = next((owners[k] for k in keys if owners.get(k, w.id) != w.id), None)
        if into is None:
            return None
        target = b.working.get(into)
        if target is None:  # found in the store: not loaded by this batch yet
            rec = tx.load_records(entity_type, [into]).get(into)
            if rec is None:
                return None
            b.stored[into] = rec
            target = b.working[into] = _working_of(b.model, rec)
        if not w.exists:
            return into
        stamp = w.provenance.get(DELETED)
        if stamp is None:
            return None
        delete = Change(
            system=stamp[0],
            entity_type=entity_type,
            native_id=c.native_id,
            op=ChangeOp.DELETE,
            source_ts=datetime.strptime(stamp[1], TS_FORMAT).replace(tzinfo=UTC),
            ref=f"delete first kept as {w.id}",
        )
        try:
            self._apply_change(b, delete, target)
        except Refused:
            return None
        if w.stored_version is None:  # made by this batch: it never reaches the store
            kept = [e for e in b.events if e["entity_id"] != w.id]
            if len(kept) < len(b.events):
                b.report.created -= 1  # the tombstone was counted as a record this batch made
            b.events[:] = kept
        else:
            tx.merge_tombstone(entity_type, w.id, into)
        w.dirty = False
        tx.audit(
            "crossdock",
            "tombstone.merge",
            f"{entity_type.value}/{w.id}",
            {"into": into, "system": c.system, "native_id": c.native_id, "deleted": stamp[:2]},
        )
        return into

    def _apply_change(self, b: _TypeBatch, c: Change, w: _Working) -> NewException | None:
        """Apply one change to its working record.

        Raises :class:`Refused` when nothing of the change may be written; returns
        an exception to record when it applied but refused a part (a non-owner's field).
        """
        tx, model, entity_type, now, report = b.tx, b.model, b.entity_type, b.now, b.report
        events, proposals, owners_of_keys = b.events, b.proposals, b.owners_of_keys
        if c.op is ChangeOp.DELETE:
            if not w.exists and not self.matrix.may_delete(entity_type, c.system):
                report.unchanged += 1
                return None
            # A delete of a record not seen yet leaves a bare tombstone, so that its create,
            # arriving later with an older source time, cannot bring it to life.
            fields: dict[str, Any] = {DELETED: True}
        else:
            if not w.exists and not self.matrix.may_create(entity_type, c.system):
                raise Refused(
                    waiting_or_refused(
                        c,
                        model,
                        f"{c.system} may not create {entity_type.value} records (ownership.create)",
                    )
                )
            try:
                fields = flatten_record(model, c.data)
            except AttributeError:
                raise Refused(
                    change_exception(
                        c, ErrorCode.VALIDATION_FAILED, "data", "data must be an object"
                    )
                ) from None
            if self.matrix.may_delete(entity_type, c.system):
                fields[DELETED] = None
        ts = ts_key(c.source_ts)
        result = merge_fields(
            entity_type,
            w.state,
            w.provenance,
            fields,
            system=c.system,
            ts=ts,
            version=w.version + 1,
            matrix=self.matrix,
            identity=b.identity,
        )
        report.stale_fields += sum(1 for p in result.stale if p != DELETED)
        problem: NewException | None = None
        if result.rejected:
            paths = ", ".join(f"{p} (owner: {o})" for p, o in result.rejected)
            problem = change_exception(
                c,
                ErrorCode.OWNERSHIP_CONFLICT,
                result.rejected[0][0],
                f"{c.system} does not own {paths}; the value was not applied",
                entity_id=w.id if w.exists else None,
            )
        if not result.changed:
            if result.touched and w.exists:
                w.provenance = result.provenance
                w.dirty = True
            if not w.exists and result.proposals:
                raise Refused(
                    waiting_or_refused(
                        c,
                        model,
                        f"{c.system} owns none of the fields it sent for a new {entity_type.value}",
                        result.proposals[0][0],
                    )
                )
            self._add_proposals(entity_type, w, c, result.proposals, now, proposals)
            report.unchanged += 1
            return problem

        if w.exists:
            moved = model.transition_problem(w.state, result.state)
            if moved is not None:
                field, reason = moved
                raise Refused(
                    change_exception(
                        c, ErrorCode.ILLEGAL_TRANSITION, field, reason, entity_id=w.id
                    )
                )
        deleted = result.state.get(DELETED) is True
        # Fresh: a new record whose every asserted field was applied (none refused or
        # ignored), so the change's own data is the record.
        fresh = not w.exists and not result.withheld
        obj: CanonicalEntity | None = None
        if not (deleted and len(result.state) == 1):  # a bare tombstone has nothing to check
            try:
                # A new record made of one change alone is that change's data: validate it
                # as sent rather than rebuilding it from the merged leaves.
                source = (
                    c.data
                    if fresh
                    else unflatten({k: v for k, v in result.state.items() if k != DELETED})
                )
                obj = model.model_validate(source)
            except ValidationError as exc:
                path, reason = validation_problem(exc)
                if not w.exists and result.withheld:
                    # A system that owns only part of a new record (the portal's channel
                    # listing of a product the ERP has not sent yet) is early, not wrong:
                    # it waits for the owner's create and is applied then.
                    raise Refused(
                        waiting_or_refused(
                            c,
                            model,
                            f"{c.system} owns only part of a new {entity_type.value} "
                            f"({path}: {reason} without its owner's fields)",
                            path,
                        )
                    ) from None
                raise Refused(
                    change_exception(
                        c,
                        ErrorCode.VALIDATION_FAILED,
                        path,
                        f"{path}: {reason}",
                        entity_id=w.id if w.exists else None,
                    )
                ) from None
        data = (
            {}
            if obj is None
            else obj.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        )
        flat = flatten_record(model, data)
        new_keys = set(model.natural_keys(data))
        for key in new_keys - w.keys:
            if key not in owners_of_keys:  # a key this batch has not looked up yet
                owners_of_keys.update(tx.natural_lookup(entity_type, [key]))
            holder = owners_of_keys.get(key)
            if holder is not None and holder != w.id:
                raise Refused(
                    change_exception(
                        c,
                        ErrorCode.CONFLICT,
                        key[0],
                        f"{key[0]} {key[1]!r} already identifies {entity_type.value} {holder}",
                        entity_id=w.id if w.exists else None,
                    )
                )
        w.keys = new_keys
        for key in new_keys:
            owners_of_keys[key] = w.id
        if w.state:
            old_flat = {k: v for k, v in w.state.items() if k != DELETED}
            changed = sorted(
                p for p in flat.keys() | old_flat.keys() if flat.get(p) != old_flat.get(p)
            )
        else:
            changed = sorted(flat)
        if deleted != w.deleted:
            changed.append(DELETED)
        w.provenance = result.provenance
        w.dirty = True
        if not changed:
            report.unchanged += 1
            return problem
        created = not w.exists
        w.version += 1
        w.state = flat  # built for this version alone: nothing else holds it
        if deleted:
            w.state[DELETED] = True
        w.data = data
        w.data_json = dumps(data)
        w.deleted = deleted
        if created:
            report.created += 1
        elif deleted:
            report.deleted += 1
        else:
            report.updated += 1
        events.append(
            event_row(entity_type, w.id, w.version, deleted, c.system, changed, w.data_json, now)
        )
        self._add_proposals(entity_type, w, c, result.proposals, now, proposals)
        return problem

    @staticmethod
    def _add_proposals(
        entity_type: EntityType,
        w: _Working,
        c: Change,
        found: list[tuple[str, Any]],
        now: datetime,
        out: list[dict[str, Any]],
    ) -> None:
        if not w.exists:
            return
        for path, value in found:
            out.append(
                {
                    "entity_type": entity_type.value,
                    "entity_id": w.id,
                    "system": c.system,
                    "field": path,
                    "value": dumps(value),
                    "source_ts": c.source_ts,
                    "status": "pending",
                    "created_at": now,
                }
            )


_DELETE, _UPSERT = ChangeOp.DELETE.value, ChangeOp.UPSERT.value


def event_row(
    entity_type: EntityType,
    entity_id: str,
    version: int,
    deleted: bool,
    source_system: str,
    changed: list[str],
    data_json: str,
    now: datetime,
) -> dict[str, Any]:
    """One outbox row, as :meth:`WriteTx.add_events` takes it."""
    return {
        "event_id": time_ordered_hex(),
        "entity_type": entity_type.value,
        "entity_id": entity_id,
        "version": version,
        "op": _DELETE if deleted else _UPSERT,
        "source_system": source_system,
        "changed": dumps(changed),
        "data": data_json,
        "time": now,
        "bucket": zlib.crc32(entity_id.encode()) % BUCKETS,
    }


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in ("deadlock", "could not serialize", "database is locked", "busy"))


__all__ = ["IngestReport", "Ingestor", "event_row"]
