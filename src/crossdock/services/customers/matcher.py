"""The online customer matcher: what ingest asks about a customer it cannot identify.

:class:`CustomerMatcher` is the ``customer`` entry of the
``crossdock.matchers`` entry points (see :mod:`crossdock.sync.identity`).
For an incoming customer it builds the profile, finds candidates through
the blocking-key index (in ingest's transaction), scores each with the
Fellegi-Sunter model and places the change: ``link`` to the best candidate
at or above ``customers.upper``, ``review`` from ``lower`` up to ``upper``,
``new`` below (or with no candidate at all). A native id that already has
an open review task is held again whatever it scores: its first change is
waiting, and applying a later one would decide the question behind the
steward's back.

Held, not created: a change between the thresholds is kept in the review
task and nothing is written. Creating it and flagging it would send a
likely duplicate to every destination, which a later merge would then have
to take back from each of them; holding it costs only the delay until a
person decides, and the decision applies the held changes through ingest
in the decision's own transaction.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any

from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import HubConfig
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.customers.profile import Profile, blocking_keys, profile
from crossdock.services.customers.sites import identify
from crossdock.services.customers.weights import MatchModel, Score, probabilities_from_json
from crossdock.store import Store, WriteTx
from crossdock.store.customer_rows import (
    SITE_ALIAS,
    NewReview,
    ReviewKind,
    ReviewStatus,
    incoming_key,
)
from crossdock.store.protocols import CustomerMatch
from crossdock.sync.changes_codec import change_to_json
from crossdock.sync.identity import BatchRecords, Decision, Placement, Written
from crossdock.sync.ingest_problems import Refused, change_exception

MODEL_TTL = 30.0
"""Seconds a loaded model is used before the newest trained estimates are read again."""


class Models:
    """The match model of a config and the store's newest EM estimates, re-read now and then."""

    def __init__(self, repo: CustomerMatch, config: CustomersConfig) -> None:
        self._repo = repo
        self._config = config
        self._model: MatchModel | None = None
        self._loaded = 0.0

    def current(self) -> MatchModel:
        if self._model is None or time.monotonic() - self._loaded > MODEL_TTL:
            trained = self._repo.trained()
            estimated = probabilities_from_json(trained[0]) if trained else None
            self._model = MatchModel.build(self._config, estimated)
            self._loaded = time.monotonic()
        return self._model

    def reset(self) -> None:
        self._model = None


def explanation(
    config: CustomersConfig, candidate: str | None, score: Score | None, others: list[Any]
) -> dict[str, Any]:
    """What a decision keeps: the candidate, each comparison's level and weight, the total."""
    doc: dict[str, Any] = {
        "candidate": candidate,
        "thresholds": {"upper": config.upper, "lower": config.lower},
        "others": others,
    }
    if score is not None:
        doc.update(score.explain())
    return doc


class CustomerMatcher:
    """Places unidentified customers; keeps the blocking-key index in step with writes."""

    def __init__(self, store: Store, config: CustomersConfig) -> None:
        self.repo = store.customer_match
        self.merges = store.customer_merges
        self.config = config
        self.models = Models(self.repo, config)
        self._learned: dict[int, tuple[Change, str, dict[str, str]]] = {}
        """What :meth:`settle` found for the site crosswalk, until the change is applied."""

    def best(
        self, incoming: Profile, candidates: dict[str, Any]
    ) -> tuple[str | None, Score | None, list[dict[str, Any]]]:
        """The best-scoring candidate (ties to the smaller id) and the runners-up."""
        model = self.models.current()
        scored = sorted(
            ((model.score(incoming, profile(rid, data)), rid) for rid, data in candidates.items()),
            key=lambda sr: (-sr[0].total, sr[1]),
        )
        if not scored:
            return None, None, []
        others = [{"id": rid, "weight": round(s.total, 4)} for s, rid in scored[1:4]]
        return scored[0][1], scored[0][0], others

    def place(self, tx: WriteTx, change: Change, batch: BatchRecords) -> Decision:
        key = incoming_key(change.system, change.native_id)
        waiting = self.repo.find(key, tx)
        if waiting is not None and waiting.status is ReviewStatus.PENDING:
            return Decision(
                Placement.REVIEW, waiting.record_id, waiting.weight, waiting.explanation
            )
        incoming = profile("incoming", change.data)
        if not incoming.matchable:
            return Decision(Placement.NEW, explanation={"reason": "no name to match on"})
        keys = blocking_keys(incoming)
        ids = self.repo.candidates(keys, self.config.candidates, tx)
        records = tx.load_records(EntityType.CUSTOMER, ids) if ids else {}
        live: dict[str, Any] = {rid: rec.data for rid, rec in records.items() if not rec.deleted}
        live.update((rid, batch.data[rid]) for rid in _batch_candidates(batch, keys))
        best, score, others = self.best(incoming, live)
        doc = explanation(self.config, best, score, others)
        if score is None or score.total < self.config.lower:
            return Decision(Placement.NEW, None, score.total if score else None, doc)
        placement = Placement.LINK if score.total >= self.config.upper else Placement.REVIEW
        return Decision(placement, best, score.total, doc)

    def hold(self, tx: WriteTx, change: Change, decision: Decision) -> None:
        assert decision.record_id is not None
        self.repo.hold(
            tx,
            NewReview(
                incoming_key(change.system, change.native_id),
                ReviewKind.INCOMING,
                decision.record_id,
                decision.weight or 0.0,
                decision.explanation,
                system=change.system,
                native_id=change.native_id,
                held=[change_to_json(change)],
            ),
        )

    def index(self, tx: WriteTx, written: Sequence[Written]) -> None:
        """Re-key the written customers whose blocking keys moved (most writes move none)."""
        ids: list[str] = []
        rows: list[tuple[str, str]] = []
        for w in written:
            after = [] if w.deleted else blocking_keys(profile(w.record_id, w.after))
            if w.before is not None and after == blocking_keys(profile(w.record_id, w.before)):
                continue
            ids.append(w.record_id)
            rows.extend((k, w.record_id) for k in after)
        if ids:
            self.repo.replace_keys(tx, ids, rows)

    def follow(self, tx: WriteTx, ids: Sequence[str]) -> dict[str, str]:
        return self.merges.survivors(tx, ids)

    def settle(
        self, tx: WriteTx, record_id: str, current: Mapping[str, Any] | None, change: Change
    ) -> Change:
        """The change's ship-to sites named as the stored ones they are (:mod:`.sites`); audited.

        Raises :class:`Refused` when the change sends one site id for two sites.

        What the site crosswalk learns waits for :meth:`settled`: a change ingest refuses
        teaches it nothing.
        """
        incoming = change.data.get("sites")
        if not isinstance(incoming, list) or not incoming:
            return change
        stored = (current or {}).get("sites") or []
        own: dict[str, str] = {}
        aliases: dict[str, str] = {}
        if current is not None:
            for _, system, native, code in self.merges.site_links(
                tx, [record_id], [change.system, SITE_ALIAS]
            ):
                (own if system == change.system else aliases)[native] = code
        found = identify(stored, incoming, own, aliases)
        if found.repeated is not None:
            i, sid, first, this = found.repeated
            raise Refused(
                change_exception(
                    change,
                    ErrorCode.VALIDATION_FAILED,
                    f"sites.{i}.native_id",
                    f"site id {sid!r} is sent for two sites ({first!r} and {this!r});"
                    " one id names one site",
                    entity_id=record_id,
                )
            )
        if found.joined:
            tx.audit(
                "crossdock",
                "customer.sites.identified",
                f"customer/{record_id}",
                {"system": change.system, "native_id": change.native_id, "sites": found.joined},
            )
        if not found.joined and found.sites is incoming and not found.learned:
            return change
        out = replace(change, data={**change.data, "sites": found.sites})
        if found.learned:
            self._learned[id(out)] = (out, record_id, found.learned)
        return out

    def settled(self, tx: WriteTx, record_id: str, change: Change, applied: bool) -> None:
        """``change`` (as :meth:`settle` returned it) applied: its site ids join the crosswalk."""
        entry = self._learned.pop(id(change), None)
        if not applied or entry is None or entry[0] is not change or entry[1] != record_id:
            return
        learned = entry[2]
        self.merges.put_site_links(
            tx, [(record_id, change.system, native, code) for native, code in learned.items()]
        )


def _batch_candidates(batch: BatchRecords, keys: Sequence[str]) -> set[str]:
    """The records created earlier in the batch that share a blocking key with ``keys``."""
    if batch.indexed < len(batch.data):  # index what was added since the last ask
        for rid, data in islice(batch.data.items(), batch.indexed, None):
            for k in blocking_keys(profile(rid, data)):
                batch.index.setdefault(k, set()).add(rid)
        batch.indexed = len(batch.data)
    return {rid for k in keys for rid in batch.index.get(k, ())}


def matcher_factory(store: Store, hub: HubConfig) -> CustomerMatcher | None:
    """The ``crossdock.matchers`` entry point: a matcher when the hub file has ``customers:``."""
    return None if hub.customers is None else CustomerMatcher(store, hub.customers)


__all__ = ["CustomerMatcher", "Models", "explanation", "matcher_factory"]
