"""Price list: who it applies to, when, in which currency, and the price of each item or category.

A list is a base list, a customer group or tier list, a contract (per
customer or per ship-to, optionally with a price lock: ``locked_at``), a
promotion or a channel override; ``priority``
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

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

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
    """From ``min_quantity`` up: a price, a percent off, or a markup percent (per the method)."""

    min_quantity: PositiveDecimal = Field(description="in the entry's unit")
    value: DecimalValue = Field(description="price, percent off, or markup percent on cost")


class PriceEntry(CanonicalModel):
    """The price of one SKU or one category, in one unit, by quantity break."""

    sku: str | None = None
    category: str | None = None
    unit: UnitCode | None = Field(default=None, description="None: the item's base unit")
    base_list: str | None = Field(default=None, description="for percent_off: the list's code")
    break_group: str | None = Field(default=None, description="lines sharing it pool quantity")
    method: PriceMethod = PriceMethod.FIXED
    breaks: list[PriceBreak] = Field(min_length=1)

    @field_validator("method")
    @classmethod
    def _method_has_its_inputs(cls, method: PriceMethod, info: ValidationInfo) -> PriceMethod:
        if method is PriceMethod.PERCENT_OFF and not info.data.get("base_list"):
            raise ValueError("percent_off needs base_list: the code of the list it discounts")
        return method

    @field_validator("breaks")
    @classmethod
    def _check_breaks(cls, breaks: list[PriceBreak], info: ValidationInfo) -> list[PriceBreak]:
        qty = [b.min_quantity for b in breaks]
        if qty != sorted(qty) or len(set(qty)) != len(qty):
            raise ValueError("breaks must be in ascending min_quantity order, without repeats")
        method = info.data.get("method")  # absent when method itself failed
        for b in breaks:
            if method is PriceMethod.PERCENT_OFF and not 0 <= b.value <= 100:
                raise ValueError(f"percent_off must be between 0 and 100, not {b.value}")
            if method is PriceMethod.FIXED and b.value < 0:
                raise ValueError(f"a fixed price cannot be negative ({b.value})")
        return breaks

    @model_validator(mode="after")
    def _one_target(self) -> PriceEntry:
        if (self.sku is None) == (self.category is None):
            raise ValueError("an entry prices exactly one of sku or category")
        return self


class PriceList(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.PRICE_LIST
    id_prefix: ClassVar[str] = "prl"
    identity_fields: ClassVar[tuple[str, ...]] = ("code",)

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    kind: PriceListKind | None = None
    currency: CurrencyCode | None = None
    scope: Scope | None = None
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = Field(default=None, description="exclusive")
    timezone: str = Field(default="UTC", description="IANA zone for day-based rules")
    priority: int | None = Field(default=None, description="higher wins; None counts as 0")
    rounding: Rounding | None = None
    margin_floor_exempt: bool | None = Field(
        default=None, description="contracts may go below the margin floor"
    )
    locked_at: AwareDatetime | None = Field(
        default=None,
        description="price lock: the lists this one refers to (percent_off base_list) are read "
        "as they stood at this instant, so a later rise of a base list does not raise this "
        "list's prices",
    )
    entries: list[PriceEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @field_validator("valid_to")
    @classmethod
    def _window(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value <= start:
            raise ValueError(f"valid_to ({value.isoformat()}) must be after valid_from")
        return value

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
