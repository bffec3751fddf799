"""The running hub: config, store, connectors, ingest and route workers wired together.

Faces (CLI, API, demo) build one :class:`Hub` and ask it to pull sources,
ingest, deliver and answer status questions. Connectors are found through
the registry by kind; this module never names one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from crossdock.config.hub import HubConfig
from crossdock.config.loader import load_hub, parse_hub
from crossdock.connectors.base import Connector, Destination, SourceError, SourceItem
from crossdock.connectors.registry import build_connector
from crossdock.errors import ErrorCode, InvalidInput, NotFound
from crossdock.store import ExceptionStatus, Store, dumps, loads
from crossdock.store import schema as t
from crossdock.store.leases import LeaseLost
from crossdock.store.leases import acquire as acquire_lease
from crossdock.store.records import RouteCursor
from crossdock.sync.changes_codec import change_from_json, change_to_json
from crossdock.sync.delivery import DeliveryReport, Lease, RouteWorker
from crossdock.sync.guards import DestinationGuard
from crossdock.sync.ingest import Ingestor, IngestReport

log = logging.getLogger(__name__)
INBOX_CLAIM_SECONDS = 300


def check_connector_settings(hub: HubConfig) -> None:
    """Validate every system's settings against its connector (used when loading the file)."""
    for system in hub.systems:
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
    """One hub: a config, a store and the connectors the config names."""

    def __init__(self, config: HubConfig, store: Store, *, batch_size: int = 2000) -> None:
        self.config = config
        self.store = store
        self.ingestor = Ingestor(store, config, batch_size=batch_size)
        self._connectors: dict[str, Connector] = {}
        self._guards: dict[str, DestinationGuard] = {}
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()

    @classmethod
    def open(cls, config: HubConfig, *, store_url: str | None = None) -> Hub:
        return cls(config, Store.open(store_url or config.store.url))

    def close(self) -> None:
        for c in self._connectors.values():
            c.close()
        self._connectors.clear()
        self.store.close()

    def connector(self, system: str) -> Connector:
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

    def receive_webhook(self, system: str, headers: dict[str, str], body: bytes) -> int:
        """Verify and record an inbound webhook; the changes are ingested behind the answer."""
        receiver = self.connector(system).webhook_receiver()
        if receiver is None:
            raise NotFound(f"system {system!r} has no inbound webhook endpoint")
        items = receiver.receive(headers, body)
        doc = [
            {"error": _source_error_json(i)} if isinstance(i, SourceError) else change_to_json(i)
            for i in items
        ]
        with self.store.write() as tx:
            res = tx.conn.execute(
                t.inbox.insert().values(
                    system=system,
                    received_at=datetime.now(UTC),
                    items=dumps(doc),
                    status="pending",
                )
            )
            pk = res.inserted_primary_key
        return int(pk[0]) if pk else 0

    def process_inbox(self, limit: int = 100) -> IngestReport:
        """Ingest recorded webhook payloads, oldest first.

        Each row is claimed before it is ingested, so two workers (the sync loop and
        the API's drain, or two processes) never ingest one row at the same time. A
        claim older than ``INBOX_CLAIM_SECONDS`` belongs to a worker that died and is
        taken over; re-ingesting its row is safe because every change carries an
        idempotency key.
        """
        total = IngestReport()
        c = t.inbox.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(c.id)
                .where(c.status.in_(("pending", "processing")))
                .order_by(c.id)
                .limit(limit)
            ).all()
        for (row_id,) in rows:
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
            with self.store.write() as tx:
                tx.conn.execute(update(t.inbox).where(c.id == row_id).values(status="done"))
        return total

    def _claim_inbox_row(self, row_id: int) -> str | None:
        c = t.inbox.c
        now = datetime.now(UTC)
        stale = now - timedelta(seconds=INBOX_CLAIM_SECONDS)
        with self.store.write() as tx:
            res = tx.conn.execute(
                update(t.inbox)
                .where(
                    c.id == row_id,
                    (c.status == "pending") | ((c.status == "processing") & (c.claimed_at < stale)),
                )
                .values(status="processing", claimed_at=now)
            )
            if res.rowcount != 1:
                return None
            items: str = tx.conn.execute(select(c["items"]).where(c.id == row_id)).scalar_one()
            return items

    # -- outbound -----------------------------------------------------------------------
    def destination(self, system: str) -> Destination:
        dest = self.connector(system).destination()
        if dest is None:
            raise InvalidInput(
                f"system {system!r} is not a destination (its connector has no destination "
                "settings)",
                field="destination",
                code=ErrorCode.CONFIG_INVALID,
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
        )

    def guard(self, system: str) -> DestinationGuard:
        """The rate limit and circuit breaker of a destination, shared by its routes."""
        with self._lock:
            if system not in self._guards:
                cfg = self.config.system(system)
                self._guards[system] = DestinationGuard.for_policy(
                    system, cfg.circuit, cfg.rate_limit
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
            first = self.store.first_seq_since(since)
            position = (first - 1) if first is not None else self.store.last_seq()
        elif from_seq is not None:
            if from_seq < 1:
                raise InvalidInput("from_seq starts at 1", field="from_seq")
            position = from_seq - 1
        route = self.config.route(route_name)
        positions = [c.position for c in self.store.cursors(route_name)] or [0]
        position = min(position, min(positions))
        self.store.set_cursor(
            route_name,
            position,
            partitions=route.partitions,
            actor=actor,
            reason=f"replay from_seq={from_seq} since={since}",
        )
        return position

    def deliver(self, routes: list[str] | None = None) -> dict[str, DeliveryReport]:
        """Drain every partition of every route this hub can lease right now.

        Several hubs (processes) on one store share the work: each partition is
        worked by the one holding its lease; a lease lost mid-way (this worker
        stalled past its TTL and another took over) ends that partition's turn
        without moving its cursor.
        """
        out: dict[str, DeliveryReport] = {}
        for route in self.config.routes:
            if routes is not None and route.name not in routes:
                continue
            total = DeliveryReport()
            for p in range(route.partitions):
                ttl = self.config.delivery.lease_seconds
                token = acquire_lease(self.store, route.name, p, self.owner, ttl)
                if token is None:
                    continue
                lease = Lease(self.owner, token, ttl)
                try:
                    total.add(self.worker(route.name, p, lease).drain())
                except LeaseLost as exc:
                    log.warning("%s", exc)
            out[route.name] = total
        return out

    def sync_once(self) -> SyncSummary:
        """Pull every source, ingest recorded webhooks, deliver every route."""
        summary = self.pull()
        summary.ingest.add(self.process_inbox())
        summary.delivery = self.deliver()
        return summary

    # -- exceptions -----------------------------------------------------------------------
    def retry_exception(
        self, exc_id: int, *, actor: str, data: dict[str, Any] | None = None
    ) -> IngestReport:
        """Re-ingest the change an exception kept, optionally with corrected data."""
        row = self.store.get_exception(exc_id)
        if row is None:
            raise NotFound(f"no exception {exc_id}")
        if row.status is not ExceptionStatus.OPEN:
            raise InvalidInput(
                f"exception {exc_id} is {row.status.value}, not open", field="status"
            )
        if not row.payload or "native_id" not in row.payload:
            raise InvalidInput(
                f"exception {exc_id} kept no replayable change (a malformed input row); "
                "fix the source and send it again",
                field="payload",
            )
        doc = dict(row.payload)
        if data is not None:
            doc["data"] = data
        doc["idempotency_key"] = None
        report = self.ingestor.ingest([change_from_json(doc)])
        status = ExceptionStatus.RESOLVED if report.exceptions == 0 else ExceptionStatus.RETRIED
        self.store.set_exception_status(exc_id, status, actor=actor, note="retried")
        return report

    # -- status -----------------------------------------------------------------------------
    def route_status(self) -> list[RouteStatus]:
        head = self.store.last_seq()
        parked = self.store.count_parked()
        now = datetime.now(UTC)
        out: list[RouteStatus] = []
        for route in self.config.routes:
            cursors = self.store.cursors(route.name)
            if len(cursors) < route.partitions:  # a partition never worked yet starts at 0
                cursors.append(RouteCursor(route.name, 0))
            cur = min(cursors, key=lambda c: c.position)
            oldest = [
                ev
                for c in cursors
                for ev in self.store.events_after(
                    c.position,
                    limit=1,
                    entity_types=route.entities,
                    partition=(c.partition, route.partitions),
                )
            ]
            lag_events = max(0, head - cur.position) if oldest else 0
            lag_seconds = (now - min(e.time for e in oldest)).total_seconds() if oldest else 0.0
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
