"""Orders: intake from a channel, one order and its timeline, the holds queue, release and reject.

``POST /v1/orders`` needs a system's key with the ``write`` operation: the
key's system is the order's channel. The same body again answers the same
order (200); a new order is 201. Bad input (an unknown customer or SKU, a
ship-to or bill-to that is not an active site of the customer's, a unit the
item does not have, a quantity not above zero, a repeated line number, more
lines than the channel allows, a value of the wrong type) is
a 422 problem naming the line and field (``lines.3.sku``), and nothing is
written. Release and reject need the ``operate`` operation and a note;
cancel needs it too, or the key of the order's own channel.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.auth import Operator, Principal, Reader, Writer, forbidden
from crossdock.api.deps import NO_CONTROL, HubDep, Limit, application_of
from crossdock.api.exactjson import ExactJSONRoute
from crossdock.api.keys import Scope
from crossdock.api.problems import problem_responses
from crossdock.api.routers.changes import sending_system
from crossdock.errors import NotFound
from crossdock.services.orders import OrderIn, OrderService
from crossdock.store.order_rows import Opened, OrderRow, OrderState

router = APIRouter(
    prefix="/orders",
    route_class=ExactJSONRoute,
    tags=["orders"],
    responses=problem_responses(401, 403, 404, 422),
)


async def get_orders(request: Request) -> OrderService:
    """The application's one order service."""
    return application_of(request).orders


OrdersDep = Annotated[OrderService, Depends(get_orders)]
OrderId = Annotated[
    str, Path(min_length=1, max_length=40, pattern=NO_CONTROL, description="the order's id")
]


class LineOut(BaseModel):
    line_number: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    unit_price: Decimal | None
    channel_price: Decimal | None
    price_note: str | None
    backordered: Decimal = Field(description="base units not reserved now, promised later")
    promise_date: date | None = Field(description="when the backordered units are promised")


class RuleOut(BaseModel):
    rule: str
    action: str = Field(description="passed, held, rejected or waived")
    reason: str | None = Field(description="the hold's reason code")
    detail: str


class ReservationOut(BaseModel):
    reservation_id: str
    line_number: int
    sku: str
    location: str
    quantity: Decimal
    released: bool


class OrderOut(BaseModel):
    id: str
    channel: str
    order_number: str
    customer: str
    customer_id: str
    ship_to: str
    bill_to: str | None
    customer_po: str | None
    currency: str | None
    status: OrderState
    holds: list[str]
    total: Decimal
    revision: int
    created_at: datetime
    updated_at: datetime
    erp_id: str | None = Field(description="the ERP's id of the order (its sale)")
    erp_number: str | None = Field(description="the ERP's number of the order")
    problem: str | None = Field(description="a step that failed and waits for a person or retry")
    rules: list[RuleOut]
    lines: list[LineOut]
    reservations: list[ReservationOut]


class StepOut(BaseModel):
    id: int
    at: datetime
    kind: str
    outcome: str
    detail: dict[str, Any]


class TimelineOut(BaseModel):
    order_id: str
    steps: list[StepOut]


class OrderSummary(BaseModel):
    id: str
    channel: str
    order_number: str
    customer: str
    status: OrderState
    holds: list[str]
    total: Decimal
    updated_at: datetime


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next: str | None = Field(description="pass as `after` for the next page")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]+$", description="why")


def order_out(svc: OrderService, o: OrderRow) -> OrderOut:
    store = svc.store
    return OrderOut(
        id=o.id,
        channel=o.channel,
        order_number=o.order_number,
        customer=o.customer_account,
        customer_id=o.customer_id,
        ship_to=o.ship_to,
        bill_to=o.bill_to,
        customer_po=o.customer_po,
        currency=o.currency,
        status=o.status,
        holds=o.holds,
        total=o.total,
        revision=o.revision,
        created_at=o.created_at,
        updated_at=o.updated_at,
        erp_id=o.erp_id,
        erp_number=o.erp_number,
        problem=o.problem,
        rules=[RuleOut.model_validate(r) for r in o.rules],
        lines=[LineOut.model_validate(ln, from_attributes=True) for ln in store.orders.lines(o.id)],
        reservations=[
            ReservationOut.model_validate(r, from_attributes=True)
            for r in store.orders.reservations(o.id, held_only=False)
        ],
    )


@router.post(
    "",
    response_model=OrderOut,
    status_code=201,
    summary="Take an order from the key's system (its channel)",
    description="Idempotent per channel and order number: the same body again answers the "
    "same order (200); a different body amends the order while it is received, accepted or "
    "on hold (200), and is refused (409) once it is rejected or cancelled.",
    responses={
        **problem_responses(409),
        200: {"model": OrderOut, "description": "the same order, or amended"},
    },
)
async def post_order(
    body: OrderIn, hub: HubDep, svc: OrdersDep, who: Writer, response: Response
) -> OrderOut:
    channel = sending_system(who, None, hub)
    done = await run_in_threadpool(svc.submit, channel, body)
    if done.opened is not Opened.CREATED:
        response.status_code = 200
    return await run_in_threadpool(order_out, svc, done.order)


@router.get("", response_model=OrderPage, summary="Orders, by status (the holds queue)")
async def list_orders(
    svc: OrdersDep,
    who: Reader,
    status: OrderState | None = Query(default=None, description="e.g. on_hold"),
    after: str = Query(default="", max_length=40, description="the last id of the page before"),
    limit: Limit = 100,
) -> OrderPage:
    # A channel's key sees its own orders; a person's key sees every channel's.
    found = await run_in_threadpool(
        lambda: svc.store.orders.page(
            status=status, after_id=after, limit=limit, channel=who.system
        )
    )
    return OrderPage(
        items=[
            OrderSummary(
                id=o.id,
                channel=o.channel,
                order_number=o.order_number,
                customer=o.customer_account,
                status=o.status,
                holds=o.holds,
                total=o.total,
                updated_at=o.updated_at,
            )
            for o in found
        ],
        next=found[-1].id if len(found) == limit else None,
    )


def _visible(svc: OrderService, order_id: str, who: Principal) -> OrderRow:
    """The order, if ``who`` may see it: a channel's key sees only its own channel's."""
    order = svc.get(order_id)
    if who.system is not None and order.channel != who.system:
        raise NotFound(f"no order {order_id!r}")  # another channel's order: as if absent
    return order


@router.get("/{order_id}", response_model=OrderOut, summary="One order: lines, rules, reservations")
async def get_order(order_id: OrderId, svc: OrdersDep, who: Reader) -> OrderOut:
    return await run_in_threadpool(lambda: order_out(svc, _visible(svc, order_id, who)))


@router.get("/{order_id}/timeline", response_model=TimelineOut, summary="Every step of one order")
async def get_timeline(order_id: OrderId, svc: OrdersDep, who: Reader) -> TimelineOut:
    await run_in_threadpool(_visible, svc, order_id, who)
    steps = await run_in_threadpool(svc.store.orders.timeline, order_id)
    return TimelineOut(
        order_id=order_id,
        steps=[
            StepOut(id=s.id, at=s.at, kind=s.kind, outcome=s.outcome, detail=s.detail)
            for s in steps
        ],
    )


@router.post(
    "/{order_id}/release",
    response_model=OrderOut,
    summary="Release a held order: the rules that held it run again",
    description="Needs the `operate` operation. Accepted when they pass; still on hold when "
    "not. A price or PO hold is waived by the release. 409 when the order is not on hold.",
    responses=problem_responses(409),
)
async def release_order(order_id: OrderId, body: NoteIn, svc: OrdersDep, who: Operator) -> OrderOut:
    done = await run_in_threadpool(lambda: svc.release(order_id, actor=who.actor, note=body.note))
    return await run_in_threadpool(order_out, svc, done)


@router.post(
    "/{order_id}/reject",
    response_model=OrderOut,
    summary="Reject an order; its reservations are released",
    description="Needs the `operate` operation. 409 when the order is already final.",
    responses=problem_responses(409),
)
async def reject_order(order_id: OrderId, body: NoteIn, svc: OrdersDep, who: Operator) -> OrderOut:
    done = await run_in_threadpool(lambda: svc.reject(order_id, actor=who.actor, note=body.note))
    return await run_in_threadpool(order_out, svc, done)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order not shipped yet; its reservations go back, the ERP sale is cancelled",
    description="Needs the `operate` operation, or the `write` key of the order's own channel. "
    "Cancelling again answers the cancelled order. The ERP's sale is cancelled by the ERP "
    "route where the ERP allows it; where it does not, the order shows a `problem`. "
    "409 when the order is shipped, invoiced or rejected.",
    responses=problem_responses(409),
)
async def cancel_order(order_id: OrderId, body: NoteIn, svc: OrdersDep, who: Reader) -> OrderOut:
    order = await run_in_threadpool(_visible, svc, order_id, who)
    own_channel = who.system is not None and who.system == order.channel
    if Scope.OPERATE not in who.scopes and not (own_channel and Scope.WRITE in who.scopes):
        raise forbidden("Cancelling an order needs the operate operation or its channel's key.")
    done = await run_in_threadpool(lambda: svc.cancel(order_id, actor=who.actor, note=body.note))
    return await run_in_threadpool(order_out, svc, done)
