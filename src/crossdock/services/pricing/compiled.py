"""Compiled pricing data: price lists, entries, products and customers as the resolver reads them.

Canonical records are validated once, here, and turned into slotted objects
whose hot fields are ready to use: breaks as sorted tuples of minimum
quantities in the item's *base* unit, break values made monotone (a higher
break never raises the price: each break holds the best value of the breaks
it reaches), fixed prices pre-rounded, unit factors looked up once. The
resolver then does little more than a bisect and, when units or currencies
differ, one multiplication and a rounding.

Validity windows are instants here: a date is resolved in the list's time
zone (:func:`crossdock.model.price_list.starts_at`); entries that take
turns over time are :mod:`.turns`.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from crossdock.config.pricing import RuleKind
from crossdock.model.customer import Customer, CustomerStatus, SiteRole
from crossdock.model.price_list import (
    PriceEntry,
    PriceList,
    PriceListKind,
    PriceMethod,
    ends_at,
    starts_at,
)
from crossdock.model.product import Product, ProductStatus
from crossdock.services.pricing.rounding import Rounder

_PLACES_2 = Rounder(None)
"""The rounding of a list that states none (shared: it holds no state)."""
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
        "edges",
        "floor_exempt",
        "frozen",
        "grid",
        "groups",
        "id",
        "kind",
        "open",
        "places",
        "priority",
        "quantum",
        "regions",
        "rounder",
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
        self.tz = ZoneInfo(plist.timezone)
        self.valid_from = starts_at(plist.valid_from, self.tz)
        self.valid_to = ends_at(plist.valid_to, self.tz)
        edges: set[datetime] = set()
        for e in plist.entries:
            if e.valid_from is not None or e.valid_to is not None:
                for x in (starts_at(e.valid_from, self.tz), ends_at(e.valid_to, self.tz)):
                    if x is not None:
                        edges.add(x)
        self.edges = tuple(sorted(edges))
        """Where an entry's window starts or ends: between two, every entry is in or out."""
        self.rounder = _PLACES_2 if plist.rounding is None else Rounder(plist.rounding)
        self.grid = self.rounder.step is not None
        """Rounding to an increment or an ending (else decimal places: one quantize)."""
        self.places = self.rounder.places
        self.quantum = self.rounder.quantum
        self.rounding = self.rounder.rounding
        self.floor_exempt = plist.margin_floor_exempt
        """The list's own word on the margin floor (None: its kind's, per the hub's policy)."""
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
        if self.grid:
            return self.rounder.round(value)
        return value.quantize(self.quantum, rounding=self.rounding)

    def slot(self, at: datetime) -> int:
        """Which interval between this list's entry edges ``at`` falls in."""
        return bisect_right(self.edges, at)


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

    def __init__(
        self,
        plist: PList,
        entry: PriceEntry,
        unit: str,
        unit_factor: Decimal,
        break_group: str | None = None,
    ) -> None:
        self.plist = plist
        self.method = entry.method
        self.base_list = entry.base_list
        self.break_group = entry.break_group if entry.break_group is not None else break_group
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
        "break_group",
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
        self.break_group = product.break_group
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
    return Entry(plist, entry, unit, factor, product.break_group)


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
