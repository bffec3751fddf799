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
    BILL_TO = "bill_to"


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
    """Every line reserved through the availability service.

    With ``allow_backorder`` a line that cannot be covered now keeps what could
    be reserved and is promised for the date the inbound receipts cover the rest
    (no stock hold); a line no receipt covers still fails the rule.
    ``allow_split`` overrides the availability section's split rule for the
    channel's orders (absent: that rule).
    """

    allow_backorder: bool = False
    allow_split: bool | None = None


class BillToRule(Rule):
    """The order's bill-to (when it names one) is an active bill-to site of the customer.

    ``reject`` refuses the order as bad input (a problem naming ``bill_to``, nothing
    written); ``hold`` takes it and holds it with ``bill_to``.
    """

    on_fail: OnFail = OnFail.REJECT


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
    bill_to: BillToRule = BillToRule()


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
        description="an accepted order not confirmed by the ERP after this long counts as stuck "
        "(without an erp_route none is: nothing would confirm it)",
    )
    recheck_seconds: float = Field(
        default=30.0,
        ge=0,
        description="how often held orders (credit, stock) are checked for a cleared cause; "
        "0: never (a person releases them)",
    )

    def rules(self, channel: str) -> ChannelRules:
        """The rules of ``channel``: its own, else ``default``, else every rule's defaults."""
        return self.channels.get(channel) or self.channels.get("default") or ChannelRules()


__all__ = [
    "PUBLISHER",
    "BillToRule",
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
