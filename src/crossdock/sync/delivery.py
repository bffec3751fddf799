"""Delivery: from the outbox to one destination, per route, behind a committed cursor.

Guarantee: at-least-once. The cursor moves only in the same transaction
that records the batch's outcome (delivered, or parked), so a crash before
that re-sends the batch; every delivery carries a stable ``delivery_id``
(route, entity, version) for receivers to drop duplicates.

Within a window of events the worker keeps only the newest version of each
entity (compaction), skips entities whose every change in the window came
from the destination itself (no echo), sends only the fields the route
names, and parks a record that fails for good. Later versions of a parked
entity park behind it, so one entity's order is never broken.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crossdock.clock import SYSTEM_CLOCK, Clock
from crossdock.config.hub import RouteConfig
from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus, Destination
from crossdock.errors import ErrorCode, NotFound, PermanentError, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.observability.metrics import BATCH_SIZE, DELIVERIES, LATENCY, RETRIES
from crossdock.store import EventRow, NewParked, ParkedStatus, Store, WriteTx
from crossdock.store.leases import hold
from crossdock.sync.delivery_plan import (
    Park,
    Settlement,
    delivery_id,
    plan_batch,
    receipt_of,
    receipts_of,
    settle_batch,
)
from crossdock.sync.guards import CircuitState, DestinationGuard
from crossdock.sync.projection import passes_filter, project

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DeliveryReport:
    events: int = 0
    delivered: int = 0
    skipped: int = 0
    parked: int = 0
    retries: int = 0
    position: int = 0
    blocked: bool = False
    """The destination's circuit is open: nothing was pushed, the cursor did not move."""
    waiting: bool = False
    """A partial batch younger than the route's ``batch_wait_seconds``: held to fill up."""

    def add(self, other: DeliveryReport) -> None:
        self.events += other.events
        self.delivered += other.delivered
        self.skipped += other.skipped
        self.parked += other.parked
        self.retries += other.retries
        self.position = max(self.position, other.position)
        self.blocked = self.blocked or other.blocked
        self.waiting = self.waiting or other.waiting


MAX_INLINE_WAIT = 60.0
"""Longest Retry-After a worker sleeps through; a longer one defers the batch to a later pass."""
MAX_PRESSURE_ROUNDS = 20
"""Rounds in a row answered only with back-pressure before the batch is deferred."""


@dataclass(slots=True)
class _Round:
    """What one push did: each delivery's answer, and which failed or were pushed back."""

    results: dict[str, DeliveryResult] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    pushed_back: set[str] = field(default_factory=set)
    retry_after: float | None = None
    progressed: bool = False


@dataclass(frozen=True, slots=True)
class Lease:
    """The lease a worker holds on its partition: checked when the cursor moves."""

    owner: str
    token: int
    ttl: float


class _Deferred(Exception):
    """The destination cannot take it now (circuit open, a long Retry-After).

    Stop, keep the cursor, try on a later pass. Nothing is parked: the records are not
    at fault.
    """


class RouteWorker:
    """Moves one route's cursor forward, batch by batch."""

    def __init__(
        self,
        store: Store,
        route: RouteConfig,
        destination: Destination,
        *,
        guard: DestinationGuard | None = None,
        partition: int = 0,
        lease: Lease | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.route = route
        self.destination = destination
        self.guard = guard
        self.partition = partition
        self.lease = lease
        self.clock = clock
        # Waits (backoff, Retry-After, a pause, the rate limit) pass on the clock unless
        # the caller gives its own sleep.
        self.sleep = sleep if sleep is not None else clock.sleep

    def _save_cursor(
        self, tx: WriteTx, position: int, *, success: bool, delivered: int, error: str | None
    ) -> None:
        """Move this partition's cursor, if the lease (when there is one) is still ours."""
        if self.lease is not None:
            hold(
                tx,
                self.route.name,
                self.partition,
                self.lease.owner,
                self.lease.token,
                self.lease.ttl,
                clock=self.clock,
            )
        self.store.cursors.save(
            tx,
            self.route.name,
            position,
            partition=self.partition,
            success=success,
            delivered=delivered,
            error=error,
        )

    def drain(self, *, max_batches: int | None = None) -> DeliveryReport:
        """Deliver until the route has caught up with the outbox."""
        total = DeliveryReport()
        n = 0
        while max_batches is None or n < max_batches:
            report = self.run_once()
            total.add(report)
            n += 1
            if report.events < self.route.batch_size or report.blocked or report.waiting:
                break  # a short read means it has caught up: no second read to learn that
        return total

    def run_once(self) -> DeliveryReport:
        route = self.route
        cursor = self.store.cursors.get(route.name, self.partition)
        events = self.store.outbox.after(
            cursor.position,
            limit=route.batch_size,
            entity_types=route.entities,
            partition=(self.partition, route.partitions),
        )
        report = DeliveryReport(events=len(events), position=cursor.position)
        if not events:
            return report
        if self._still_filling(events):
            report.events = 0
            report.waiting = True
            return report
        last_seq = events[-1].seq
        plan = plan_batch(
            route,
            events,
            parked=self._parked_entities(list({ev.entity_id for ev in events})),
            native_ids=self._native_ids(list({(ev.entity_type, ev.entity_id) for ev in events})),
            passed_before=self._passed_before,
        )
        report.skipped = plan.skipped
        to_send = plan.to_send
        try:
            results, retries, attempts = self._push_with_retry([d for _, d in to_send])
        except _Deferred as exc:
            with self.store.write() as tx:
                self._save_cursor(tx, cursor.position, success=False, delivered=0, error=str(exc))
            report.blocked = True
            return report
        report.retries = retries
        if to_send:
            BATCH_SIZE.labels(route.name).observe(len(to_send))
        if retries:
            RETRIES.labels(route.name).inc(retries)
        settled = settle_batch(plan, results, attempts)
        report.delivered = len(settled.delivered)
        report.parked = len(settled.parked)
        with self.store.write() as tx:
            for d, native_id in settled.native_ids:
                self._record_native_id(tx, d, native_id)
            for p in settled.parked:
                self._park(tx, p)
            if route.receipts:
                self.store.receipts.add(tx, receipts_of(settled, results))
            self._save_cursor(tx, last_seq, success=True, delivered=report.delivered, error=None)
        report.position = last_seq
        self._observe(settled, {d.delivery_id: ev.time for ev, d in to_send}, report)
        return report

    def _observe(
        self, settled: Settlement, event_times: dict[str, datetime], report: DeliveryReport
    ) -> None:
        acked = datetime.now(UTC)
        latency = LATENCY.labels(self.route.name)
        for d in settled.delivered:
            latency.observe(max(0.0, (acked - event_times[d.delivery_id]).total_seconds()))
        for outcome, n in (
            ("delivered", report.delivered),
            ("parked", report.parked),
            ("skipped", report.skipped),
        ):
            if n:
                DELIVERIES.labels(self.route.name, outcome).inc(n)

    def _passed_before(self, ev: EventRow, first_in_batch: int) -> bool:
        """Whether the version before this batch's first one passed the route's filter.

        Only then did the destination (probably) get the record, and a version that
        fails the filter must withdraw it; a record that never passed is not sent.
        """
        prev = self.store.outbox.previous(ev.entity_type, ev.entity_id, first_in_batch)
        return (
            prev is not None and prev.op is ChangeOp.UPSERT and passes_filter(self.route, prev.data)
        )

    def _still_filling(self, events: list[EventRow]) -> bool:
        """A batch closes at ``batch_size`` events or once its oldest is ``batch_wait_seconds``."""
        wait = self.route.batch_wait_seconds
        if wait <= 0 or len(events) >= self.route.batch_size:
            return False
        return (self.clock.now() - events[0].time).total_seconds() < wait

    # -- pushing ------------------------------------------------------------------------
    def _push_with_retry(
        self, deliveries: list[Delivery]
    ) -> tuple[dict[str, DeliveryResult], int, dict[str, int]]:
        """Push, retrying what failed transiently; results, retries and attempts per delivery.

        Each delivery has its own retry budget (``retry.attempts``): only a failure of
        that delivery spends it, so a partly answered round does not use up the
        budget of the ones it never reached. Back-pressure (a 429, code
        ``rate_limited``) spends nobody's budget and does not count against the
        circuit: it pauses every worker's pushes to the destination for its
        Retry-After (or a growing backoff) and the same deliveries go again. A pause
        longer than :data:`MAX_INLINE_WAIT`, or :data:`MAX_PRESSURE_ROUNDS` rounds in a
        row answered with nothing but back-pressure, defers the batch to a later pass
        (cursor kept, nothing parked).
        """
        policy = self.route.retry
        results: dict[str, DeliveryResult] = {}
        attempts: dict[str, int] = {}
        pending = deliveries
        retries = 0
        pressure = 0
        guard = self.guard
        while pending:
            self._wait_for_destination(len(pending))
            outcome = self._push_once(pending)
            results.update(outcome.results)
            pushed_back = [d for d in pending if d.delivery_id in outcome.pushed_back]
            failed_now = [d for d in pending if d.delivery_id in outcome.failed]
            for d in failed_now:
                attempts[d.delivery_id] = attempts.get(d.delivery_id, 0) + 1
            for d in pending:
                attempts.setdefault(d.delivery_id, 1)
            again = list(pushed_back)
            for d in failed_now:
                if attempts[d.delivery_id] < policy.attempts:
                    again.append(d)
                    continue
                prev = results[d.delivery_id]
                results[d.delivery_id] = DeliveryResult(
                    d.delivery_id,
                    DeliveryStatus.FAILED,
                    error=f"retries exhausted after {attempts[d.delivery_id]} attempts: "
                    f"{prev.error}",
                    code=prev.code or ErrorCode.TRANSIENT,
                )
            order = {d.delivery_id: i for i, d in enumerate(pending)}
            pending = sorted(again, key=lambda d: order[d.delivery_id])
            if not pending:
                break
            retries += 1
            if pushed_back:
                pressure = pressure + 1 if not outcome.progressed else 1
                if pressure > MAX_PRESSURE_ROUNDS:
                    raise _Deferred(
                        f"{self.route.destination} kept answering 429 (rate limited) for "
                        f"{pressure - 1} rounds; trying again on a later pass"
                    )
                backoff = min(policy.cap_seconds, policy.base_seconds * 2 ** (pressure - 1))
                wait = outcome.retry_after if outcome.retry_after is not None else backoff
                if guard is not None:
                    wait = guard.pause.hold(wait)
                if wait > MAX_INLINE_WAIT:
                    raise _Deferred(
                        f"{self.route.destination} asked to wait {wait:.0f}s (rate limited)"
                    )
                log.info(
                    "route %s: %s pushed back (429); %d deliveries wait %.2fs",
                    self.route.name,
                    self.route.destination,
                    len(pending),
                    wait,
                )
                if guard is None:
                    self.sleep(wait)
                continue
            pressure = 0
            round_no = max(attempts[d.delivery_id] for d in pending)
            backoff = min(policy.cap_seconds, policy.base_seconds * 2 ** (round_no - 1))
            delay = random.uniform(0, backoff)
            if outcome.retry_after is not None:
                if outcome.retry_after > MAX_INLINE_WAIT:
                    # Too long to hold the worker: stop here, keep the cursor, come back later.
                    raise _Deferred(
                        f"{self.route.destination} asked to wait "
                        f"{outcome.retry_after:.0f}s (Retry-After)"
                    )
                delay = max(delay, outcome.retry_after)  # the destination's word beats ours
            log.info(
                "route %s: retrying %d deliveries in %.2fs", self.route.name, len(pending), delay
            )
            self.sleep(delay)
        return results, retries, attempts

    def _wait_for_destination(self, n: int) -> None:
        """The circuit must allow the push; then wait out a pause and the rate limit."""
        guard = self.guard
        if guard is None:
            return
        if not guard.breaker.allow():
            raise _Deferred(f"circuit to {self.route.destination} is open")
        paused = guard.pause.remaining()
        if paused > MAX_INLINE_WAIT:
            raise _Deferred(f"{self.route.destination} is paused for {paused:.0f}s (rate limited)")
        if paused > 0:
            self.sleep(paused)
        if guard.bucket is not None:
            wait = guard.bucket.reserve(n)
            if wait > 0:
                self.sleep(wait)

    def _push_once(self, pending: list[Delivery]) -> _Round:
        """One push of ``pending``, its answers sorted into done, failed and pushed back."""
        guard = self.guard
        out = _Round()
        try:
            answered = {r.delivery_id: r for r in self.destination.push(pending)}
        except RetryableError as exc:
            out.retry_after = exc.retry_after
            for d in pending:
                out.results[d.delivery_id] = DeliveryResult(
                    d.delivery_id,
                    DeliveryStatus.RETRY,
                    error=exc.message,
                    code=exc.code,
                    retry_after=exc.retry_after,
                )
            if exc.code is ErrorCode.RATE_LIMITED:
                out.pushed_back = {d.delivery_id for d in pending}
                return out
            out.failed = {d.delivery_id for d in pending}
            if guard is not None:
                guard.breaker.record_failure()
                if guard.breaker.state is not CircuitState.CLOSED:
                    # The destination is down, not the records: leave them for later.
                    raise _Deferred(
                        f"circuit to {self.route.destination} opened: {exc.message}"
                    ) from exc
            return out
        except PermanentError as exc:
            for d in pending:
                out.results[d.delivery_id] = DeliveryResult(
                    d.delivery_id, DeliveryStatus.FAILED, error=exc.message, code=exc.code
                )
            return out
        for d in pending:
            res = answered.get(d.delivery_id) or DeliveryResult(
                d.delivery_id,
                DeliveryStatus.RETRY,
                error="no result from destination",
                code=ErrorCode.TRANSIENT,
            )
            out.results[d.delivery_id] = res
            if res.status is not DeliveryStatus.RETRY:
                out.progressed = True
                continue
            if res.retry_after is not None:
                out.retry_after = max(out.retry_after or 0.0, res.retry_after)
            if res.code is ErrorCode.RATE_LIMITED:
                out.pushed_back.add(d.delivery_id)
            else:
                out.failed.add(d.delivery_id)
        if guard is not None and out.progressed:
            guard.breaker.record_success()
        return out

    # -- bookkeeping --------------------------------------------------------------------
    def _native_ids(self, keys: list[tuple[EntityType, str]]) -> dict[tuple[EntityType, str], str]:
        by_type: dict[EntityType, list[str]] = {}
        for et, eid in keys:
            by_type.setdefault(et, []).append(eid)
        out: dict[tuple[EntityType, str], str] = {}
        for et, ids in by_type.items():
            for cid, nid in self.store.crosswalk.native_ids_for(
                et, self.route.destination, ids
            ).items():
                out[(et, cid)] = nid
        return out

    def _parked_entities(self, entity_ids: list[str]) -> set[str]:
        return self.store.parked.entities_parked(self.route.name, entity_ids)

    def _record_native_id(self, tx: WriteTx, d: Delivery, native_id: str) -> None:
        system = self.route.destination
        known = tx.crosswalk_lookup(d.entity_type, [(system, native_id)])
        if (system, native_id) not in known:
            tx.add_crosswalk(d.entity_type, [(system, native_id, d.entity_id)], datetime.now(UTC))

    def _park(self, tx: WriteTx, p: Park) -> None:
        ev, d = p.event, p.delivery
        payload: dict[str, Any] = {
            "delivery_id": d.delivery_id,
            "op": d.op.value,
            "data": dict(d.data),
            "native_id": d.native_id,
        }
        self.store.parked.park(
            tx,
            NewParked(
                route=self.route.name,
                entity_type=ev.entity_type,
                entity_id=ev.entity_id,
                version=ev.version,
                seq=ev.seq,
                delivery_id=d.delivery_id,
                code=str(p.code),
                error=p.error,
                attempts=p.attempts,
                payload=payload,
            ),
        )

    def retry_parked(self, entity_id: str, *, actor: str) -> DeliveryReport:
        """Re-send a parked entity's current version; on success its parked rows close."""
        parked = [
            p
            for p in self.store.parked.page(self.route.name, limit=10_000)
            if p.entity_id == entity_id
        ]
        if not parked:
            raise NotFound(f"nothing of {entity_id!r} is parked on route {self.route.name!r}")
        return self._send_current(parked[0].entity_type, entity_id, actor, "parked.retry")

    def retry_all_parked(self, *, actor: str, code: str | None = None) -> DeliveryReport:
        """Retry every parked entity of the route (only those parked with ``code``, if given).

        Entities go in the order they were parked; an open circuit stops the run.
        """
        total = DeliveryReport()
        seen: set[str] = set()
        for p in self.store.parked.page(self.route.name, limit=100_000):
            if p.entity_id in seen or (code is not None and p.code != code):
                continue
            seen.add(p.entity_id)
            report = self._send_current(p.entity_type, p.entity_id, actor, "parked.retry")
            total.add(report)
            if report.blocked:
                break
        return total

    def resend(self, entity_type: EntityType, entity_id: str, *, actor: str) -> DeliveryReport:
        """Send one entity's current version again (it also closes any parked rows)."""
        if self.store.records.get(entity_type, entity_id) is None:
            raise NotFound(f"no {entity_type.value} record {entity_id!r}")
        return self._send_current(entity_type, entity_id, actor, "route.resend")

    def skip_parked(self, entity_id: str, *, actor: str, note: str | None = None) -> int:
        """Give up on a parked entity's versions (audited); later versions flow again."""
        with self.store.write() as tx:
            moved = self.store.parked.close(tx, self.route.name, entity_id, ParkedStatus.SKIPPED)
            if moved == 0:
                raise NotFound(f"nothing of {entity_id!r} is parked on route {self.route.name!r}")
            tx.audit(
                actor,
                "parked.skip",
                f"{self.route.name}/{entity_id}",
                {"rows": moved, "note": note},
            )
            return moved

    def _send_current(
        self, entity_type: EntityType, entity_id: str, actor: str, action: str
    ) -> DeliveryReport:
        report = DeliveryReport()
        rec = self.store.records.get(entity_type, entity_id)
        if rec is None:
            return report
        # A record outside the route's filter now is withdrawn, as the batch would have done.
        gone = rec.deleted or not passes_filter(self.route, rec.data)
        d = Delivery(
            delivery_id(self.route.name, entity_type, entity_id, rec.version),
            self.route.name,
            entity_type,
            entity_id,
            rec.version,
            ChangeOp.DELETE if gone else ChangeOp.UPSERT,
            project(self.route, rec.data, entity_type) if not gone else {},
            self._native_ids([(entity_type, entity_id)]).get((entity_type, entity_id)),
            datetime.now(UTC),
            None,
        )
        try:
            results, retries, _ = self._push_with_retry([d])
        except _Deferred:
            report.blocked = True
            return report
        res = results[d.delivery_id]
        report.retries = retries
        with self.store.write() as tx:
            if res.status is DeliveryStatus.DELIVERED:
                report.delivered = 1
                for native in filter(None, (res.native_id, *res.also_native_ids)):
                    self._record_native_id(tx, d, native)
                self.store.parked.close(tx, self.route.name, entity_id, ParkedStatus.DELIVERED)
                if self.route.receipts:
                    self.store.receipts.add(tx, [receipt_of(d, res)])
            tx.audit(
                actor,
                action,
                f"{self.route.name}/{entity_id}",
                {"version": rec.version, "status": res.status.value, "error": res.error},
            )
        return report


__all__ = ["DeliveryReport", "Lease", "RouteWorker", "delivery_id"]
