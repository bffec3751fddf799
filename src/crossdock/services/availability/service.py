"""The availability service: ATP per SKU x location and channel, by date, and sourcing plans.

:class:`AvailabilityService` is the face the API and the CLI use. It answers
from the stock positions the feeds keep (see :mod:`.feeds`), holds
reservations (:mod:`.reservations`) and turns an order's lines and a ship-to
into a sourcing plan (:mod:`.sourcing`), with substitutes taken from the
products' relationships. One service per hub: :class:`crossdock.app.Application` holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossdock.config.availability import AvailabilityConfig
from crossdock.errors import InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.product import Product
from crossdock.model.values import PositiveDecimal
from crossdock.services.availability.buckets import Buckets, from_units, to_units
from crossdock.services.availability.channels import channel_atp
from crossdock.services.availability.context import Context, now_utc
from crossdock.services.availability.feeds import NO_CONTROL, Feeds
from crossdock.services.availability.inventory_feed import InventoryFeed
from crossdock.services.availability.projection import Inbound, projected_on, timeline
from crossdock.services.availability.publisher import Publisher, buckets_of
from crossdock.services.availability.reservations import Reservations
from crossdock.services.availability.sourcing import (
    LinePlan,
    LineRequest,
    Stock,
    plan_sourcing,
)
from crossdock.store.availability import InboundRow
from crossdock.sync.runtime import Hub

MAX_SKUS = 200


@dataclass(frozen=True, slots=True)
class LocationAvailability:
    location: str
    buckets: Buckets
    atp: Decimal
    channel_atp: Decimal | None
    channels: dict[str, Decimal]
    inbound: list[Inbound]
    timeline: list[tuple[date, Decimal]]
    projected_atp: Decimal | None
    version: int
    last_event_at: datetime | None


@dataclass(frozen=True, slots=True)
class SkuAvailability:
    sku: str
    atp: Decimal
    channel_atp: Decimal | None
    projected_atp: Decimal | None
    locations: list[LocationAvailability] = field(default_factory=list)


class ShipTo(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    region: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    zone: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    country: str | None = Field(default=None, max_length=2)
    postal_code: str | None = Field(default=None, max_length=32)


class SourceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    sku: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    quantity: PositiveDecimal


class SourceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lines: list[SourceLineIn] = Field(min_length=1, max_length=500)
    ship_to: ShipTo = ShipTo()
    channel: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    split: bool | None = Field(default=None, description="override the hub file's split rule")
    substitutes: bool = True


def _inbound(rows: Sequence[InboundRow]) -> list[Inbound]:
    return [Inbound(r.reference, from_units(r.quantity), r.eta, r.kind) for r in rows]


class AvailabilityService:
    """ATP queries, sourcing, reservations and feeds over one store."""

    def __init__(self, hub: Hub, config: AvailabilityConfig | None = None) -> None:
        cfg = config or hub.config.availability or AvailabilityConfig()
        self.config = cfg
        self.store = hub.store
        self.stock = hub.store.stock
        self.ctx = Context(hub.store, self.stock, cfg, Publisher(hub.store, hub.config, cfg))
        self.reservations = Reservations(self.ctx)
        self.feeds = Feeds(self.ctx)
        self.inventory = InventoryFeed(
            hub.store,
            self.ctx,
            self.feeds,
            owner=hub.owner,
            product=self._product,
            lease_seconds=hub.config.delivery.lease_seconds,
            clock=hub.clock,
        )

    # -- queries ------------------------------------------------------------------------
    def _product(self, sku: str) -> Product | None:
        rid = self.store.crosswalk.find_by_key(EntityType.PRODUCT, "sku", sku)
        rec = self.store.records.get(EntityType.PRODUCT, rid) if rid else None
        if rec is None or rec.deleted:
            return None
        try:
            return Product.model_validate(rec.data)
        except ValidationError:
            return None

    def availability(
        self,
        skus: Sequence[str],
        *,
        locations: Sequence[str] = (),
        channel: str | None = None,
        on: date | None = None,
    ) -> list[SkuAvailability]:
        """ATP with its buckets per SKU and location, for a channel and a date if asked."""
        if not skus:
            raise InvalidInput("sku: at least one SKU is required", field="sku")
        if len(skus) > MAX_SKUS:
            raise InvalidInput(f"sku: at most {MAX_SKUS} SKUs per request", field="sku")
        rule = self.ctx.channel_rule(channel)
        for loc in locations:
            self.ctx.check_location(loc)
        if locations and not self.config.locations:
            held = set(self.stock.locations())
            for loc in locations:
                if loc not in held:
                    raise NotFound(f"location: unknown location {loc!r}")
        rows, inbound_rows = self.stock.positions_and_inbound(
            list(dict.fromkeys(skus)), list(locations) or None
        )
        inbound: dict[tuple[str, str], list[Inbound]] = {}
        for ir in inbound_rows:
            inbound.setdefault((ir.sku, ir.location), []).extend(_inbound([ir]))
        today = now_utc().date()
        out: list[SkuAvailability] = []
        for sku in dict.fromkeys(skus):
            mine = [r for r in rows if r.sku == sku]
            if not mine and self._product(sku) is None:
                raise NotFound(f"sku: unknown SKU {sku!r} (no stock position and no product)")
            locs: list[LocationAvailability] = []
            for r in mine:
                b = buckets_of(r)
                inb = inbound.get((r.sku, r.location), [])
                locs.append(
                    LocationAvailability(
                        location=r.location,
                        buckets=b,
                        atp=b.atp,
                        channel_atp=channel_atp(b.atp, rule, r.location) if rule else None,
                        channels={
                            c.name: channel_atp(b.atp, c, r.location) for c in self.config.channels
                        },
                        inbound=inb,
                        timeline=timeline(b.raw_atp, inb, today),
                        projected_atp=projected_on(b.raw_atp, inb, on) if on else None,
                        version=r.version,
                        last_event_at=r.last_event_at,
                    )
                )
            out.append(
                SkuAvailability(
                    sku=sku,
                    atp=sum((x.atp for x in locs), Decimal(0)),
                    channel_atp=sum((x.channel_atp or Decimal(0) for x in locs), Decimal(0))
                    if rule
                    else None,
                    projected_atp=sum((x.projected_atp or Decimal(0) for x in locs), Decimal(0))
                    if on
                    else None,
                    locations=locs,
                )
            )
        return out

    def source(self, req: SourceRequest) -> list[LinePlan]:
        """A sourcing plan for an order's lines and a ship-to (reserves nothing)."""
        rule = self.ctx.channel_rule(req.channel)
        for i, line in enumerate(req.lines):
            to_units(line.quantity, f"lines.{i}.quantity")
        skus = list(dict.fromkeys(line.sku for line in req.lines))
        subs: dict[str, list[str]] = {}
        if req.substitutes:
            for sku in skus:
                product = self._product(sku)
                if product is not None and product.substitutes():
                    subs[sku] = product.substitutes()
        every = list(dict.fromkeys(skus + [s for v in subs.values() for s in v]))
        rows, incoming = self.stock.positions_and_inbound(every)  # one read
        for i, line in enumerate(req.lines):
            if not any(r.sku == line.sku for r in rows) and self._product(line.sku) is None:
                raise NotFound(f"lines.{i}.sku: unknown SKU {line.sku!r}")
        inbound: dict[tuple[str, str], list[Inbound]] = {}
        for ir in incoming:
            inbound.setdefault((ir.sku, ir.location), []).extend(_inbound([ir]))
        positions: dict[tuple[str, str], Stock] = {}
        for r in rows:
            b = buckets_of(r)
            avail = channel_atp(b.atp, rule, r.location) if rule else b.atp
            positions[(r.sku, r.location)] = Stock(
                avail, b.raw_atp, tuple(inbound.get((r.sku, r.location), []))
            )
        region = req.ship_to.zone if req.ship_to.zone in self.config.regions else req.ship_to.region
        if region is not None and self.config.regions and region not in self.config.regions:
            raise InvalidInput(
                f"ship_to.region: no location preference for {region!r}; "
                f"known: {', '.join(sorted(self.config.regions))}",
                field="ship_to.region",
            )
        return plan_sourcing(
            [
                LineRequest(line.line or str(i + 1), line.sku, line.quantity)
                for i, line in enumerate(req.lines)
            ],
            positions,
            preference=self.config.preference(region),
            split_allowed=self.config.split_allowed if req.split is None else req.split,
            substitutes=subs,
            today=now_utc().date(),
        )

    def freshness(self) -> dict[str, datetime | None]:
        return self.stock.freshness()


__all__ = [
    "AvailabilityService",
    "LocationAvailability",
    "ShipTo",
    "SkuAvailability",
    "SourceLineIn",
    "SourceRequest",
]
