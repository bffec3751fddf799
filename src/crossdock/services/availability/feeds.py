"""Feeds: WMS inventory events (deltas, idempotent) and ERP snapshots (absolute, reconciled).

A WMS event moves one position and is applied once: its idempotency key is
kept with its on-hand delta and the time it happened, which is what
reconciliation later needs to tell picks in flight from drift. An ERP
snapshot sets what the ERP owns (per ``availability.precedence``) and is
compared, per SKU x location, with the event-fed on hand; see
:mod:`.reconcile`. Every change that moves ATP past the publish rule is
emitted in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from crossdock.config.availability import Feed
from crossdock.errors import InvalidInput, NotFound
from crossdock.model.values import DecimalValue, NonNegativeDecimal, PositiveDecimal
from crossdock.services.availability.buckets import MAX_STORED, from_units, to_units
from crossdock.services.availability.context import Context, as_utc, now_utc
from crossdock.services.availability.reconcile import Resolution, reconcile_on_hand
from crossdock.store.availability import InboundRow, PositionRow, StockTx


class EventKind(StrEnum):
    RECEIPT = "receipt"
    PICK = "pick"
    ADJUSTMENT = "adjustment"
    CYCLE_COUNT = "cycle_count"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"


_OUTBOUND = (EventKind.PICK, EventKind.TRANSFER_OUT)
_INBOUND = (EventKind.RECEIPT, EventKind.TRANSFER_IN)


NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WmsEvent(_In):
    """One inventory movement as the WMS reports it."""

    idempotency_key: str = Field(min_length=1, max_length=255, pattern=NO_CONTROL)
    kind: EventKind
    sku: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    location: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    quantity: DecimalValue = Field(
        description="units moved (> 0); signed for an adjustment; the count for a cycle count"
    )
    occurred_at: datetime | None = Field(
        default=None, description="when it happened; now if omitted"
    )
    reference: str | None = Field(
        default=None,
        max_length=128,
        pattern=NO_CONTROL,
        description="inbound reference a receipt is against",
    )


class InboundIn(_In):
    reference: str = Field(min_length=1, max_length=128, pattern=NO_CONTROL)
    quantity: PositiveDecimal
    eta: date
    kind: str = Field(default="purchase_order", pattern=r"^(purchase_order|transfer|return)$")


class SnapshotItem(_In):
    sku: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    location: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    on_hand: DecimalValue
    on_hold: NonNegativeDecimal | None = None
    safety_stock: NonNegativeDecimal | None = None
    allocated: NonNegativeDecimal | None = Field(
        default=None, description="units promised to open orders, not yet picked"
    )
    inbound: list[InboundIn] | None = Field(default=None, max_length=1000)


class ErpSnapshot(_In):
    """Absolute figures from the ERP as of one moment."""

    as_of: datetime
    items: list[SnapshotItem] = Field(min_length=1, max_length=10_000)


@dataclass(frozen=True, slots=True)
class EventResult:
    key: str
    duplicate: bool
    position: PositionRow | None


@dataclass(frozen=True, slots=True)
class SnapshotLine:
    sku: str
    location: str
    on_hand: Decimal
    expected: Decimal
    in_flight: Decimal
    drift: Decimal
    resolution: Resolution
    reported: bool


def _check_quantity(event: WmsEvent, where: str = "") -> None:
    q, field = event.quantity, f"{where}quantity"
    if event.kind is EventKind.ADJUSTMENT:
        if q == 0:
            raise InvalidInput(f"{field}: an adjustment of zero moves nothing", field=field)
    elif event.kind is EventKind.CYCLE_COUNT:
        if q < 0:
            raise InvalidInput(f"{field}: a counted quantity cannot be negative", field=field)
    elif q <= 0:
        raise InvalidInput(
            f"{field}: a {event.kind.value} moves a positive quantity, not {q}", field=field
        )


def _check_item(item: SnapshotItem, where: str) -> None:
    for name in ("on_hand", "on_hold", "safety_stock", "allocated"):
        value = getattr(item, name)
        if value is not None:
            to_units(value, f"{where}.{name}")
    refs: set[str] = set()
    for j, r in enumerate(item.inbound or []):
        to_units(r.quantity, f"{where}.inbound.{j}.quantity")
        if r.reference in refs:
            raise InvalidInput(
                f"{where}.inbound.{j}.reference: {r.reference!r} appears twice",
                field=f"{where}.inbound.{j}.reference",
            )
        refs.add(r.reference)


class Feeds:
    """Applies WMS events and ERP snapshots."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def apply_wms_event(self, event: WmsEvent) -> EventResult:
        """Apply one event once; a key seen before is a no-op that says so."""
        return self.apply_wms_events([event], prefix="")[0]

    def apply_wms_events(
        self, events: Sequence[WmsEvent], *, prefix: str = "events"
    ) -> list[EventResult]:
        """Apply a batch of events in order, in one transaction; all or nothing.

        Every event is checked first (a bad one refuses the batch, naming it as
        ``events.3.quantity``); seen keys are no-ops that say so.
        """
        prepared, keys = self._prepare(events, prefix)
        return self.ctx.write(lambda stx: self._apply(stx, prepared, prefix), locks=keys)

    async def apply_wms_events_async(
        self, events: Sequence[WmsEvent], *, prefix: str = "events"
    ) -> list[EventResult]:
        """:meth:`apply_wms_events` awaited on an event loop (the API route)."""
        prepared, keys = self._prepare(events, prefix)
        return await self.ctx.write_async(
            lambda stx: self._apply(stx, prepared, prefix), locks=keys
        )

    def apply_prepared(
        self, stx: StockTx, events: Sequence[WmsEvent], now: datetime | None = None
    ) -> list[EventResult]:
        """Apply events inside the caller's write transaction (the inventory feed)."""
        prepared, _ = self._prepare(events, "")
        return self._apply(stx, prepared, "")

    def snapshot_items(
        self, stx: StockTx, items: Sequence[SnapshotItem], as_of: datetime
    ) -> list[SnapshotLine]:
        """Apply snapshot items inside the caller's write transaction (the inventory feed)."""
        for i, item in enumerate(items):
            self.ctx.check_location(item.location, f"items.{i}.location")
            _check_item(item, f"items.{i}")
        ordered = sorted(items, key=lambda it: (it.sku, it.location))
        return self._snapshot(stx, ordered, as_utc(as_of, "as_of"))

    def _prepare(
        self, events: Sequence[WmsEvent], prefix: str
    ) -> tuple[list[tuple[WmsEvent, int, datetime]], set[tuple[str, str]]]:
        """Each event checked, with its quantity in units and its time; the positions."""
        prepared: list[tuple[WmsEvent, int, datetime]] = []
        for i, event in enumerate(events):
            where = f"{prefix}.{i}." if prefix else ""
            _check_quantity(event, where)
            self.ctx.check_location(event.location, f"{where}location")
            qty = to_units(event.quantity, f"{where}quantity")
            occurred = (
                as_utc(event.occurred_at, f"{where}occurred_at") if event.occurred_at else now_utc()
            )
            prepared.append((event, qty, occurred))
        return prepared, {(e.sku, e.location) for e, _, _ in prepared}

    def _apply(
        self, stx: StockTx, prepared: list[tuple[WmsEvent, int, datetime]], prefix: str
    ) -> list[EventResult]:
        now = now_utc()
        out: list[EventResult] = []
        # Lock every position of the batch first, in one order, so batches never deadlock.
        keys = sorted({(e.sku, e.location) for e, _, _ in prepared})
        pos: dict[tuple[str, str], PositionRow | None] = dict.fromkeys(keys)
        pos.update(stx.positions(keys))
        seen = stx.events_seen([e.idempotency_key for e, _, _ in prepared])
        # Each event's row is computed from the locked row; the store gets one update per
        # position with the summed deltas (and one insert of every key) at the end.
        moves: dict[tuple[str, str], tuple[PositionRow, int, int, int]] = {}
        applied: list[tuple[str, str, str, str, int, datetime]] = []
        for i, (event, qty, occurred) in enumerate(prepared):
            where = f"{prefix}.{i}." if prefix else ""
            key = (event.sku, event.location)
            if event.idempotency_key in seen:
                out.append(EventResult(event.idempotency_key, True, pos[key]))
                continue
            seen.add(event.idempotency_key)
            before = pos[key]
            if before is None:
                before = self._create(stx, event, now, where)
            delta, delta_alloc = self._deltas(event, qty, before, where)
            if event.kind in _INBOUND and event.reference:
                stx.receive_inbound(event.sku, event.location, event.reference, qty)
            row = replace(
                before,
                on_hand=before.on_hand + delta,
                allocated=before.allocated + delta_alloc,
                version=before.version + 1,
                last_event_at=now,
            )
            base, d, a, n = moves.get(key, (before, 0, 0, 0))
            moves[key] = (base, d + delta, a + delta_alloc, n + 1)
            pos[key] = row
            applied.append(
                (
                    event.idempotency_key,
                    event.sku,
                    event.location,
                    event.kind.value,
                    delta,
                    occurred,
                )
            )
            out.append(EventResult(event.idempotency_key, False, row))
        if moves:
            stx.add_many([moves[k] for k in sorted(moves)], now)
            stx.record_events(applied, now)
            self.ctx.publisher.flush(stx, [r for k in sorted(moves) if (r := pos[k]) is not None])
        return out

    @staticmethod
    def _create(stx: StockTx, event: WmsEvent, now: datetime, where: str) -> PositionRow:
        if event.kind in _OUTBOUND:
            raise NotFound(
                f"{where}sku: no stock position for {event.sku!r} at "
                f"{event.location!r}; a {event.kind.value} needs stock that was received"
            )
        return stx.ensure_position(event.sku, event.location, now)

    @staticmethod
    def _deltas(event: WmsEvent, qty: int, pos: PositionRow, where: str) -> tuple[int, int]:
        """(on hand, allocated) deltas of one event on the position as it stands."""
        delta_alloc = 0
        if event.kind in _INBOUND:
            delta = qty
        elif event.kind is EventKind.PICK:
            delta = -qty
            delta_alloc = -min(qty, max(pos.allocated, 0))
        elif event.kind is EventKind.TRANSFER_OUT:
            delta = -qty
        elif event.kind is EventKind.CYCLE_COUNT:
            delta = qty - pos.on_hand
        else:
            delta = qty
        if abs(pos.on_hand + delta) > MAX_STORED:
            raise InvalidInput(
                f"{where}quantity: on hand of {event.sku}@{event.location} would pass the limit",
                field=f"{where}quantity",
            )
        return delta, delta_alloc

    def apply_erp_snapshot(self, snapshot: ErpSnapshot) -> list[SnapshotLine]:
        """Set what the ERP owns and reconcile on hand, per SKU x location, in one transaction."""
        as_of = as_utc(snapshot.as_of, "as_of")
        seen: set[tuple[str, str]] = set()
        for i, item in enumerate(snapshot.items):
            self.ctx.check_location(item.location, f"items.{i}.location")
            if (item.sku, item.location) in seen:
                raise InvalidInput(
                    f"items.{i}: {item.sku}@{item.location} appears twice in the snapshot",
                    field=f"items.{i}",
                )
            seen.add((item.sku, item.location))
            _check_item(item, f"items.{i}")
        items = sorted(snapshot.items, key=lambda it: (it.sku, it.location))
        return self.ctx.write(lambda stx: self._snapshot(stx, items, as_of), locks=seen)

    def _snapshot(
        self, stx: StockTx, items: list[SnapshotItem], as_of: datetime
    ) -> list[SnapshotLine]:
        now = now_utc()
        prec = self.ctx.config.precedence
        tolerance = self.ctx.config.reconcile_tolerance
        out: list[SnapshotLine] = []
        rows: list[PositionRow] = []
        for item in items:
            pos = stx.ensure_position(item.sku, item.location, now)
            line = self._reconcile(stx, pos, item, as_of, now, prec.on_hand, tolerance)
            out.append(line)
            values: dict[str, int] = {}
            if line.resolution is not Resolution.KEPT_WMS:
                values["on_hand"] = to_units(line.on_hand, "on_hand")
            if prec.on_hold is Feed.ERP and item.on_hold is not None:
                values["on_hold"] = to_units(item.on_hold, "on_hold")
            if prec.safety_stock is Feed.ERP and item.safety_stock is not None:
                values["safety_stock"] = to_units(item.safety_stock, "safety_stock")
            if prec.allocated is Feed.ERP and item.allocated is not None:
                values["allocated"] = to_units(item.allocated, "allocated")
            if prec.inbound is Feed.ERP and item.inbound is not None:
                stx.replace_inbound(
                    item.sku,
                    item.location,
                    [
                        InboundRow(
                            item.sku,
                            item.location,
                            r.reference,
                            r.kind,
                            to_units(r.quantity, "inbound.quantity"),
                            r.eta,
                        )
                        for r in item.inbound
                    ],
                )
            if values:
                rows.append(stx.set_values(item.sku, item.location, now, **values))
        self.ctx.publisher.flush(stx, rows)
        return out

    def _reconcile(
        self,
        stx: StockTx,
        pos: PositionRow,
        item: SnapshotItem,
        as_of: datetime,
        now: datetime,
        owner: Feed,
        tolerance: Decimal,
    ) -> SnapshotLine:
        in_flight = stx.in_flight(item.sku, item.location, as_of)
        rec = reconcile_on_hand(
            from_units(pos.on_hand),
            item.on_hand,
            from_units(in_flight),
            owner,
            has_events=pos.last_event_at is not None,
        )
        reported = abs(rec.drift) > tolerance
        if reported:
            stx.add_drift(
                item.sku,
                item.location,
                as_of,
                to_units(item.on_hand, "on_hand"),
                pos.on_hand,
                in_flight,
                to_units(rec.drift, "drift"),
                rec.resolution.value,
                now,
            )
        return SnapshotLine(
            item.sku,
            item.location,
            rec.on_hand,
            rec.expected,
            from_units(in_flight),
            rec.drift,
            rec.resolution,
            reported,
        )


__all__ = [
    "ErpSnapshot",
    "EventKind",
    "EventResult",
    "Feeds",
    "InboundIn",
    "SnapshotItem",
    "SnapshotLine",
    "WmsEvent",
]
