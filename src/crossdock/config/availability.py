"""The hub file's ``availability:`` section: channel rules, sourcing, feed precedence, publishing.

Everything the available-to-promise service decides by policy rather than by
arithmetic lives here: how much of a location's ATP each channel may see
(ring-fence in units or percent, its own safety stock, the locations that
serve it), the location preference order per region or zone, whether an
order line may split across locations, which feed owns which bucket (WMS or
ERP), when an availability change is worth publishing, and how long a
reservation lives by default.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossdock.model.values import NonNegativeDecimal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Feed(StrEnum):
    """Which feed is the system of record for a bucket."""

    WMS = "wms"
    ERP = "erp"


class ChannelRule(_Strict):
    """What one sales channel may see of a location's ATP."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$", max_length=64)
    ring_fence_units: NonNegativeDecimal | None = Field(
        default=None, description="the channel sees at most this many units per location"
    )
    ring_fence_percent: NonNegativeDecimal | None = Field(
        default=None, le=100, description="the channel sees at most this share of ATP (0-100)"
    )
    safety_stock: NonNegativeDecimal = Field(
        default=Decimal(0), description="held back from this channel only, per location"
    )
    locations: list[str] | None = Field(
        default=None, description="locations that serve this channel; all when omitted"
    )


class Precedence(_Strict):
    """Which feed owns each bucket. The other feed's value is compared, never written."""

    on_hand: Feed = Feed.WMS
    on_hold: Feed = Feed.ERP
    safety_stock: Feed = Feed.ERP
    inbound: Feed = Feed.ERP
    allocated: Feed = Feed.ERP


class PublishRule(_Strict):
    """When an ATP change goes to channel routes: zero always; else a level crossed or a move."""

    levels: list[NonNegativeDecimal] = Field(
        default_factory=list, description="publish when ATP crosses one of these levels"
    )
    min_change: NonNegativeDecimal = Field(
        default=Decimal(0), description="publish when ATP moves by at least this much (0: any)"
    )
    enabled: bool = True


class AvailabilityConfig(_Strict):
    """The ``availability:`` section of the hub file."""

    locations: list[str] = Field(
        default_factory=list,
        description="known locations, in the default preference order; empty: any location",
    )
    regions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="region or zone -> locations in preference order for a ship-to there",
    )
    split_allowed: bool = Field(default=True, description="an order line may ship from several")
    channels: list[ChannelRule] = Field(default_factory=list)
    precedence: Precedence = Precedence()
    feeds: dict[str, Feed] = Field(
        default_factory=dict,
        description="system -> which feed its canonical inventory records are: wms (its on "
        "hand is a count) or erp (a snapshot, reconciled); systems not named are erp",
    )
    reconcile_tolerance: NonNegativeDecimal = Field(
        default=Decimal(0), description="drift at or below this is not reported"
    )
    publish: PublishRule = PublishRule()
    publish_system: str = Field(
        default="crossdock-atp", description="the pseudo-system published changes come from"
    )
    reservation_ttl_seconds: int = Field(default=900, ge=1, le=30 * 86_400)
    group_commit: bool = Field(
        default=True,
        description="concurrent reservations and events of one process share a transaction "
        "(one writer thread, one commit); off: each in a transaction of its own",
    )

    @model_validator(mode="after")
    def _references(self) -> AvailabilityConfig:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError("availability.channels: channel names must be unique")
        if self.locations:
            known = set(self.locations)
            for region, locs in self.regions.items():
                for loc in locs:
                    if loc not in known:
                        raise ValueError(f"availability.regions.{region}: unknown location {loc!r}")
            for i, ch in enumerate(self.channels):
                for loc in ch.locations or []:
                    if loc not in known:
                        raise ValueError(
                            f"availability.channels[{i}].locations: unknown location {loc!r}"
                        )
        return self

    def channel(self, name: str) -> ChannelRule | None:
        for c in self.channels:
            if c.name == name:
                return c
        return None

    def preference(self, region: str | None) -> list[str]:
        """Locations in preference order for a ship-to region (the default order otherwise)."""
        first = self.regions.get(region, []) if region else []
        return first + [loc for loc in self.locations if loc not in first]


__all__ = ["AvailabilityConfig", "ChannelRule", "Feed", "Precedence", "PublishRule"]
