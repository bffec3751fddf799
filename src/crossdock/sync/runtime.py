"""The running hub: config, store, connectors, ingest and route workers wired together.

Faces (CLI, API, demo) build one :class:`Hub` and ask it to pull sources,
ingest, deliver and answer status questions. Connectors are found through
the registry by kind; this module never names one.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crossdock.clock import SYSTEM_CLOCK, Clock
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.config.loader import load_hub, parse_hub
from crossdock.connectors.base import (
    AnyConnector,
    Destination,
    ReadBackDestination,
    ReplayableSource,
    SourceError,
    SourceItem,
)
from crossdock.connectors.registry import build_connector
from crossdock.errors import ConfigInvalid, ErrorCode, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.observability import tracing
from crossdock.store import ExceptionStatus, Store, dumps, loads
from crossdock.store.leases import LeaseLost
from crossdock.store.leases import acquire as acquire_lease
from crossdock.store.leases import release as release_lease
from crossdock.store.records import RouteCursor
from crossdock.store.retention import PruneReport, prune
from crossdock.sync.changes_codec import change_from_json, change_to_json
from crossdock.sync.delivery import DeliveryReport, Lease, RouteWorker
from crossdock.sync.guards import DestinationGuard
from crossdock.sync.ingest import Ingestor, IngestReport
from crossdock.sync.links import SystemLink, system_links
from crossdock.sync.readback import read_back
from crossdock.sync.reconcile import Reconciler, ReconcileReport, Remedy

log = logging.getLogger(__name__)
INBOX_CLAIM_SECONDS = 300


def check_connector_settings(hub: HubConfig, system: SystemConfig) -> None:
    """Validate one system's settings against its connector (used when loading the file)."""
    build_connector(system, hub).close()


def load_checked(path: str | Path) -> HubConfig:
    return load_hub(path, check_settings=check_connector_settings)


def parse_checked(text: str, file: str = "crossdock.yaml") -> HubConfig:
    return parse_hub(text, file, check_settings=check_connector_settings)


@dataclass(slots=True)
class RouteStatus:
    route: str
    destination: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float | None
    last_success_at: datetime | None
    last_error: str | None
    parked: int
    delivered: int
    circuit: str = "closed"


@dataclass(slots=True)
class SyncSummary:
    ingest: IngestReport = field(default_factory=IngestReport)
    delivery: dict[str, DeliveryReport] = field(default_factory=dict)
    units: int = 0


class Hub:
    """One hub: a config, a store and the connectors the config names.

    ``clock`` is what its leases, route workers, destination guards and inbox
    claims read the time from (the real one unless a test gives another).
    """

    def __init__(
        self,
        config: HubConfig,
        store: Store,
        *,
        batch_size: int = 2000,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.ingestor = Ingestor(store, config, batch_size=batch_size)
        self._connectors: dict[str, AnyConnector] = {}
        self._guards: dict[str, DestinationGuard] = {}
        self._steps: list[tuple[str, Callable[[], object]]] = []
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def open(
        cls, config: HubConfig, *, store_url: str | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> Hub:
        return cls(config, Store.open(store_url or config.store.url), clock=clock)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        for c in self._connectors.values():
            c.close()
        self._connectors.clear()
        self.store.close()

    def connector(self, system: str) -> AnyConnector:
        with self._lock:
            if system not in self._connectors:
                try:
                    cfg = self.config.system(system)
                except KeyError:
                    raise NotFound(f"no system named {system!r} in the hub file") from None
                self._connectors[system] = build_connector(cfg, self.config)
                self._connectors[system].bind_store(self.store)
            return self._connectors[system]

    # -- inbound ------------------------------------------------------------------------
    def pull(
        self,
        systems: list[str] | None = None,
        *,
        on_unit: Callable[[str, int | None], Callable[[int], None] | None] | None = None,
    ) -> SyncSummary:
        """Pull every source once, ingest each unit, acknowledge it after its commit."""
        summary = SyncSummary()
        for system in systems or [s.name for s in self.config.systems]:
            source = self.connector(system).source()
            if source is None:
                continue
            for unit in source.pull():
                progress = on_unit(unit.name, unit.total) if on_unit else None
                summary.ingest.add(self.ingestor.ingest(unit.items, progress=progress))
                unit.ack()
                summary.units += 1
        return summary

    def ingest(self, items: list[SourceItem]) -> IngestReport:
        return self.ingestor.ingest(items)

    def receives_webhooks(self, system: str) -> bool:
        """Whether ``system`` is in the hub file and its connector receives webhooks."""
        if system not in {s.name for s in self.config.systems}:
            return False
        return self.connector(system).webhook_receiver() is not None

    def receive_webhook(self, system: str, headers: dict[str, str], body: bytes) -> int:
        """Verify and record an inbound webhook; the changes are ingested behind the answer."""
        receiver = self.connector(system).webhook_receiver()
        if receiver is None:
            raise NotFound(f"system {system!r} has no inbound webhook endpoint")
        # The sender's trace context, when it sent one, goes with its changes.
        trace = tracing.child_of(headers.get("traceparent"))
        items = [
            replace(i, traceparent=i.traceparent or trace) if isinstance(i, Change) else i
            for i in receiver.receive(headers, body)
        ]
        doc = [
            {"error": _source_error_json(i)} if isinstance(i, SourceError) else change_to_json(i)
            for i in items
        ]
        return self.store.inbox.add(system, dumps(doc))

    def process_inbox(self, limit: int = 100) -> IngestReport:
        """Ingest recorded webhook payloads, oldest first.

        Each row is claimed before it is ingested, so two workers (the sync loop and
        the API's drain, or two processes) never ingest one row at the same time. A
        claim older than ``INBOX_CLAIM_SECONDS`` belongs to a worker that died and is
        taken over; re-ingesting its row is safe because every change carries an
        idempotency key.
        """
        total = IngestReport()
        for row_id in self.store.inbox.waiting(limit):
            items_json = self._claim_inbox_row(row_id)
            if items_json is None:
                continue
            items: list[SourceItem] = []
            for doc in loads(items_json):
                if "error" in doc:
                    items.append(_source_error_from_json(doc["error"]))
                else:
                    items.append(change_from_json(doc))
            total.add(self.ingestor.ingest(items))
            self.store.inbox.done(row_id)
        return total

    def _claim_inbox_row(self, row_id: int) -> str | None:
        now = self.clock.now()
        return self.store.inbox.claim(row_id, now, now - timedelta(seconds=INBOX_CLAIM_SECONDS))

    # -- outbound -----------------------------------------------------------------------
    def destination(self, system: str) -> Destination:
        dest = self.connector(system).destination()
        if dest is None:
            raise ConfigInvalid(
                f"system {system!r} is not a destination (its connector has no destination "
                "settings)",
                field="destination",
            )
        return dest

    def worker(
        self, route_name: str, partition: int = 0, lease: Lease | None = None
    ) -> RouteWorker:
        try:
            route = self.config.route(route_name)
        except KeyError:
            raise NotFound(f"no route named {route_name!r}") from None
        return RouteWorker(
            self.store,
            route,
            self.destination(route.destination),
            guard=self.guard(route.destination),
            partition=partition,
            lease=lease,
            clock=self.clock,
        )

    def guard(self, system: str) -> DestinationGuard:
        """The rate limit and circuit breaker of a destination, shared by its routes."""
        with self._lock:
            if system not in self._guards:
                cfg = self.config.system(system)
                self._guards[system] = DestinationGuard.shared(
                    self.store, system, cfg.circuit, cfg.rate_limit, clock=self.clock.time
                )
            return self._guards[system]

    def replay(
        self,
        route_name: str,
        *,
        from_seq: int | None = None,
        since: datetime | None = None,
        actor: str,
    ) -> int:
        """Move a route's cursor back so it sends again from a sequence number or a time.

        Returns the new position. It never moves a cursor forward (that would skip
        changes). Receivers see the same delivery ids again for versions they
        already had, and drop them.
        """
        if route_name not in {r.name for r in self.config.routes}:
            raise NotFound(f"no route named {route_name!r}")
        if (from_seq is None) == (since is None):
            raise InvalidInput("give exactly one of from_seq or since", field="from_seq")
        if since is not None:
            first = self.store.outbox.first_seq_since(since)
            position = (first - 1) if first is not None else self.store.outbox.last_seq()
        elif from_seq is not None:
            if from_seq < 1:
                raise InvalidInput("from_seq starts at 1", field="from_seq")
            position = from_seq - 1
        route = self.config.route(route_name)
        positions = [c.position for c in self.store.cursors.of_route(route_name)] or [0]
        position = min(position, min(positions))
        self.store.cursors.move_by_hand(
            route_name,
            position,
            partitions=route.partitions,
            actor=actor,
            reason=f"replay from_seq={from_seq} since={since}",
        )
        return position

    def prune(
        self, *, progress: Callable[[str, int], None] | None = None, now: datetime | None = None
    ) -> PruneReport:
        """Prune what the hub file's retention says is past its age (see store.retention)."""
        r = self.config.retention
        report = prune(
            self.store,
            {
                "events": r.events_days,
                "idempotency_keys": r.idempotency_keys_days,
                "exceptions": r.exceptions_days,
                "parked": r.parked_days,
                "audit": r.audit_days,
            },
            partitions={route.name: route.partitions for route in self.config.routes},
            batch=r.batch,
            archive=r.archive,
            now=now,
            progress=progress,
        )
        if report.total:
            self.store.audit.append(
                "crossdock",
                "retention.prune",
                "store",
                {**report.pruned, "horizon": report.horizon},
            )
        return report

    def deliver(self, routes: list[str] | None = None) -> dict[str, DeliveryReport]:
        """Drain every partition of every route that has work and that this hub can lease.

        Several hubs (processes) on one store share the work: each partition is
        worked by the one holding its lease, and a lease is given up as soon as
        its partition has caught up, so the next pass of any worker may take it.
        Each pass starts at a random partition, so workers spread over the
        partitions instead of queueing for the same one. A lease lost mid-way
        (this worker stalled past its TTL and another took over) ends that
        partition's turn without moving its cursor.
        """
        work: list[tuple[RouteConfig, int]] = []
        for route in self.config.routes:
            if routes is not None and route.name not in routes:
                continue
            start = random.randrange(route.partitions)
            work += [(route, (start + i) % route.partitions) for i in range(route.partitions)]
        out = {route.name: DeliveryReport() for route, _ in work}
        pool = self._partition_pool() if len(work) > 1 else None
        if pool is None:
            for route, p in work:
                out[route.name].add(self._deliver_partition(route, p))
            return out
        # Partitions are independent (each has its own cursor, lease and order), so one
        # slow entity range must not hold up the others: they are worked side by side, by
        # at most max_concurrent_partitions threads that each take the next partition
        # when they are done with one. A process so holds at most that many leases at a
        # time, and the partitions it has not reached yet stay free for other processes.
        queue = deque(work)
        taking = threading.Lock()

        def take_turns() -> list[tuple[str, DeliveryReport]]:
            done: list[tuple[str, DeliveryReport]] = []
            while True:
                with taking:
                    if not queue:
                        return done
                    route, p = queue.popleft()
                done.append((route.name, self._deliver_partition(route, p)))

        threads = min(self.config.delivery.max_concurrent_partitions, len(work))
        for future in [pool.submit(take_turns) for _ in range(threads)]:
            for name, report in future.result():
                out[name].add(report)
        return out

    def _deliver_partition(self, route: RouteConfig, partition: int) -> DeliveryReport:
        """Drain one partition if it has work and this hub gets its lease."""
        if not self._has_work(route, partition):
            return DeliveryReport()
        ttl = self.config.delivery.lease_seconds
        token = acquire_lease(self.store, route.name, partition, self.owner, ttl, clock=self.clock)
        if token is None:
            return DeliveryReport()
        try:
            return self.worker(route.name, partition, Lease(self.owner, token, ttl)).drain()
        except LeaseLost as exc:
            log.warning("%s", exc)
            return DeliveryReport()
        finally:
            release_lease(self.store, route.name, partition, self.owner, token, clock=self.clock)

    def _partition_pool(self) -> ThreadPoolExecutor | None:
        """The threads that work partitions side by side (``None``: one at a time)."""
        size = self.config.delivery.max_concurrent_partitions
        if size <= 1:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(size, thread_name_prefix="crossdock-partition")
            return self._pool

    def _has_work(self, route: RouteConfig, partition: int) -> bool:
        """Whether events wait after the partition's cursor (a read: idle passes write nothing)."""
        cursor = self.store.cursors.get(route.name, partition)
        return bool(
            self.store.outbox.after(
                cursor.position,
                limit=1,
                entity_types=route.entities,
                partition=(partition, route.partitions),
            )
        )

    def add_step(self, name: str, step: Callable[[], object]) -> None:
        """Run ``step`` in each sync pass, after ingest and before delivery.

        For services that publish derived records, so they go out in the same pass.
        """
        self._steps.append((name, step))

    def sync_once(self) -> SyncSummary:
        """Pull every source, ingest recorded webhooks, run the added steps, deliver every route."""
        summary = self.pull()
        summary.ingest.add(self.process_inbox())
        self.run_steps()
        summary.delivery = self.deliver()
        return summary

    def run_steps(self) -> None:
        """Run the services' added steps once, in the order they were added."""
        for name, step in self._steps:
            try:
                step()
            except Exception:
                # One failing step (a service's bug or bad data) must not stop delivery;
                # its next run starts from its own committed bookmark.
                log.exception("sync step %s failed", name)

    # -- exceptions -----------------------------------------------------------------------
    def retry_exception(
        self, exc_id: int, *, actor: str, data: dict[str, Any] | None = None
    ) -> IngestReport:
        """Re-ingest the change an exception kept, optionally with corrected data."""
        row = self.store.exceptions.get(exc_id)
        if row is None:
            raise NotFound(f"no exception {exc_id}")
        if row.status is not ExceptionStatus.OPEN:
            raise InvalidInput(
                f"exception {exc_id} is {row.status.value}, not open", field="status"
            )
        item = self._replayable(exc_id, row.system, row.ref, row.payload)
        if isinstance(item, SourceError):
            # still unmappable: the same exception stays open, now with today's reason
            raise InvalidInput(
                f"exception {exc_id} still cannot be mapped: {item.reason}",
                field=item.field or "payload",
                code=item.code,
            )
        if data is not None:
            item = replace(item, data=data)
        report = self.ingestor.ingest([item])
        status = ExceptionStatus.RESOLVED if report.exceptions == 0 else ExceptionStatus.RETRIED
        self.store.exceptions.set_status(exc_id, status, actor=actor, note="retried")
        return report

    def _replayable(
        self, exc_id: int, system: str, ref: str | None, payload: dict[str, Any] | None
    ) -> SourceItem:
        """The change an exception kept; or its raw row mapped again through today's mapping."""
        if payload and "fulfilment" in payload:
            # a shipment/invoice the order ledger refused: it is applied again by the
            # fulfilment consumer, against the document as it stands now
            raise InvalidInput(
                f"exception {exc_id} is a refused shipment or invoice line; replay it with "
                f"`crossdock orders replay {exc_id}` once its cause is fixed",
                field="id",
            )
        if payload and "native_id" in payload:
            doc = dict(payload)
            doc["idempotency_key"] = None
            return change_from_json(doc)
        raw = payload.get("raw") if payload else None
        source = self.connector(system).source() if ref and raw is not None else None
        if ref and isinstance(source, ReplayableSource) and raw is not None:
            return source.replay(ref, raw)
        raise InvalidInput(
            f"exception {exc_id} kept no replayable change (a malformed input row); "
            "fix the source and send it again",
            field="payload",
        )

    # -- reconciliation ---------------------------------------------------------------------
    def reconcile(
        self, system: str, items: Iterable[SourceItem], *, check_missing: bool = True
    ) -> ReconcileReport:
        """The drift between a system's snapshot and the canonical store (reads only)."""
        return Reconciler(self.store, self.config).reconcile(
            system, items, check_missing=check_missing
        )

    def read_back(
        self, system: str, report: ReconcileReport | None = None
    ) -> ReconcileReport | None:
        """The drift of a system the hub writes to, read back by its destination (reads only).

        None when the system's destination cannot read itself back.
        """
        dest = self.connector(system).destination()
        if not isinstance(dest, ReadBackDestination):
            return None
        return read_back(self.store, self.config, system, dest, report)

    def heal(self, report: ReconcileReport, *, actor: str) -> dict[str, int]:
        """Apply each drift's remedy through the normal paths, audited.

        ``ingest`` drifts re-ingest the system's snapshot record (its merge rules
        hold: an owned field only moves for its owner, an older value is dropped);
        ``resend`` drifts have their route send the record's current version.
        ``report`` drifts are left for a person.
        """
        to_ingest: dict[tuple[EntityType, str], Change] = {}
        to_resend: set[tuple[str, EntityType, str]] = set()
        for d in report.drifts:
            if d.remedy is Remedy.INGEST and d.native_id is not None:
                snap = report.snapshot.get((d.entity_type, d.native_id))
                if snap is not None:
                    to_ingest[(d.entity_type, d.native_id)] = replace(snap, idempotency_key=None)
            elif d.remedy is Remedy.RESEND and d.route and d.entity_id:
                to_resend.add((d.route, d.entity_type, d.entity_id))
        ingested = self.ingestor.ingest(list(to_ingest.values()))
        delivered = 0
        for route, et, entity_id in sorted(to_resend):
            delivered += self.worker(route).resend(et, entity_id, actor=actor).delivered
        out = {
            "ingested": len(to_ingest),
            "changed": ingested.created + ingested.updated + ingested.deleted,
            "exceptions": ingested.exceptions,
            "resent": len(to_resend),
            "delivered": delivered,
            "left_for_a_person": sum(1 for d in report.drifts if d.remedy is Remedy.REPORT),
        }
        with self.store.write() as tx:
            tx.audit(actor, "reconcile.heal", report.system, out)
        return out

    # -- status -----------------------------------------------------------------------------
    def system_links(self, timeout: float = 3.0) -> list[SystemLink]:
        """Each system that can say: connected or why not, and its lag (see ``sync.links``)."""
        return system_links(self, timeout)

    def route_status(self) -> list[RouteStatus]:
        head = self.store.outbox.last_seq()
        parked = self.store.parked.count_by_route()
        now = self.clock.now()
        out: list[RouteStatus] = []
        for route in self.config.routes:
            worked = {c.partition: c for c in self.store.cursors.of_route(route.name)}
            # A partition never worked yet starts at 0.
            cursors = [
                worked.get(p, RouteCursor(route.name, 0, partition=p))
                for p in range(route.partitions)
            ]
            cur = min(cursors, key=lambda c: c.position)
            oldest: list[datetime] = []
            lag_events = 0
            for c in cursors:
                part = (c.partition, route.partitions)
                waiting = self.store.outbox.after(
                    c.position, limit=1, entity_types=route.entities, partition=part
                )
                if waiting:
                    oldest.append(waiting[0].time)
                    lag_events += self.store.outbox.count_after(
                        c.position, entity_types=route.entities, partition=part
                    )
            lag_seconds = (now - min(oldest)).total_seconds() if oldest else 0.0
            successes = [c.last_success_at for c in cursors if c.last_success_at]
            out.append(
                RouteStatus(
                    route.name,
                    route.destination,
                    cur.position,
                    head,
                    lag_events,
                    lag_seconds,
                    max(successes) if successes else None,
                    next((c.last_error for c in cursors if c.last_error), None),
                    parked.get(route.name, 0),
                    sum(c.delivered for c in cursors),
                    self.guard(route.destination).breaker.state.value,
                )
            )
        return out


def _source_error_json(e: SourceError) -> dict[str, Any]:
    return {
        "system": e.system,
        "reason": e.reason,
        "code": e.code.value,
        "ref": e.ref,
        "field": e.field,
        "entity_type": e.entity_type.value if e.entity_type else None,
        "native_id": e.native_id,
        "raw": e.raw if not isinstance(e.raw, dict) else dict(e.raw),
    }


def _source_error_from_json(d: dict[str, Any]) -> SourceError:
    from crossdock.model.base import EntityType

    return SourceError(
        system=d["system"],
        reason=d["reason"],
        code=ErrorCode(d["code"]),
        ref=d.get("ref"),
        field=d.get("field"),
        entity_type=EntityType(d["entity_type"]) if d.get("entity_type") else None,
        native_id=d.get("native_id"),
        raw=d.get("raw"),
    )


__all__ = [
    "Hub",
    "RouteStatus",
    "SyncSummary",
    "check_connector_settings",
    "load_checked",
    "parse_checked",
]
