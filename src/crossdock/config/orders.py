"""The hub file's ``orders:`` section: which rules run per channel, and what failure does.

A channel is a system name (the system whose key posts the order); ``default``
applies to every channel the section does not name. Each rule is on or off and
says what its failure does: ``reject`` the order, or ``hold`` it with the
rule's reason code (see :class:`HoldReason`). Unknown customers, SKUs, units
and foreign ship-tos are bad input, refused before any rule runs.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crossdock.model.values import NonNegativeDecimal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnFail(StrEnum):
    """What a failed rule does to the order."""

    REJECT = "reject"
    HOLD = "hold"


class HoldReason(StrEnum):
    """Why an order waits for a person (or for its cause to clear)."""

    CUSTOMER = "customer"
    CREDIT = "credit"
    SKU = "sku"
    PRICE = "price"
    STOCK = "stock"
    PO_MISSING = "po_missing"
    DUPLICATE_PO = "duplicate_po"


class PricePolicy(StrEnum):
    """A line priced outside the tolerance: take the service's price, hold, or keep it."""

    REPRICE = "reprice"
    HOLD = "hold"
    ACCEPT = "accept"


class Rule(_Strict):
    enabled: bool = True
    on_fail: OnFail = OnFail.HOLD


class CustomerRule(Rule):
    """The customer is active and not on credit hold."""

    on_fail: OnFail = OnFail.REJECT


class CreditRule(Rule):
    """Open orders not yet invoiced + this order within the customer's ``credit_limit``."""

    unlimited_without_limit: bool = Field(
        default=True, description="a customer with no credit_limit passes (false: holds)"
    )


class SkuRule(Rule):
    """Each SKU is active, sellable on the channel, and ordered in a quantity it allows.

    Sellable: the product's ``channels`` name the channel, when they name any; the
    quantity respects ``min_order_quantity`` and ``order_multiple``.
    """

    on_fail: OnFail = OnFail.REJECT


class PriceRule(_Strict):
    """Each line's price against the pricing service, within a tolerance."""

    enabled: bool = True
    tolerance: NonNegativeDecimal = Decimal("0.01")
    tolerance_kind: Literal["absolute", "percent"] = "absolute"
    policy: PricePolicy = PricePolicy.REPRICE


class StockRule(Rule):
    """Every line reserved through the availability service."""


class PoRule(Rule):
    """A customer PO when ``required``; the same PO on another open order of the customer."""

    required: bool = False


class ChannelRules(_Strict):
    customer: CustomerRule = CustomerRule()
    credit: CreditRule = CreditRule()
    sku: SkuRule = SkuRule()
    price: PriceRule = PriceRule()
    stock: StockRule = StockRule()
    po: PoRule = PoRule()


PUBLISHER = "orders"
"""The system name the order engine's canonical ``order`` records carry (their source).

It may own the ``order`` entity in ``ownership`` without being a system of the hub file."""


class OrdersConfig(_Strict):
    channels: dict[str, ChannelRules] = Field(
        default_factory=dict, description="system name (or `default`) -> its rules"
    )
    max_lines: int = Field(default=1000, ge=1, le=10_000)
    erp_route: str | None = Field(
        default=None,
        description="the route that sends accepted orders to the ERP (with receipts: true); "
        "its delivery confirms an order, its parking puts it on hold erp_rejected",
    )
    stuck_minutes: float = Field(
        default=15,
        gt=0,
        le=10_080,
        description="an accepted order not confirmed by the ERP after this long counts as stuck",
    )

    def rules(self, channel: str) -> ChannelRules:
        """The rules of ``channel``: its own, else ``default``, else every rule's defaults."""
        return self.channels.get(channel) or self.channels.get("default") or ChannelRules()


__all__ = [
    "PUBLISHER",
    "ChannelRules",
    "CreditRule",
    "CustomerRule",
    "HoldReason",
    "OnFail",
    "OrdersConfig",
    "PoRule",
    "PricePolicy",
    "PriceRule",
    "Rule",
    "SkuRule",
    "StockRule",
]
