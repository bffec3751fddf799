"""The hub file's ``pricing:`` section: precedence policy, tie-break, margin floor, rates.

Precedence is policy, not code. ``mode: order`` ranks candidates by the kind
of rule that produced them (``precedence``, first wins); kinds named in
``if_lower`` win over the kinds after them only when their price is lower
than the price that would win otherwise (``promotion`` by default: a
promotion never raises a price). ``mode: lowest`` takes the lowest eligible
price whatever its kind.

Ties are resolved deterministically, always in this order (``tie_break``
documents it; it is not configurable so two hubs never disagree): the kind's
rank, then the list's ``priority`` (higher first), then the lower price, then
the list code (ascending, by code point). In ``lowest`` mode the price comes
first, then the same order.

The margin floor protects margin; it does not change who wins. The winner is
picked as if there were no floor; then, when its price is below
``cost * (1 + margin_floor_percent / 100)``, it is raised to the floor (to the
least price its list's rounding allows at or above it), unless it is exempt:
its list says ``margin_floor_exempt: true`` or ``false``, or else its rule
kind is in ``margin_floor_exempt`` (``[contract]`` by default: a contract's
price is the agreed one). A product without a cost has no floor (the
explanation says so). So the price with a floor is
``max(price without it, floor)`` unless the winner is exempt.
Currency rates: ``1 from = rate to``; the inverse of a rate is used when only
the other direction is listed.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossdock.model.values import CurrencyCode, DecimalValue


class RuleKind(StrEnum):
    """The kind of rule a price candidate comes from."""

    OVERRIDE = "override"
    CONTRACT = "contract"
    CUSTOMER = "customer"
    PROMOTION = "promotion"
    TIER = "tier"
    BASE = "base"
    LIST_PRICE = "list_price"
    MARGIN_FLOOR = "margin_floor"


class PrecedenceMode(StrEnum):
    ORDER = "order"
    LOWEST = "lowest"


TIE_BREAK = (
    "rank of the rule kind, then list priority (higher first), then lower price, then list code"
)
"""The tie-break, as stated in every explanation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CurrencyRate(_Strict):
    """``1 source = rate target``."""

    source: CurrencyCode = Field(alias="from")
    target: CurrencyCode = Field(alias="to")
    rate: DecimalValue = Field(gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PricePublish(_Strict):
    """Whose prices the hub publishes as ``customer_price`` records, for routes to channels.

    Every customer named (by account, or by group) gets one record per
    sellable SKU of the channel, at one base unit; afterwards only the
    prices a committed change moved are written again.
    """

    channel: str | None = Field(default=None, description="the channel priced for (None: any)")
    customers: list[str] = Field(default_factory=list, description="account numbers")
    groups: list[str] = Field(default_factory=list, description="customer groups")
    all_customers: bool = Field(default=False, description="every active customer")
    currency: CurrencyCode | None = Field(default=None, description="None: the customer's")

    @model_validator(mode="after")
    def _someone(self) -> PricePublish:
        if not (self.customers or self.groups or self.all_customers):
            raise ValueError("publish: name customers, groups or all_customers: true")
        return self


class PricingConfig(_Strict):
    mode: PrecedenceMode = PrecedenceMode.ORDER
    precedence: list[RuleKind] = Field(
        default_factory=lambda: [
            RuleKind.OVERRIDE,
            RuleKind.CONTRACT,
            RuleKind.CUSTOMER,
            RuleKind.PROMOTION,
            RuleKind.TIER,
            RuleKind.BASE,
            RuleKind.LIST_PRICE,
        ],
        description="rule kinds, first wins (mode: order)",
    )
    if_lower: list[RuleKind] = Field(
        default_factory=lambda: [RuleKind.PROMOTION],
        description="kinds that win only when lower than what would win otherwise",
    )
    margin_floor_percent: DecimalValue | None = Field(
        default=Decimal(0),
        ge=0,
        description="no winner's price below cost plus this margin (percent); null: no floor",
    )
    margin_floor_exempt: list[RuleKind] = Field(
        default_factory=lambda: [RuleKind.CONTRACT],
        description="rule kinds the floor does not raise (a list's own margin_floor_exempt "
        "comes first)",
    )
    default_currency: CurrencyCode = "USD"
    rates: list[CurrencyRate] = Field(default_factory=list)
    max_lines: int = Field(default=1000, ge=1, le=100_000, description="lines per quote")
    publish: list[PricePublish] = Field(
        default_factory=list,
        description="customer prices kept as customer_price records for routes to channels",
    )

    @model_validator(mode="after")
    def _kinds(self) -> PricingConfig:
        seen = self.precedence
        dupes = sorted({k.value for k in seen if seen.count(k) > 1})
        if dupes:
            raise ValueError(f"precedence names a kind twice: {', '.join(dupes)}")
        if RuleKind.MARGIN_FLOOR in seen:
            raise ValueError("precedence: margin_floor is not a rule kind to rank")
        if RuleKind.MARGIN_FLOOR in self.margin_floor_exempt:
            raise ValueError("margin_floor_exempt: margin_floor is not a kind of price rule")
        pairs = [(r.source, r.target) for r in self.rates]
        if len(set(pairs)) != len(pairs):
            raise ValueError("rates: a currency pair is listed twice")
        return self

    def rank(self, kind: RuleKind) -> int:
        """Position of ``kind`` in the precedence (kinds not listed rank last)."""
        try:
            return self.precedence.index(kind)
        except ValueError:
            return len(self.precedence)

    def rate(self, source: str, target: str) -> Decimal | None:
        """How many ``target`` one ``source`` buys; None when the table has no way."""
        if source == target:
            return Decimal(1)
        for r in self.rates:
            if r.source == source and r.target == target:
                return r.rate
        for r in self.rates:
            if r.source == target and r.target == source:
                return Decimal(1) / r.rate
        return None


__all__ = [
    "TIE_BREAK",
    "CurrencyRate",
    "PrecedenceMode",
    "PricePublish",
    "PricingConfig",
    "RuleKind",
]
