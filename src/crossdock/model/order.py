"""Order: a customer's order from any channel, its lines and its place in the lifecycle.

The lifecycle is an enum with the transitions a distributor allows;
:func:`can_transition` answers whether a status may follow another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
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


S = OrderStatus
ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.CONFIRMED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.SUBMITTED, S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.INVOICED}),
    S.SHIPPED: frozenset({S.INVOICED, S.CLOSED}),
    S.INVOICED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}


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
    ship_from: str | None = None
    status: str | None = None


class Totals(CanonicalModel):
    subtotal: DecimalValue | None = None
    tax: DecimalValue | None = None
    freight: DecimalValue | None = None
    total: DecimalValue | None = None


class Order(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.ORDER
    id_prefix: ClassVar[str] = "ord"

    order_number: str = Field(min_length=1, max_length=64)
    channel: str | None = None
    customer_account: str | None = Field(default=None, description="the sold-to account number")
    ship_to: str | None = Field(default=None, description="a site code of the customer")
    bill_to: str | None = Field(default=None, description="a site code of the customer")
    customer_po: str | None = None
    currency: CurrencyCode | None = None
    order_date: datetime | None = None
    requested_date: date | None = None
    status: OrderStatus = OrderStatus.SUBMITTED
    lines: list[OrderLine] = Field(default_factory=list)
    totals: Totals | None = None
    notes: str | None = None

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[OrderLine]) -> list[OrderLine]:
        nums = [ln.line_number for ln in lines]
        if len(set(nums)) != len(nums):
            raise ValueError("line numbers must be unique")
        return lines

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        num = data.get("order_number")
        return [("order_number", num.strip())] if isinstance(num, str) and num.strip() else []


__all__ = [
    "ALLOWED_TRANSITIONS",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Totals",
    "can_transition",
]
