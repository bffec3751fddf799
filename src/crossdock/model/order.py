"""Order: a customer's order from any channel, its lines and its place in the lifecycle.

The lifecycle is an enum with the transitions a distributor allows;
:func:`can_transition` answers whether a status may follow another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import Field, field_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import (
    CurrencyCode,
    DecimalValue,
    NonNegativeDecimal,
    PositiveDecimal,
    UnitCode,
)


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ON_HOLD = "on_hold"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class OrderLineStatus(StrEnum):
    OPEN = "open"
    BACKORDERED = "backordered"
    ALLOCATED = "allocated"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


_S = OrderStatus
ALLOWED_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        _S.DRAFT: frozenset({_S.SUBMITTED, _S.CANCELLED}),
        # Goods that left say the order was taken: a hub with no ERP never confirms it,
        # and a WMS can ship before the ERP's confirmation is known.
        _S.SUBMITTED: frozenset(
            {_S.CONFIRMED, _S.ON_HOLD, _S.CANCELLED, _S.PARTIALLY_SHIPPED, _S.SHIPPED}
        ),
        _S.ON_HOLD: frozenset({_S.SUBMITTED, _S.CONFIRMED, _S.CANCELLED}),
        _S.CONFIRMED: frozenset({_S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.ON_HOLD, _S.CANCELLED}),
        _S.PARTIALLY_SHIPPED: frozenset({_S.SHIPPED, _S.INVOICED}),
        _S.SHIPPED: frozenset({_S.INVOICED, _S.CLOSED}),
        _S.INVOICED: frozenset({_S.CLOSED}),
        _S.CLOSED: frozenset(),
        _S.CANCELLED: frozenset(),
    }
)
"""Status -> the statuses that may follow it (read-only)."""


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    """Whether ``new`` may follow ``current`` (staying put is always allowed)."""
    return current == new or new in ALLOWED_TRANSITIONS[current]


class OrderLine(CanonicalModel):
    line_number: int = Field(ge=1)
    sku: str = Field(min_length=1)
    quantity: PositiveDecimal
    unit: UnitCode | None = None
    unit_price: NonNegativeDecimal | None = None
    extended_price: DecimalValue | None = None
    requested_date: date | None = None
    ship_from: str | None = Field(default=None, description="location code")
    status: OrderLineStatus | None = None


class ShippedLine(CanonicalModel):
    """How much of one order line a shipment carried, in the order line's unit."""

    line_number: int = Field(ge=1)
    sku: str = Field(min_length=1)
    quantity: PositiveDecimal


class OrderShipment(CanonicalModel):
    """A shipment that left for the order: what a channel shows its buyer."""

    shipment_number: str = Field(min_length=1)
    carrier: str | None = None
    service: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    lines: list[ShippedLine] = Field(
        default_factory=list, description="the order lines it carried (a channel fulfils them)"
    )


class Totals(CanonicalModel):
    """Document totals as the sending system states them (order or invoice)."""

    subtotal: DecimalValue | None = None
    tax: DecimalValue | None = None
    freight: DecimalValue | None = None
    total: DecimalValue | None = None


class Order(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.ORDER
    id_prefix: ClassVar[str] = "ord"
    identity_fields: ClassVar[tuple[str, ...]] = ("order_number",)

    order_number: str = Field(min_length=1, max_length=64)
    channel: str | None = None
    customer_account: str | None = Field(default=None, description="the customer's account_number")
    sold_to: str | None = Field(default=None, description="a site code of the customer")
    ship_to: str | None = Field(default=None, description="a site code of the customer")
    bill_to: str | None = Field(default=None, description="a site code of the customer")
    customer_po: str | None = None
    currency: CurrencyCode | None = None
    order_date: datetime | None = None
    requested_date: date | None = None
    status: OrderStatus | None = None
    erp_number: str | None = Field(default=None, description="the ERP's number for the order")
    lines: list[OrderLine] = Field(default_factory=list)
    shipments: list[OrderShipment] = Field(
        default_factory=list,
        description="shipments that left for it, with carrier and tracking (the hub's orders)",
    )
    totals: Totals | None = None
    notes: str | None = None

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[OrderLine]) -> list[OrderLine]:
        nums = [ln.line_number for ln in lines]
        dupes = sorted({n for n in nums if nums.count(n) > 1})
        if dupes:
            raise ValueError(f"line numbers must be unique; repeated: {dupes}")
        return lines

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        num = data.get("order_number")
        return [("order_number", num.strip())] if isinstance(num, str) and num.strip() else []

    @classmethod
    def transition_problem(
        cls, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """An order's status moves only along :data:`ALLOWED_TRANSITIONS`."""
        old, new = before.get("status"), after.get("status")
        if old is None or new is None or old == new:
            return None
        try:
            current, wanted = OrderStatus(old), OrderStatus(new)
        except ValueError:
            return None  # not a status at all: validation names it
        if can_transition(current, wanted):
            return None
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[current]) or ["none: it is final"]
        return (
            "status",
            f"order {before.get('order_number') or after.get('order_number')} is {old}; "
            f"{new} cannot follow it (next may be: {', '.join(allowed)})",
        )


__all__ = [
    "ALLOWED_TRANSITIONS",
    "Order",
    "OrderLine",
    "OrderLineStatus",
    "OrderShipment",
    "OrderStatus",
    "ShippedLine",
    "Totals",
    "can_transition",
]
