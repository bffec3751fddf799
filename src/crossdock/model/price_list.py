"""Price list: who it applies to, when, in which currency, and the price of each item or category.

A list is a base list, a customer group or tier list, a contract (per
customer or per ship-to, optionally with a price lock: ``locked_at``), a
promotion or a channel override; ``priority``
and the hub file's precedence policy (the pricing service) decide between
lists that both apply. Each entry prices one SKU or one category, in a unit,
with quantity breaks; a break holds a fixed price, a percentage off another
list, or a markup on cost.

Validity: the list, and each entry on its own, may carry ``valid_from`` and
``valid_to``. A date alone is a day in the list's ``timezone``: ``valid_from:
2027-01-01`` starts at 00:00 that day there (daylight saving included), and
``valid_to: 2027-01-31`` runs *through* that day, to 00:00 of the next one. A
date and time must carry its UTC offset and keeps its meaning; as
``valid_to`` it is the first instant no longer valid. Two entries for the
same SKU (or category) may not be valid at the same instant when either has a
window of its own (a price that changes on the 15th is two entries, one
ending and one starting then).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import (
    CurrencyCode,
    DecimalValue,
    NonNegativeDecimal,
    PositiveDecimal,
    UnitCode,
)


def _no_naive_time(value: Any) -> Any:
    """A date and time without a UTC offset is refused (it would pass as a date at midnight)."""
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError(
            "a date and time needs a UTC offset; a date alone (2027-01-01) means "
            "midnight in the list's time zone"
        )
    if isinstance(value, str) and len(value.strip()) > 10:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # pydantic says what is wrong with it
        if parsed.utcoffset() is None:
            raise ValueError(
                f"{value!r} has no UTC offset; write one (2027-01-01T08:00:00+01:00), "
                "or a date alone for midnight in the list's time zone"
            )
    return value


Validity = Annotated[AwareDatetime | date, BeforeValidator(_no_naive_time)]
"""An instant with its UTC offset, or a calendar day in the list's time zone."""


def starts_at(value: datetime | date | None, tz: tzinfo) -> datetime | None:
    """The first valid instant: a day starts at its midnight in ``tz``."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=tz)


def ends_at(value: datetime | date | None, tz: tzinfo) -> datetime | None:
    """The first instant no longer valid: a day is valid through its end, in ``tz``."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1), time(0), tzinfo=tz)


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
    """How a list rounds its unit prices: to decimal places, to an increment, or to an ending.

    ``places`` alone: to that many decimals. ``increment`` (``0.05``,
    ``0.10``): to a multiple of it. ``ending`` (``0.99``): to a price that
    ends so, one ``increment`` (default 1) apart: 4.99, 5.99, ... (with
    ``increment: 10`` and ``ending: 9.99``: 9.99, 19.99, ...); no price
    rounds below the ending itself. ``mode`` says which way: ``up``,
    ``down``, ``half_up`` (the nearest, halves up) or ``half_even``.
    Extended prices are rounded to ``places``, which must hold the
    increment's and the ending's decimals.
    """

    places: int = Field(default=2, ge=0, le=6)
    mode: RoundingMode = RoundingMode.HALF_UP
    increment: PositiveDecimal | None = Field(
        default=None, description="unit prices are multiples of this (with ending: their spacing)"
    )
    ending: NonNegativeDecimal | None = Field(
        default=None, description="unit prices end so (0.99: 4.99, 5.99, ...)"
    )

    @model_validator(mode="after")
    def _grid(self) -> Rounding:
        step = self.increment if self.increment is not None else Decimal(1)
        if self.ending is not None and self.ending >= step:
            raise ValueError(f"ending {self.ending} must be below the increment ({step})")
        for name, value in (("increment", self.increment), ("ending", self.ending)):
            if value is None:
                continue
            exponent = value.normalize().as_tuple().exponent
            decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if decimals > self.places:
                raise ValueError(
                    f"{name} {value} has {decimals} decimal places; "
                    f"set places to {decimals} or more"
                )
        return self


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
    break_group: str | None = Field(
        default=None,
        description="lines sharing it pool quantity (None: the product's break group, if any)",
    )
    method: PriceMethod = PriceMethod.FIXED
    breaks: list[PriceBreak] = Field(min_length=1)
    valid_from: Validity | None = Field(
        default=None, description="this entry's own start, within the list's window"
    )
    valid_to: Validity | None = Field(
        default=None, description="exclusive instant, or a day it is valid through"
    )

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
    references: ClassVar[dict[str, tuple[EntityType, str]]] = {
        "scope.customers": (EntityType.CUSTOMER, "account_number")
    }
    site_references: ClassVar[dict[str, str]] = {"scope.ship_tos": "scope.customers"}

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    kind: PriceListKind | None = None
    currency: CurrencyCode | None = None
    scope: Scope | None = None
    # before the dates: their validators read it
    timezone: str = Field(default="UTC", description="IANA zone of dates and day-based rules")
    valid_from: Validity | None = Field(
        default=None, description="an instant, or a day from its midnight in `timezone`"
    )
    valid_to: Validity | None = Field(
        default=None,
        description="exclusive instant, or a day the list is valid through (in `timezone`)",
    )
    priority: int | None = Field(default=None, description="higher wins; None counts as 0")
    rounding: Rounding | None = None
    margin_floor_exempt: bool | None = Field(
        default=None,
        description="true: the margin floor never raises this list's prices; false: it does; "
        "null: the hub's pricing.margin_floor_exempt kinds decide (contracts, by default)",
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
    def _window(cls, value: datetime | date | None, info: ValidationInfo) -> datetime | date | None:
        zone = info.data.get("timezone")  # absent when it failed: that error is the one to fix
        if zone is not None:
            _check_window("", info.data.get("valid_from"), value, ZoneInfo(zone))
        return value

    @field_validator("entries")
    @classmethod
    def _entry_windows(cls, entries: list[PriceEntry], info: ValidationInfo) -> list[PriceEntry]:
        zone = info.data.get("timezone")
        if zone is None or all(e.valid_from is None and e.valid_to is None for e in entries):
            return entries  # undated entries never overlap: the later one prices
        tz = ZoneInfo(zone)
        spans: dict[tuple[str, str], list[tuple[int, datetime | None, datetime | None]]] = {}
        for i, e in enumerate(entries):
            _check_window(f"entries.{i}.", e.valid_from, e.valid_to, tz)
            target = ("sku", e.sku) if e.sku is not None else ("category", e.category or "")
            start, end = starts_at(e.valid_from, tz), ends_at(e.valid_to, tz)
            dated = start is not None or end is not None
            for j, other_start, other_end in spans.get(target, []):
                if not dated and other_start is None and other_end is None:
                    continue  # two undated entries: the later one prices, as it always has
                if (start is None or other_end is None or start < other_end) and (
                    end is None or other_start is None or other_start < end
                ):
                    raise ValueError(
                        f"entries.{j} and entries.{i} both price {target[0]} {target[1]!r} "
                        "at the same time: give them validity windows that do not overlap"
                    )
            spans.setdefault(target, []).append((i, start, end))
        return entries

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        code = data.get("code")
        if isinstance(code, str) and code.strip():
            return [("code", code.strip())]
        return []


def _check_window(
    where: str, start: datetime | date | None, end: datetime | date | None, tz: tzinfo
) -> None:
    first, after = starts_at(start, tz), ends_at(end, tz)
    if first is not None and after is not None and after <= first:
        assert end is not None
        raise ValueError(f"{where}valid_to ({end.isoformat()}) must be after {where}valid_from")


__all__ = [
    "PriceBreak",
    "PriceEntry",
    "PriceList",
    "PriceListKind",
    "PriceMethod",
    "Rounding",
    "RoundingMode",
    "Scope",
    "Validity",
    "ends_at",
    "starts_at",
]
