"""Canonical inventory feeds the stock positions: stock the hub holds is stock it can promise.

Every committed change to a canonical ``inventory`` record, from any system
(a files import, a webhook, a Tryton pull, ...), reaches the availability
service's stock positions through the same rules as the service's own feeds:

* a system named ``wms`` in ``availability.feeds`` is the WMS: its record's
  on hand is applied as a cycle count (an event with its own idempotency key,
  so reconciliation sees it like any WMS event), and the buckets the
  precedence gives the WMS are set;
* every other system (the default) is an ERP snapshot: its record's figures,
  as of the record's ``as_of`` (else the change's time), go through snapshot
  reconciliation: what the precedence gives the ERP is set, and on hand is
  taken or kept, and drift reported, exactly as ``POST /v1/availability/snapshots``.

The feed is a reader of the outbox with its own cursor (a pseudo-route,
``_availability``), moved in the transaction that writes the positions, under
a lease, so a change is applied exactly once across crashes and processes.
Changes from the availability publisher itself (``publish_system``) and
changes that touch no stock bucket are passed over: there is no echo between
the positions and the records they publish to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from pydantic import ValidationError

from crossdock.clock import SYSTEM_CLOCK, Clock
from crossdock.config.availability import Feed
from crossdock.errors import CrossdockError, ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.model.product import Product
from crossdock.services.availability.buckets import to_units
from crossdock.services.availability.context import Context, now_utc
from crossdock.services.availability.feeds import (
    EventKind,
    Feeds,
    InboundIn,
    SnapshotItem,
    WmsEvent,
)
from crossdock.store import EventRow, NewException, Store
from crossdock.store.availability import StockTx
from crossdock.store.leases import acquire, release

log = logging.getLogger(__name__)

#: The outbox cursor of the feed (a name no route can take: route names start with a letter).
CURSOR = "_availability"
#: Fields of an inventory record that move a stock position.
STOCK_FIELDS = frozenset(
    {"on_hand", "allocated", "on_hold", "safety_stock", "inbound", "unit", "sku", "location"}
)
BATCH = 500


@dataclass(slots=True)
class FeedReport:
    applied: int = 0
    skipped: int = 0
    refused: int = 0


class _Refused(Exception):
    def __init__(self, field: str, reason: str, code: ErrorCode = ErrorCode.VALIDATION_FAILED):
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.code = code


def _moves_stock(ev: EventRow) -> bool:
    return ev.op is ChangeOp.UPSERT and bool(STOCK_FIELDS.intersection(ev.changed))


class InventoryFeed:
    """Applies committed inventory changes to the stock positions, in commit order."""

    def __init__(
        self,
        store: Store,
        ctx: Context,
        feeds: Feeds,
        *,
        owner: str,
        product: Callable[[str], Product | None],
        lease_seconds: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.ctx = ctx
        self.feeds = feeds
        self.owner = owner
        self.product = product
        self.lease_seconds = lease_seconds
        self.clock = clock

    def feed_of(self, system: str | None) -> Feed | None:
        """Which feed a system's inventory is (``None``: never applied, the publisher's own)."""
        cfg = self.ctx.config
        if system is None or system == cfg.publish_system:
            return None
        return cfg.feeds.get(system, Feed.ERP)

    def run(self) -> FeedReport:
        """Apply every inventory change committed since the cursor; one lease holder at a time."""
        total = FeedReport()
        token = acquire(self.store, CURSOR, 0, self.owner, self.lease_seconds, clock=self.clock)
        if token is None:
            return total  # another process is feeding
        try:
            while True:
                position = self.store.cursors.get(CURSOR).position
                events = self.store.outbox.after(
                    position, limit=BATCH, entity_types=[EntityType.INVENTORY]
                )
                if not events:
                    break
                report = self.ctx.solo(partial(self._apply, events=events))
                total.applied += report.applied
                total.skipped += report.skipped
                total.refused += report.refused
                if len(events) < BATCH:
                    break
        finally:
            release(self.store, CURSOR, 0, self.owner, token, clock=self.clock)
        if total.applied:
            self.ctx.publisher.drain_if_pending()
        return total

    def _apply(self, stx: StockTx, *, events: list[EventRow]) -> FeedReport:
        report = FeedReport()
        refused: list[NewException] = []
        # Lock the batch's existing positions first, in one order, as every writer does.
        keys = sorted({(str(e.data.get("sku")), str(e.data.get("location"))) for e in events})
        stx.positions(keys)
        for ev in events:
            feed = self.feed_of(ev.source_system)
            if feed is None or not _moves_stock(ev):
                report.skipped += 1
                continue
            try:
                with stx.savepoint():
                    self._one(stx, ev, feed)
                report.applied += 1
            except (_Refused, CrossdockError) as exc:
                report.refused += 1
                refused.append(self._exception(ev, exc))
        if refused:
            stx.tx.add_exceptions(refused, now_utc())
        self.store.cursors.save(
            stx.tx,
            CURSOR,
            events[-1].seq,
            success=True,
            delivered=report.applied,
            error=None,
        )
        return report

    def _one(self, stx: StockTx, ev: EventRow, feed: Feed) -> None:
        d = ev.data
        sku, location = str(d.get("sku") or ""), str(d.get("location") or "")
        if not sku or not location:
            raise _Refused("sku", "an inventory record needs sku and location")
        self.ctx.check_location(location)
        factor = self._factor(sku, d.get("unit"))
        as_of = _as_of(d.get("as_of"), ev.time)
        if feed is Feed.WMS:
            self._as_wms(stx, ev, sku, location, factor, as_of)
        else:
            self._as_snapshot(stx, sku, location, factor, d, as_of)

    def _as_snapshot(
        self,
        stx: StockTx,
        sku: str,
        location: str,
        factor: Decimal,
        d: Mapping[str, Any],
        as_of: datetime,
    ) -> None:
        try:
            item = SnapshotItem(
                sku=sku,
                location=location,
                on_hand=_qty(d.get("on_hand"), factor),
                on_hold=_qty(d.get("on_hold"), factor),
                safety_stock=_qty(d.get("safety_stock"), factor),
                allocated=_qty(d.get("allocated"), factor),
                inbound=[
                    InboundIn(
                        reference=str(r["reference"]),
                        quantity=_qty(r["quantity"], factor),
                        eta=r["eta"],
                        kind=str(r.get("kind") or "purchase_order"),
                    )
                    for r in d.get("inbound") or []
                ],
            )
        except (ValidationError, KeyError, TypeError, InvalidOperation) as exc:
            raise _Refused(
                "on_hand", f"the record's figures are not a stock position: {exc}"
            ) from None
        for name in ("on_hand", "on_hold", "safety_stock", "allocated"):
            value = getattr(item, name)
            if value is not None:
                to_units(value, name)
        self.feeds.snapshot_items(stx, [item], as_of)

    def _as_wms(
        self,
        stx: StockTx,
        ev: EventRow,
        sku: str,
        location: str,
        factor: Decimal,
        as_of: datetime,
    ) -> None:
        on_hand = _qty(ev.data.get("on_hand"), factor)
        if on_hand is not None and "on_hand" in ev.changed:
            count = WmsEvent(
                idempotency_key=f"inventory:{ev.event_id}",
                kind=EventKind.CYCLE_COUNT,
                sku=sku,
                location=location,
                quantity=max(on_hand, Decimal(0)),
                occurred_at=as_of,
            )
            self.feeds.apply_prepared(stx, [count], as_of)
        prec = self.ctx.config.precedence
        values: dict[str, int] = {}
        for name in ("on_hold", "safety_stock", "allocated"):
            value = _qty(ev.data.get(name), factor)
            if value is not None and getattr(prec, name) is Feed.WMS:
                values[name] = to_units(value, name)
        if values:
            stx.ensure_position(sku, location, now_utc())
            row = stx.set_values(sku, location, now_utc(), **values)
            self.ctx.publisher.flush(stx, [row])

    def _factor(self, sku: str, unit: Any) -> Decimal:
        """How many base units one of the record's unit is (1 for the base unit or none)."""
        if unit is None or unit == "":
            return Decimal(1)
        product = self.product(sku)
        if product is None:
            raise _Refused(
                "unit",
                f"stock of {sku!r} is given in {unit!r}, but no product {sku!r} says what "
                "that unit holds",
                ErrorCode.UNKNOWN_UNIT,
            )
        if unit == product.base_uom:
            return Decimal(1)
        for u in product.units:
            if u.code == unit:
                return Decimal(u.factor)
        known = ", ".join(u.code for u in product.units)
        raise _Refused(
            "unit", f"{sku!r} has no unit {unit!r} (known: {known})", ErrorCode.UNKNOWN_UNIT
        )

    def _exception(self, ev: EventRow, exc: Exception) -> NewException:
        field: str | None
        if isinstance(exc, _Refused):
            field, reason, code = exc.field, exc.reason, exc.code
        else:
            assert isinstance(exc, CrossdockError)
            field, reason, code = getattr(exc, "field", None), exc.message, exc.code
        return NewException(
            system=ev.source_system or "unknown",
            code=code.value,
            reason=f"inventory {ev.data.get('sku')}@{ev.data.get('location')} did not reach "
            f"availability: {reason}",
            entity_type=EntityType.INVENTORY.value,
            native_id=None,
            ref=f"event:{ev.event_id}",
            field=field,
        )


def _qty(value: Any, factor: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)) * factor


def _as_of(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else fallback
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else fallback
    return fallback


__all__ = ["CURSOR", "FeedReport", "InventoryFeed"]
