"""Price list: who it applies to, when, in which currency, and the price of each item or category.

A list is a base list, a customer group or tier list, a contract (per
customer or per ship-to), a promotion or a channel override; ``priority``
and the hub file's precedence policy (the pricing service) decide between
lists that both apply. Each entry prices one SKU or one category, in a unit,
with quantity breaks; a break holds a fixed price, a percentage off another
list, or a markup on cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import CurrencyCode, DecimalValue, PositiveDecimal, UnitCode


class PriceListKind(StrEnum):
    BASE = "base"
    TIER = "tier"
    CONTRACT = "contract"
    PROMOTION = "promotion"
    OVERRIDE = "override"


class PriceMethod(StrEnum):
    FIXED = "fixed"
    PERCENT_OFF = "percent_off"
    MARKUP_ON_COST = "markup_on_cost"


class RoundingMode(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"
    DOWN = "down"


class Rounding(CanonicalModel):
    places: int = Field(default=2, ge=0, le=6)
    mode: RoundingMode = RoundingMode.HALF_UP


class Scope(CanonicalModel):
    """Empty lists mean "any"; every non-empty list must match."""

    customers: list[str] = Field(default_factory=list, description="account numbers")
    groups: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    ship_tos: list[str] = Field(default_factory=list, description="site codes")
    regions: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)


class PriceBreak(CanonicalModel):
    min_quantity: PositiveDecimal = Field(description="in the entry's unit")
    value: DecimalValue = Field(description="price, percent off, or markup percent")


class PriceEntry(CanonicalModel):
    sku: str | None = None
    category: str | None = None
    unit: UnitCode | None = None
    method: PriceMethod = PriceMethod.FIXED
    base_list: str | None = Field(default=None, description="for percent_off: the list's code")
    break_group: str | None = Field(default=None, description="lines sharing it pool quantity")
    breaks: list[PriceBreak] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PriceEntry:
        if (self.sku is None) == (self.category is None):
            raise ValueError("an entry prices exactly one of sku or category")
        qty = [b.min_quantity for b in self.breaks]
        if qty != sorted(qty) or len(set(qty)) != len(qty):
            raise ValueError("breaks must be in ascending min_quantity order, without repeats")
        for b in self.breaks:
            if self.method is PriceMethod.PERCENT_OFF and not 0 <= b.value <= 100:
                raise ValueError(f"percent_off must be between 0 and 100, not {b.value}")
            if self.method is PriceMethod.FIXED and b.value < 0:
                raise ValueError(f"a fixed price cannot be negative ({b.value})")
        if self.method is PriceMethod.PERCENT_OFF and not self.base_list:
            raise ValueError("percent_off needs base_list: the code of the list it discounts")
        return self


class PriceList(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.PRICE_LIST
    id_prefix: ClassVar[str] = "prl"

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    kind: PriceListKind = PriceListKind.BASE
    currency: CurrencyCode | None = None
    scope: Scope | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    timezone: str = "UTC"
    priority: int = 0
    rounding: Rounding | None = None
    margin_floor_exempt: bool = Field(default=False, description="contracts may go below floor")
    entries: list[PriceEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @model_validator(mode="after")
    def _window(self) -> PriceList:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        code = data.get("code")
        if isinstance(code, str) and code.strip():
            return [("code", code.strip())]
        return []


__all__ = [
    "PriceBreak",
    "PriceEntry",
    "PriceList",
    "PriceListKind",
    "PriceMethod",
    "Rounding",
    "RoundingMode",
    "Scope",
]
