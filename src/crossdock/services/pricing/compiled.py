"""Compiled pricing data: price lists, entries, products and customers as the resolver reads them.

Canonical records are validated once, here, and turned into slotted objects
whose hot fields are ready to use: breaks as sorted tuples of minimum
quantities in the item's *base* unit, break values made monotone (a higher
break never raises the price: each break holds the best value of the breaks
it reaches), fixed prices pre-rounded, unit factors looked up once. The
resolver then does little more than a bisect and, when units or currencies
differ, one multiplication and a rounding.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from zoneinfo import ZoneInfo

from crossdock.config.pricing import RuleKind
from crossdock.model.customer import Customer, CustomerStatus, SiteRole
from crossdock.model.price_list import (
    PriceEntry,
    PriceList,
    PriceListKind,
    PriceMethod,
    RoundingMode,
)
from crossdock.model.product import Product, ProductStatus

_ROUNDING = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.UP: ROUND_UP,
    RoundingMode.DOWN: ROUND_DOWN,
}
HUNDRED = Decimal(100)
ONE = Decimal(1)
CEILING = ROUND_CEILING
FastTable = tuple[tuple[Decimal, ...], tuple["Decimal | None", ...], tuple[int, ...]]


def rule_kind(plist: PriceList) -> RuleKind:
    """The rule kind a list's candidates carry (what the precedence policy ranks)."""
    kind = plist.kind
    if kind is PriceListKind.CONTRACT:
        return RuleKind.CONTRACT
    if kind is PriceListKind.PROMOTION:
        return RuleKind.PROMOTION
    if kind is PriceListKind.OVERRIDE:
        return RuleKind.OVERRIDE
    if kind is PriceListKind.TIER:
        return RuleKind.TIER
    scope = plist.scope
    if scope is not None and (scope.customers or scope.ship_tos):
        return RuleKind.CUSTOMER
    if scope is not None and (scope.groups or scope.tiers):
        return RuleKind.TIER
    return RuleKind.BASE


class PList:
    """One price list, compiled."""

    __slots__ = (
        "channels",
        "code",
        "currency",
        "customers",
        "floor_exempt",
        "frozen",
        "groups",
        "id",
        "kind",
        "open",
        "places",
        "priority",
        "quantum",
        "regions",
        "rounding",
        "ship_tos",
        "tiers",
        "tz",
        "valid_from",
        "valid_to",
        "version",
    )

    def __init__(self, plist: PriceList, record_id: str, version: int, currency: str) -> None:
        scope = plist.scope
        self.id = record_id
        self.version = version
        self.code = plist.code
        self.kind = rule_kind(plist)
        self.priority = plist.priority or 0
        self.currency = plist.currency or currency
        self.valid_from: datetime | None = plist.valid_from
        self.valid_to: datetime | None = plist.valid_to
        self.tz = ZoneInfo(plist.timezone)
        rounding = plist.rounding
        self.places = rounding.places if rounding else 2
        self.quantum = ONE.scaleb(-self.places)
        self.rounding = _ROUNDING[rounding.mode] if rounding else ROUND_HALF_UP
        self.floor_exempt = bool(plist.margin_floor_exempt)
        self.frozen = False
        """A copy frozen behind a price lock: referable by code, never a candidate."""
        self.open = False
        """Eligible for every customer, site and channel (set by the index, which knows
        whether the list is frozen): no scope at all."""
        self.customers = frozenset(scope.customers) if scope else frozenset()
        self.groups = frozenset(scope.groups) if scope else frozenset()
        self.tiers = frozenset(scope.tiers) if scope else frozenset()
        self.ship_tos = frozenset(scope.ship_tos) if scope else frozenset()
        self.regions = frozenset(scope.regions) if scope else frozenset()
        self.channels = frozenset(scope.channels) if scope else frozenset()

    @property
    def general(self) -> bool:
        """No customer, group or tier in the scope: any customer may be eligible."""
        return not (self.customers or self.groups or self.tiers)

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.rounding)


class Entry:
    """One list's price for one SKU, compiled against that SKU's units."""

    __slots__ = (
        "base_list",
        "break_group",
        "category",
        "fast",
        "method",
        "mins",
        "own",
        "plist",
        "unit",
        "unit_factor",
        "values",
        "values_q",
    )

    def __init__(self, plist: PList, entry: PriceEntry, unit: str, unit_factor: Decimal) -> None:
        self.plist = plist
        self.method = entry.method
        self.base_list = entry.base_list
        self.break_group = entry.break_group
        self.category = entry.category is not None
        self.unit = unit
        self.unit_factor = unit_factor
        self.mins = tuple(b.min_quantity * unit_factor for b in entry.breaks)
        self.own = tuple(range(len(self.mins)))
        """Each break's own index (what a plan's fixed-price candidate reports)."""
        raw = [b.value for b in entry.breaks]
        best: list[Decimal] = []
        for v in raw:  # a higher break never makes the price worse
            if not best:
                best.append(v)
            elif entry.method is PriceMethod.PERCENT_OFF:
                best.append(max(best[-1], v))
            else:
                best.append(min(best[-1], v))
        self.values = tuple(best)
        self.values_q = tuple(plist.round(v) for v in best)
        self.fast: dict[Decimal, FastTable | None] = {}
        """Per request unit factor: (breaks, rounded prices, own break index) in the list's
        currency, when the price cannot change without this entry being rebuilt (no dated
        list in its chain)."""


class ProductInfo:
    """What pricing needs of a product."""

    __slots__ = (
        "base_uom",
        "category",
        "channels",
        "cost",
        "currency",
        "factors",
        "floor_memo",
        "id",
        "list_price",
        "sellable",
        "sku",
        "version",
    )

    def __init__(self, product: Product, record_id: str, version: int, currency: str) -> None:
        self.id = record_id
        self.version = version
        self.sku = product.sku
        self.base_uom = product.base_uom
        self.factors: dict[str, Decimal] = {u.code: u.factor for u in product.units}
        self.factors[product.base_uom] = ONE
        self.cost = product.cost
        self.list_price = product.list_price
        self.currency = product.currency or currency
        self.category = product.category
        self.channels = frozenset(product.channels)
        self.sellable = product.status in (None, ProductStatus.ACTIVE)
        self.floor_memo: tuple[object, str, Decimal | None] | None = None
        """(the engine's floor factor, currency, floor per base unit): the engine's memo."""


class CustomerInfo:
    """What pricing needs of a customer: identity, group, tier, assigned lists, sites."""

    __slots__ = (
        "account",
        "active",
        "assigned",
        "currency",
        "group",
        "id",
        "regions",
        "ship_tos",
        "tier",
        "version",
    )

    def __init__(self, customer: Customer, record_id: str, version: int) -> None:
        self.id = record_id
        self.version = version
        self.account = customer.account_number or record_id
        self.group = customer.customer_group
        self.tier = customer.tier
        self.currency = customer.currency
        self.assigned = frozenset(customer.price_lists)
        self.regions: dict[str, str | None] = {s.code: s.region for s in customer.sites}
        self.ship_tos = frozenset(s.code for s in customer.sites_with(SiteRole.SHIP_TO))
        self.active = customer.status not in (CustomerStatus.BLOCKED, CustomerStatus.INACTIVE)


def compile_entry(plist: PList, entry: PriceEntry, product: ProductInfo) -> Entry | None:
    unit = entry.unit or product.base_uom
    factor = product.factors.get(unit)
    if factor is None:
        return None
    return Entry(plist, entry, unit, factor)


__all__ = [
    "CEILING",
    "HUNDRED",
    "ONE",
    "CustomerInfo",
    "Entry",
    "PList",
    "ProductInfo",
    "compile_entry",
    "rule_kind",
]
