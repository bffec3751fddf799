"""The customer service: dedupe over the store, EM training, and the stewardship decisions.

A decision on an ``incoming`` task (a change ingest held back) is applied in
one write transaction: the task is marked decided, the sender's native id
gets its crosswalk row (accept: the candidate; reject: a new id of its
own), the decision is audited, and the held changes go through ingest in
that same transaction (:meth:`Ingestor.apply_in`): they merge by the
ownership rules like any change, and a crash leaves either all of it or
none. Accepting a ``pair`` task (two stored records dedupe found) merges
them (:mod:`.merge`) in that same transaction; rejecting it keeps them apart.
Either way the pair is never asked about again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from crossdock.config.customers import CustomersConfig
from crossdock.errors import ConflictError, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.model.registry import model_for
from crossdock.services.customers import dedupe
from crossdock.services.customers.matcher import Models, explanation
from crossdock.services.customers.merge import CustomerMerger, Merged, Unmerged
from crossdock.services.customers.profile import Profile, blocking_keys, profile
from crossdock.services.customers.weights import probabilities_to_json
from crossdock.store import ProposalStatus, Store, dumps
from crossdock.store.customer_rows import (
    NewReview,
    ReviewKind,
    ReviewRow,
    ReviewStatus,
    incoming_key,
    pair_key,
)
from crossdock.store.ids import new_record_id
from crossdock.sync.changes_codec import change_from_json
from crossdock.sync.ingest import Ingestor, IngestReport

Progress = Callable[[str, int | None], Callable[[int], None]]
"""A progress factory: (what, total) -> advance(n), as the CLI's ``unit_progress``."""

RANDOM_PAIRS = 50_000
"""Random pairs u is measured on when training (nearly all of them different customers)."""


@dataclass(frozen=True, slots=True)
class DedupeReport:
    customers: int
    blocks: int
    skipped_blocks: int
    pairs_compared: int
    above_upper: int
    between: int
    filed: int


@dataclass(frozen=True, slots=True)
class Decided:
    task: ReviewRow
    record_id: str | None
    """The record the held changes went to (incoming tasks)."""
    applied: IngestReport | None
    merged: Merged | None = None
    """The merge an accepted pair task made."""


@dataclass(frozen=True, slots=True)
class Requested:
    record_id: str
    waiting: list[str]
    """Fields filed for a second person's approval (four eyes)."""
    applied: IngestReport | None
    """What ingest made of the rest."""


@dataclass(frozen=True, slots=True)
class Trained:
    pairs: int
    match_share: float
    iterations: int
    probabilities: dict[str, Any]


def _config(config: CustomersConfig | None) -> CustomersConfig:
    if config is None:
        raise InvalidInput(
            "customer matching is off: add a customers: section to the hub file",
            field="customers",
        )
    return config


class CustomerService:
    """Bulk matching and stewardship over one store."""

    def __init__(self, store: Store, config: CustomersConfig | None, ingestor: Ingestor) -> None:
        self.store = store
        self._config = config
        self.ingestor = ingestor

    @property
    def config(self) -> CustomersConfig:
        return _config(self._config)

    @property
    def merger(self) -> CustomerMerger:
        return CustomerMerger(self.store, self.ingestor.matrix, self.config)

    def profiles(self) -> list[Profile]:
        """Every live customer's profile, in id order."""
        return [
            profile(rec.id, rec.data)
            for rec in self.store.records.iter(EntityType.CUSTOMER)
            if not rec.deleted
        ]

    # -- bulk -------------------------------------------------------------------------------
    def dedupe(self, progress: Progress | None = None, *, file: bool = True) -> DedupeReport:
        """Score every blocked pair of stored customers; file those at or above ``lower``."""
        cfg = self.config
        model = Models(self.store.customer_match, cfg).current()
        profiles = self.profiles()
        blocks = dedupe.blocked_pairs(profiles, cfg.max_block)
        advance = progress("pairs scored", len(blocks.pairs)) if progress else None
        found = dedupe.scored_pairs(profiles, blocks.pairs, model, cfg.lower, advance)
        tasks = [
            NewReview(
                pair_key(profiles[i].record_id, profiles[j].record_id),
                ReviewKind.PAIR,
                profiles[i].record_id,
                s.total,
                explanation(cfg, profiles[j].record_id, s, []),
                other_id=profiles[j].record_id,
            )
            for i, j, s in found
        ]
        filed = self.store.customer_match.file(tasks) if file and tasks else 0
        upper = sum(1 for _, _, s in found if s.total >= cfg.upper)
        return DedupeReport(
            len(profiles),
            blocks.blocks,
            len(blocks.skipped),
            len(blocks.pairs),
            upper,
            len(found) - upper,
            filed,
        )

    def train(self) -> Trained:
        """Estimate m/u from the store and keep them (used from now on, below the hub's overrides).

        u is measured on random pairs; m and the duplicate share by EM over the blocked pairs.
        """
        cfg = self.config
        model = Models(self.store.customer_match, cfg).current()
        profiles = self.profiles()
        probs, est = dedupe.fit(profiles, model, cfg.max_block, RANDOM_PAIRS)
        doc = probabilities_to_json(probs)
        if est.pairs:
            self.store.customer_match.save_trained(doc, est.pairs)
        return Trained(est.pairs, est.match_share, est.iterations, doc)

    def reindex(self) -> int:
        """Rebuild the blocking-key index from the store; how many keys it holds."""
        rows = [(k, p.record_id) for p in self.profiles() for k in blocking_keys(p)]
        self.store.customer_match.rebuild_keys(rows)
        return len(rows)

    # -- stewardship --------------------------------------------------------------------------
    def task(self, task_id: int) -> ReviewRow:
        row = self.store.customer_match.review(task_id)
        if row is None:
            raise NotFound(f"review task {task_id} does not exist")
        return row

    def decide(self, task_id: int, *, accept: bool, actor: str, note: str | None = None) -> Decided:
        """Accept (same customer) or reject (different customers) a pending task; audited."""
        status = ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED
        now = datetime.now(UTC)
        with self.store.write() as tx:
            row = self.store.customer_match.decide(tx, task_id, status, actor)
            target: str | None = None
            applied: IngestReport | None = None
            detail: dict[str, Any] = {"task": task_id, "note": note, "weight": row.weight}
            merged: Merged | None = None
            if row.kind is ReviewKind.INCOMING:
                assert row.system is not None
                assert row.native_id is not None
                # the candidate may have been merged away since the task was filed
                live = self.store.customer_merges.survivors(tx, [row.record_id])
                target = (
                    live.get(row.record_id, row.record_id)
                    if accept
                    else new_record_id(model_for(EntityType.CUSTOMER).id_prefix)
                )
                tx.add_crosswalk(EntityType.CUSTOMER, [(row.system, row.native_id, target)], now)
                held = [replace(change_from_json(h), idempotency_key=None) for h in row.held]
                applied = self.ingestor.apply_in(tx, held)
                detail.update(system=row.system, native_id=row.native_id, record=target)
            else:
                assert row.other_id is not None
                detail.update(records=[row.record_id, row.other_id])
                if accept:
                    merged = self.merger.merge_in(
                        tx, row.record_id, row.other_id, actor=actor, note=note
                    )
                    detail.update(merge=merged.merge_id)
            tx.audit(actor, f"customer.review.{status.value}", f"customer/{row.record_id}", detail)
        return Decided(row, target, applied, merged)

    # -- four eyes ----------------------------------------------------------------------------
    def request_change(
        self, system: str, native_id: str, data: dict[str, Any], *, actor: str
    ) -> Requested:
        """A person's change to a known customer, as ``system`` would send it.

        It goes through ingest like any change, naming ``actor`` as the requester:
        ingest holds the sensitive fields (``config/approvals.py``) as proposals
        someone else must approve, and applies the rest now. Both, and the audit
        entry, commit together.
        """
        _config(self._config)  # matching off: refused with an error saying so
        now = datetime.now(UTC)
        with self.store.write() as tx:
            known = tx.crosswalk_lookup(EntityType.CUSTOMER, [(system, native_id)])
            rid = known.get((system, native_id))
            if rid is None:
                raise NotFound(f"{system}:{native_id} names no customer")
            rid = self.store.customer_merges.survivors(tx, [rid]).get(rid, rid)
            rec = tx.load_records(EntityType.CUSTOMER, [rid]).get(rid)
            if rec is None or rec.deleted:
                raise NotFound(f"customer {rid} does not exist")
            change = Change(
                system, EntityType.CUSTOMER, native_id, data, source_ts=now, requested_by=actor
            )
            applied = self.ingestor.apply_in(tx, [change])
            standing = tx.standing_proposals(EntityType.CUSTOMER, [rid])
            waiting = [
                k
                for k in data
                if (rid, system, k, dumps(data[k]), ProposalStatus.PENDING.value) in standing
            ]
            tx.audit(
                actor, "customer.change.requested", f"customer/{rid}",
                {"system": system, "native_id": native_id, "waiting": waiting,
                 "applied": sorted(k for k in data if k not in waiting)},
            )  # fmt: skip
        return Requested(rid, waiting, applied)

    # -- the steward's verbs (outside the queue; each remembered, so never asked again) ------
    def _settle_pair(self, tx: Any, a: str, b: str, status: ReviewStatus, actor: str) -> int:
        """File the pair {a, b} if it never was, and mark it decided when still pending."""
        repo = self.store.customer_match
        task_id = repo.hold(
            tx,
            NewReview(pair_key(a, b), ReviewKind.PAIR, a, 0.0, {"by": "steward"}, other_id=b),
        )
        found = repo.find(pair_key(a, b), tx)
        if found is not None and found.status is ReviewStatus.PENDING:
            repo.decide(tx, task_id, status, actor)
        return task_id

    def merge(
        self, survivor_id: str, merged_id: str, *, actor: str, note: str | None = None
    ) -> Merged:
        """Merge two records now; the pair is remembered as decided."""
        with self.store.write() as tx:
            done = self.merger.merge_in(tx, survivor_id, merged_id, actor=actor, note=note)
            self._settle_pair(tx, survivor_id, merged_id, ReviewStatus.ACCEPTED, actor)
        return done

    def unmerge(self, merge_id: int, *, actor: str, note: str | None = None) -> Unmerged:
        return self.merger.unmerge(merge_id, actor=actor, note=note)

    def keep_apart(self, a: str, b: str, *, actor: str, note: str | None = None) -> int:
        """Two records are different customers: dedupe never files the pair again. Audited."""
        if a == b:
            raise InvalidInput("a customer cannot be kept apart from itself", field="other_id")
        with self.store.write() as tx:
            recs = tx.load_records(EntityType.CUSTOMER, [a, b])
            for rid in (a, b):
                if rid not in recs:
                    raise NotFound(f"customer {rid} does not exist")
            found = self.store.customer_match.find(pair_key(a, b), tx)
            if found is not None and found.status is ReviewStatus.ACCEPTED:
                raise ConflictError(
                    f"customers {a} and {b} were decided the same (task {found.id}); "
                    "unmerge them instead"
                )
            task_id = self._settle_pair(tx, a, b, ReviewStatus.REJECTED, actor)
            tx.audit(
                actor, "customer.keep_apart", f"customer/{a}",
                {"records": [a, b], "task": task_id, "note": note},
            )  # fmt: skip
        return task_id

    def link(
        self, system: str, native_id: str, record_id: str, *, actor: str, note: str | None = None
    ) -> Decided:
        """Say a system's native id is this customer.

        A change held for that id is decided as accepted (its changes applied to the
        record); an id not known yet gets its crosswalk row. An id already linked to
        another record is a conflict: that is a merge.
        """
        waiting = self.store.customer_match.find(incoming_key(system, native_id))
        if waiting is not None and waiting.status is ReviewStatus.PENDING:
            if waiting.record_id != record_id:
                raise ConflictError(
                    f"{system}:{native_id} waits in task {waiting.id} against "
                    f"{waiting.record_id}; accept or reject that task"
                )
            return self.decide(waiting.id, accept=True, actor=actor, note=note)
        now = datetime.now(UTC)
        with self.store.write() as tx:
            if record_id not in tx.load_records(EntityType.CUSTOMER, [record_id]):
                raise NotFound(f"customer {record_id} does not exist")
            tx.lock_keys([f"{EntityType.CUSTOMER.value}:{system}:{native_id}"])
            known = tx.crosswalk_lookup(EntityType.CUSTOMER, [(system, native_id)])
            current = known.get((system, native_id))
            if current is not None and current != record_id:
                raise ConflictError(
                    f"{system}:{native_id} is customer {current}; merge the two instead"
                )
            if current is None:
                tx.add_crosswalk(EntityType.CUSTOMER, [(system, native_id, record_id)], now)
            tx.audit(
                actor, "customer.link", f"customer/{record_id}",
                {"system": system, "native_id": native_id, "note": note},
            )  # fmt: skip
        task = waiting or ReviewRow(
            0, incoming_key(system, native_id), ReviewKind.INCOMING, record_id, None, system,
            native_id, 0.0, {}, [], ReviewStatus.ACCEPTED, now, now, actor,
        )  # fmt: skip
        return Decided(task, record_id, None)


__all__ = ["CustomerService", "Decided", "DedupeReport", "Requested", "Trained"]
