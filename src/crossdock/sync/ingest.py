"""Ingest: turn changes into committed record versions, one transaction per batch.

For each batch: drop changes already seen (system + idempotency key),
resolve identity (crosswalk, then natural keys such as SKU and GTIN, then
the entity's matcher where the hub file turns one on, else a new canonical
id), let the matcher identify the parts of each change against its record (a
customer's ship-to sites), rename the keys of other records a merge moved
(:mod:`.references`), merge field by field under the ownership matrix
(holding a customer's sensitive fields for four eyes), validate
the merged record against the canonical model, and write the new versions,
their provenance, crosswalk rows, natural keys, idempotency keys, outbox
events and business exceptions in one transaction. An invalid change
becomes an exception naming the record, the field and the reason; the rest
of the batch goes on. Nothing of an invalid change is written.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from itertools import chain, islice
from typing import Any

from crossdock.config.hub import HubConfig
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.connectors.base import SourceError, SourceItem
from crossdock.errors import ConflictError
from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.registry import model_for
from crossdock.observability import tracing
from crossdock.observability.metrics import INGESTED
from crossdock.store import (
    ExceptionStatus,
    NewException,
    Store,
    StoreConflict,
    StoredRecord,
    StoreError,
    WriteTx,
)
from crossdock.store.digests import NewDigest
from crossdock.store.ids import new_record_id
from crossdock.sync.changes_codec import TS_FORMAT, change_from_json
from crossdock.sync.gc_pause import fewer_collections
from crossdock.sync.identity import (
    BatchRecords,
    Decision,
    Matcher,
    Placement,
    Written,
    matchers_for,
)
from crossdock.sync.ingest_plan import ChangePlan, ChangePlanner, KeyOwners, WorkingRecord
from crossdock.sync.ingest_problems import (
    Refused,
    source_exception,
    waiting_key,
)
from crossdock.sync.prepare import Prepared, prepared_ahead
from crossdock.sync.references import (
    Ref,
    follow_sites,
    lock_key,
    named_refs,
    renamed,
    renames,
)
from crossdock.sync.unchanged import (
    content_digest,
    digest_row,
    lifted,
    rules_fingerprint,
    stamped_at,
    unchanged_resends,
)

log = logging.getLogger(__name__)

_BATCH_TRACE: ContextVar[str | None] = ContextVar("crossdock_ingest_trace", default=None)
"""The trace context of the batch being applied (see :meth:`Ingestor.ingest_batch`)."""


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
    held: int = 0
    """Changes held for a person: the matcher found a record they may or may not be."""

    def add(self, other: IngestReport) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class _TypeBatch:
    """What applying one entity type's share of a batch works on, in one transaction."""

    tx: WriteTx
    planner: ChangePlanner
    report: IngestReport
    events: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    working: dict[str, WorkingRecord]
    stored: dict[str, StoredRecord]


class Ingestor:
    """Applies changes to the store; safe to call from several threads or processes."""

    def __init__(
        self,
        store: Store,
        hub: HubConfig,
        *,
        batch_size: int = 2000,
        matchers: dict[EntityType, Matcher] | None = None,
        skip_unchanged: bool = True,
    ) -> None:
        self.store = store
        self.hub = hub
        self.matrix = OwnershipMatrix(hub.ownership)
        self.batch_size = batch_size
        self.matchers = matchers_for(store, hub) if matchers is None else matchers
        """Who identifies a record crosswalk and natural keys cannot (by entity type)."""
        self.approvals = hub.customers.approvals if hub.customers else None
        """Four eyes: which fields of a change to a stored customer wait for a second person."""
        self.rules = rules_fingerprint(hub) if skip_unchanged else None
        """What, besides its content, decides how a change applies (see :mod:`.unchanged`);
        ``None``: every change takes the whole path (the reference the tests compare with)."""

    def ingest(
        self,
        items: Iterable[SourceItem],
        *,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
    ) -> IngestReport:
        """Ingest everything in ``items``, committing every ``batch_size`` items.

        ``workers`` > 1: each batch is prepared (natural keys, digests, validation of
        the data as sent; :mod:`.prepare`) in a pool of that many processes while this
        one writes; batches still commit one by one in the order ``items`` gives them.
        """
        total = IngestReport()
        batches = self._batches(iter(items))
        prepared: Iterator[tuple[list[SourceItem], list[Prepared | None] | None]] = (
            prepared_ahead(batches, self.rules, workers)
            if workers > 1
            else ((b, None) for b in batches)
        )
        for batch, ahead in prepared:
            with fewer_collections():
                total.add(self.ingest_batch(batch, prepared=ahead))
            if progress is not None:
                progress(len(batch))
        for outcome in ("created", "updated", "deleted", "unchanged", "duplicates", "exceptions"):
            n = getattr(total, outcome)
            if n:
                INGESTED.labels(outcome).inc(n)
        return total

    def _batches(self, it: Iterator[SourceItem]) -> Iterator[list[SourceItem]]:
        """``batch_size`` items at a time, read (a file's rows mapped) with fewer collections."""
        while True:
            with fewer_collections():
                batch = list(islice(it, self.batch_size))
            if not batch:
                return
            yield batch

    def ingest_batch(
        self,
        batch: Sequence[SourceItem],
        *,
        attempts: int = 5,
        prepared: Sequence[Prepared | None] | None = None,
    ) -> IngestReport:
        """One transaction; retried when a concurrent writer moved a record under us.

        The batch is a span of its own; changes that came without a trace context
        (a pulled file, a poll) get its trace. ``prepared`` (one per item, from
        :func:`~crossdock.sync.prepare.prepare_batch`) is work done ahead elsewhere.
        """
        first = next((i.traceparent for i in batch if isinstance(i, Change)), None)
        with (
            fewer_collections(),
            tracing.span("crossdock.ingest", first, attributes={"changes": len(batch)}) as tp,
        ):
            token = _BATCH_TRACE.set(tp)
            try:
                ahead = (
                    {id(i): p for i, p in zip(batch, prepared, strict=True) if p is not None}
                    if prepared is not None
                    else {}
                )
                return self._ingest_batch(batch, attempts, ahead)
            finally:
                _BATCH_TRACE.reset(token)

    def _ingest_batch(
        self, batch: Sequence[SourceItem], attempts: int, prepared: Mapping[int, Prepared]
    ) -> IngestReport:
        for attempt in range(1, attempts + 1):
            created: dict[EntityType, list[str]] = {}
            try:
                with self.store.write() as tx:
                    report = self._apply(tx, batch, created, prepared=prepared)
            except (ConflictError, StoreConflict) as exc:
                if attempt == attempts:
                    raise
                log.info("ingest batch conflict, retrying (%s): %s", attempt, exc)
            except StoreError as exc:
                if attempt == attempts or not self.store.is_transient(exc):
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
            for row in self.store.exceptions.waiting_for(entity_type, keys):
                if not row.payload:
                    continue
                report = self.ingest_batch([change_from_json(dict(row.payload))])
                applied = report.exceptions == 0
                released += applied
                self.store.exceptions.set_status(
                    row.id,
                    ExceptionStatus.RESOLVED if applied else ExceptionStatus.RETRIED,
                    actor="crossdock",
                    note="applied once the record it waited for arrived"
                    if applied
                    else "retried when the record arrived; see the newer exception",
                )
        return released

    def apply_in(
        self,
        tx: WriteTx,
        batch: Sequence[SourceItem],
        refused: list[NewException] | None = None,
    ) -> IngestReport:
        """Apply ``batch`` inside a write transaction the caller owns.

        For services that emit a change together with writes of their own: one
        commit holds both, so the outbox never says what the store does not.
        ``refused``, when given, receives the business exceptions filed (field and
        reason), for a caller that answers them itself.
        """
        return self._apply(tx, batch, refused=refused)

    # -- the batch ----------------------------------------------------------------------
    def _apply(
        self,
        tx: WriteTx,
        batch: Sequence[SourceItem],
        created: dict[EntityType, list[str]] | None = None,
        refused: list[NewException] | None = None,
        prepared: Mapping[int, Prepared] | None = None,
    ) -> IngestReport:
        now = datetime.now(UTC)
        ahead = prepared or {}
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
                tx,
                entity_type,
                group,
                now,
                report,
                exceptions,
                events,
                proposals,
                accepted_keys,
                ahead,
            )
            if new_keys and created is not None:
                created.setdefault(entity_type, []).extend(new_keys)
        tx.add_keys(accepted_keys, now)
        tx.add_exceptions(exceptions, now)
        if refused is not None:
            refused.extend(exceptions)
        proposals = _first_asked(tx, proposals)
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
        ahead: Mapping[int, Prepared],
    ) -> list[str]:
        """Apply one type's changes; the natural keys (``kind:value``) of records it created."""
        model = model_for(entity_type)
        preps = [ahead.get(id(c)) for c in changes]
        change_keys = [
            p.keys
            if p is not None
            else model.natural_keys(c.data)
            if c.op is ChangeOp.UPSERT
            else []
            for c, p in zip(changes, preps, strict=True)
        ]
        matcher = self.matchers.get(entity_type)
        refs = named_refs(model, changes, self.matchers.keys())
        ids, new_pairs, by_key, placed = self._identify(
            tx, entity_type, changes, change_keys, matcher, [lock_key(*r) for r in refs]
        )
        rules = self.rules
        digests = [
            (p.digest if p is not None else content_digest(rules, c)) if rules else None
            for c, p in zip(changes, preps, strict=True)
        ]
        known_digests = tx.digests(
            entity_type,
            [(c.system, c.native_id) for c, d in zip(changes, digests, strict=True) if d],
        )
        skipped = unchanged_resends(changes, ids, digests, known_digests)
        if skipped.indexes:
            report.unchanged += len(skipped.indexes)
            accepted_keys.extend(
                (changes[i].system, k)
                for i in skipped.indexes
                if (k := changes[i].idempotency_key) is not None
            )
            tx.confirm_digests(entity_type, skipped.seen)
            keep = [i for i in range(len(changes)) if i not in skipped.indexes]
            placed = {n: placed[i] for n, i in enumerate(keep) if i in placed}
            changes = [changes[i] for i in keep]
            change_keys = [change_keys[i] for i in keep]
            ids = [ids[i] for i in keep]
            digests = [digests[i] for i in keep]
        if refs:
            changes = self._follow_references(tx, model, changes, ids, refs)
        stored = tx.load_records(entity_type, list(set(ids)))
        lifts = tx.digest_lifts(entity_type, list(stored))
        working: dict[str, WorkingRecord] = {}
        for cid in ids:
            if cid in working:
                continue
            rec = stored.get(cid)
            if rec is None:
                working[cid] = WorkingRecord.new(cid)
            elif cid in lifts:  # confirmed again since written: the stamps say so from now on
                working[cid] = WorkingRecord.of(model, lifted(rec, lifts[cid]))
                working[cid].dirty = True
            else:
                working[cid] = WorkingRecord.of(model, rec)
        key_owners = KeyOwners(partial(tx.natural_lookup, entity_type), by_key)
        planner = ChangePlanner(
            model,
            entity_type,
            self.matrix,
            key_owners,
            now,
            _BATCH_TRACE.get(),
            self.approvals if entity_type is EntityType.CUSTOMER else None,
            ahead,
        )
        b = _TypeBatch(tx, planner, report, events, proposals, working, stored)

        touched_pairs: list[tuple[str, str, str]] = []
        merged_into: dict[str, str] = {}
        applied_in_full: dict[tuple[str, str], NewDigest] = {}
        per_record = Counter(ids)
        for i, (c, nks, first_cid) in enumerate(zip(changes, change_keys, ids, strict=True)):
            decision = placed.get(i)
            if (
                decision is not None
                and decision.placement is Placement.REVIEW
                and _never_came(decision.record_id, working, stored)
            ):  # held against a record of this batch that was refused: it stands alone
                decision = None
                new_pairs[(c.system, c.native_id)] = first_cid
            if decision is not None and decision.placement is Placement.REVIEW:
                assert matcher is not None
                matcher.hold(tx, c, decision)
                report.held += 1
                if c.idempotency_key:  # held is handled: a resend must not file it twice
                    accepted_keys.append((c.system, c.idempotency_key))
                continue
            cid = merged_into.get(first_cid, first_cid)
            w = working[cid]
            if nks and not w.keys and not w.data and (w.deleted or not w.exists):
                into = self._join_by_keys(b, c, w, nks)
                if into is not None:
                    merged_into[cid] = into
                    cid, w = into, working[into]
            # a digest's later lift is keyed by (system, source time): only a change that
            # is its record's one change here, and whose system stamped nothing of the
            # record at its time before, may leave one (see sync/unchanged.py)
            alone = (
                digests[i] is not None
                and per_record[first_cid] == 1
                and not stamped_at(w.provenance, c)
            )
            settler = matcher if c.op is ChangeOp.UPSERT else None
            try:
                if settler is not None:
                    c = settler.settle(tx, cid, w.data if w.exists else None, c)
                plan = self._apply_change(b, c, w)
            except Refused as refused:
                exceptions.append(refused.exception)
                if settler is not None:
                    settler.settled(tx, cid, c, False)
                continue
            if settler is not None:
                settler.settled(tx, cid, c, True)
            if plan.problem is not None:  # applied, but a part of it was refused
                exceptions.append(plan.problem)
            elif (
                (digest := digests[i]) is not None
                and not plan.stale_fields
                and not plan.proposals
                and w.exists
                and not w.deleted
                and alone
            ):  # the record now says all the change said: a resend of it can be skipped
                applied_in_full[(c.system, c.native_id)] = digest_row(c, cid, w.version, digest)
            if c.idempotency_key:
                accepted_keys.append((c.system, c.idempotency_key))
            if (c.system, c.native_id) in new_pairs and w.exists:
                touched_pairs.append((c.system, c.native_id, cid))
                del new_pairs[(c.system, c.native_id)]
                if decision is not None:  # linked by the matcher: audited with its reasons
                    tx.audit(
                        "crossdock",
                        f"{entity_type.value}.match.link",
                        f"{entity_type.value}/{cid}",
                        {
                            "system": c.system,
                            "native_id": c.native_id,
                            "explanation": decision.explanation,
                        },
                    )

        if merged_into:
            touched_pairs = [(s, n, merged_into.get(i, i)) for s, n, i in touched_pairs]
        inserted = self._write_records(tx, entity_type, working, stored, now)
        if matcher is not None:
            matcher.index(
                tx,
                [
                    Written(w.id, stored[w.id].data if w.id in stored else None, w.data, w.deleted)
                    for w in working.values()
                    if w.dirty
                ],
            )
        tx.add_crosswalk(entity_type, touched_pairs, now)
        if applied_in_full:
            rows = [
                replace(d, record_id=merged_into.get(d.record_id, d.record_id))
                for d in applied_in_full.values()
            ]
            tx.put_digests(entity_type, rows, set(known_digests))
        return [waiting_key(k) for rid in inserted for k in working[rid].keys]

    def _follow_references(
        self,
        tx: WriteTx,
        model: type[CanonicalEntity],
        changes: list[Change],
        ids: list[str],
        refs: list[Ref],
    ) -> list[Change]:
        """The changes with the keys (and site codes) a merge moved renamed (audited)."""
        names = renames(tx, refs)
        follow = self.matchers.keys()
        out: list[Change] = []
        et = model.entity_type.value
        by_names = [renamed(model, c, names, follow) for c in changes] if names else changes
        sites = (
            follow_sites(tx, self.store.customer_merges, model, by_names)
            if EntityType.CUSTOMER in follow
            else [(c, {}) for c in by_names]
        )
        for c, cid, (new, codes) in zip(changes, ids, sites, strict=True):
            if new is not c:
                moved = {
                    f"{t.value}:{k}:{v}": names[(t, k, v)]
                    for t, k, v in named_refs(model, [c], follow)
                    if (t, k, v) in names
                }
                moved.update({f"site:{old}": code for old, code in codes.items()})
                tx.audit(
                    "crossdock",
                    f"{et}.references.followed",
                    f"{et}/{cid}",
                    {"system": c.system, "native_id": c.native_id, "renamed": moved},
                )
            out.append(new)
        return out

    @staticmethod
    def _identify(
        tx: WriteTx,
        entity_type: EntityType,
        changes: list[Change],
        change_keys: list[list[tuple[str, str]]],
        matcher: Matcher | None = None,
        also_lock: Sequence[str] = (),
    ) -> tuple[
        list[str], dict[tuple[str, str], str], dict[tuple[str, str], str], dict[int, Decision]
    ]:
        """The record id each change names: crosswalk, natural key, matcher, else a new one.

        The matcher (when the hub file turns one on) is asked only about a change
        that neither the crosswalk nor a natural key identifies.

        Returns the ids (one per change), the native ids this batch gives new ids to,
        the natural keys looked up or assigned on the way, and the matcher's decisions
        by change index (a ``review`` one means: hold the change, write nothing).
        """
        model = model_for(entity_type)
        pairs = list({(c.system, c.native_id) for c in changes})
        # Lock what this batch may create, its native ids and every natural key it names,
        # before looking them up: another writer may be creating the same ones right now.
        et = entity_type.value
        tx.lock_keys(
            chain(
                (f"{et}:{s}:{n}" for s, n in pairs),
                (f"{et}:nk:{k}:{v}" for nks in change_keys for k, v in nks),
                also_lock,  # the keys the changes name of other records (one call: no deadlock)
            )
        )
        known = tx.crosswalk_lookup(entity_type, pairs)
        if matcher is not None and known:  # a merged-away record's changes go to its survivor
            moved = matcher.follow(tx, list(set(known.values())))
            if moved:
                known = {p: moved.get(cid, cid) for p, cid in known.items()}
        wanted_keys = {
            k
            for c, nks in zip(changes, change_keys, strict=True)
            if (c.system, c.native_id) not in known
            for k in nks
        }
        by_key = tx.natural_lookup(entity_type, list(wanted_keys)) if wanted_keys else {}
        ids: list[str] = []
        new_pairs: dict[tuple[str, str], str] = {}
        placed: dict[int, Decision] = {}
        held: dict[tuple[str, str], Decision] = {}
        created = BatchRecords()  # the new records, candidates for the matcher
        for i, (c, nks) in enumerate(zip(changes, change_keys, strict=True)):
            pair = (c.system, c.native_id)
            cid = known.get(pair) or new_pairs.get(pair)
            if cid is None and pair in held:  # an earlier change of this batch was held
                placed[i] = held[pair]
                cid = new_record_id(model.id_prefix)  # a stand-in: nothing is written for it
            elif cid is None:
                cid = next((by_key[k] for k in nks if k in by_key), None)
                if cid is None and matcher is not None and c.op is ChangeOp.UPSERT:
                    decision = matcher.place(tx, c, created)
                    if decision.placement is not Placement.NEW:
                        placed[i] = decision
                    if decision.placement is Placement.REVIEW:
                        held[pair] = decision
                        ids.append(new_record_id(model.id_prefix))
                        continue
                    cid = decision.record_id
                    if cid is None:  # a new record: a candidate for the batch's later changes
                        cid = new_record_id(model.id_prefix)
                        created.data[cid] = c.data
                cid = cid or new_record_id(model.id_prefix)
                new_pairs[pair] = cid
                for k in nks:
                    by_key.setdefault(k, cid)
            ids.append(cid)
        return ids, new_pairs, by_key, placed

    @staticmethod
    def _write_records(
        tx: WriteTx,
        entity_type: EntityType,
        working: dict[str, WorkingRecord],
        stored: dict[str, StoredRecord],
        now: datetime,
    ) -> list[str]:
        """Write the records the batch changed, with their natural keys; the ids inserted."""
        model = model_for(entity_type)
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
        return [rec.id for rec in inserts]

    def _join_by_keys(
        self, b: _TypeBatch, c: Change, w: WorkingRecord, keys: list[tuple[str, str]]
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
        tx, entity_type, owners = b.tx, b.planner.entity_type, b.planner.keys
        owners.look_up(keys)
        into = next((h for k in keys if (h := owners.known(k)) is not None and h != w.id), None)
        if into is None:
            return None
        target = b.working.get(into)
        if target is None:  # found in the store: not loaded by this batch yet
            rec = tx.load_records(entity_type, [into]).get(into)
            if rec is None:
                return None
            b.stored[into] = rec
            target = b.working[into] = WorkingRecord.of(b.planner.model, rec)
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

    @staticmethod
    def _apply_change(b: _TypeBatch, c: Change, w: WorkingRecord) -> ChangePlan:
        """Plan one change against its working record and collect what it writes.

        Raises :class:`Refused` when nothing of the change may be written; the plan's
        ``problem`` is the exception to record when it applied but refused a part
        (a non-owner's field).
        """
        plan = b.planner.plan(c, w)
        report = b.report
        report.stale_fields += plan.stale_fields
        setattr(report, plan.outcome.value, getattr(report, plan.outcome.value) + 1)
        if plan.event is not None:
            b.events.append(plan.event)
        b.proposals.extend(plan.proposals)
        return plan


def _first_asked(tx: WriteTx, proposals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The proposals without the four-eyes ones already pending or rejected (same value).

    A system that sends its whole record on every save would otherwise file the
    same waiting credit limit again each time.
    """
    held = [p for p in proposals if p.get("requested_by") is not None]
    if not held:
        return proposals
    seen: set[tuple[str, ...]] = set()
    for et in {p["entity_type"] for p in held}:
        ids = sorted({p["entity_id"] for p in held if p["entity_type"] == et})
        seen |= {(et, *k[:4]) for k in tx.standing_proposals(EntityType(et), ids)}
    out: list[dict[str, Any]] = []
    for p in proposals:
        if p.get("requested_by") is not None:
            key = (p["entity_type"], p["entity_id"], p["system"], p["field"], p["value"])
            if key in seen:
                continue
            seen.add(key)
        out.append(p)
    return out


def _never_came(
    record_id: str | None, working: Mapping[str, WorkingRecord], stored: Mapping[str, Any]
) -> bool:
    """Whether ``record_id`` was to be created by this batch and its change was refused."""
    if record_id is None or record_id in stored:
        return False
    w = working.get(record_id)
    return w is not None and not w.exists


__all__ = ["IngestReport", "Ingestor"]
