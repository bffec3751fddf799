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
from crossdock.errors import InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.registry import model_for
from crossdock.services.customers import dedupe
from crossdock.services.customers.matcher import Models, explanation
from crossdock.services.customers.merge import CustomerMerger, Merged
from crossdock.services.customers.profile import Profile, blocking_keys, profile
from crossdock.services.customers.weights import probabilities_to_json
from crossdock.store import Store
from crossdock.store.customer_rows import NewReview, ReviewKind, ReviewRow, ReviewStatus, pair_key
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


__all__ = ["CustomerService", "Decided", "DedupeReport", "Trained"]
