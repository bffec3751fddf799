"""Orders as the store keeps them: the state enum, rows, and what a decision writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class OrderState(StrEnum):
    """Where an order is: decided by intake, then confirmed (the ERP has it), shipped, invoiced."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"


AMENDABLE = frozenset(
    {OrderState.RECEIVED, OrderState.ACCEPTED, OrderState.ON_HOLD, OrderState.CONFIRMED}
)
"""States in which a new body for the same order number amends the order (a confirmed
one only when the caller's ``may_amend`` agrees: the ERP still takes changes)."""
EXPOSED = frozenset(
    {
        OrderState.ACCEPTED,
        OrderState.CONFIRMED,
        OrderState.PARTIALLY_SHIPPED,
        OrderState.SHIPPED,
    }
)
"""States whose totals count against the customer's credit (open, not yet invoiced)."""


MayAmend = Callable[["OrderRow"], bool]
"""Asked, with the order locked, whether a new body may amend it."""


class Opened(StrEnum):
    """What intake found for a (channel, order number)."""

    CREATED = "created"
    SAME = "same"
    AMENDED = "amended"
    CLOSED = "closed"
    REFUSED = "refused"
    """A new body the caller's ``may_amend`` turned down; nothing written."""


@dataclass(frozen=True, slots=True)
class LineRow:
    line_number: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    unit_price: Decimal | None = None
    channel_price: Decimal | None = None
    price_note: str | None = None
    backordered: Decimal = Decimal(0)
    """Base units not reserved now but promised for ``promise_date`` (a backorder)."""
    promise_date: date | None = None


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    channel: str
    order_number: str
    customer_id: str
    customer_account: str
    ship_to: str
    customer_po: str | None
    currency: str | None
    status: OrderState
    holds: list[str]
    rules: list[dict[str, Any]]
    total: Decimal
    body_hash: str
    revision: int
    attempt: int
    created_at: datetime
    updated_at: datetime
    canonical_id: str | None = None
    """The canonical ``order`` record the engine published it as."""
    published_at: datetime | None = None
    """The ``updated_at`` the engine last published (equal: nothing new to publish)."""
    erp_id: str | None = None
    erp_number: str | None = None
    problem: str | None = None
    """A step that failed and waits for a person or a retry (visible on the order)."""
    bill_to: str | None = None
    recheck: dict[str, Any] | None = None
    """What the hold sweep last measured for this hold (None: not since the decision)."""


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order as intake read it, before any rule ran."""

    channel: str
    order_number: str
    customer_id: str
    customer_account: str
    ship_to: str
    customer_po: str | None
    currency: str | None
    body_hash: str
    lines: Sequence[LineRow]
    bill_to: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepRow:
    id: int
    order_id: str
    at: datetime
    kind: str
    outcome: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReservationLink:
    reservation_id: str
    order_id: str
    line_number: int
    sku: str
    location: str
    quantity: Decimal
    released: bool = False


Promises = dict[int, tuple[Decimal, date | None]]
"""Per line number: base units backordered (0: none) and the date they are promised for."""


@dataclass(slots=True)
class Decision:
    """What a decision writes onto an order (in the transaction that locks the customer)."""

    status: OrderState
    holds: list[str]
    rules: list[dict[str, Any]]
    total: Decimal
    prices: dict[int, tuple[Decimal | None, str | None]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    audit: tuple[str, str, dict[str, Any]] | None = None
    """(actor, action, detail) for the audit log, when a person decided."""


KEEP: Any = object()
"""For :attr:`Move.problem`: leave the order's problem as it is."""


@dataclass(frozen=True, slots=True)
class Move:
    """An engine step's write onto an order: its new status and what comes with it."""

    status: OrderState
    steps: Sequence[Step] = ()
    holds: list[str] | None = None
    erp_id: str | None = None
    erp_number: str | None = None
    problem: str | None = KEEP
    audit: tuple[str, str, dict[str, Any]] | None = None


Decide = Callable[[OrderRow, Decimal], Decision]
"""Given the order as locked and the customer's exposure from other orders: the decision."""


__all__ = [
    "AMENDABLE",
    "EXPOSED",
    "KEEP",
    "Decide",
    "Decision",
    "LineRow",
    "Move",
    "NewOrder",
    "Opened",
    "OrderRow",
    "OrderState",
    "Promises",
    "ReservationLink",
    "Step",
    "StepRow",
]
