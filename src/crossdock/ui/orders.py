"""Orders: a list and search, one order's timeline, and the hold queue with release and reject.

The pages read what ``GET /v1/orders``, ``GET /v1/orders/{id}`` and
``GET /v1/orders/{id}/timeline`` read (the order service and its store); release
and reject are :meth:`OrderService.release` / :meth:`OrderService.reject`, audited
with the signed-in key's actor and the reason typed in the form. The console lets
only an ``admin`` key decide a hold (the API asks for ``operate``): a hold is a
credit or pricing decision, which the operator policy keeps to administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.keys import Scope
from crossdock.errors import InvalidInput, NotFound
from crossdock.services.orders import OrderService
from crossdock.store.fulfil_rows import InvoiceBalance, LedgerLine, LineStatus
from crossdock.store.order_rows import LineRow, OrderRow, OrderState, ReservationLink, StepRow
from crossdock.ui.acting import act_as, may
from crossdock.ui.pages import PREFIX, application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()
PAGE = 100
DECIDES = Scope.ADMIN
"""The scope a key needs to release or reject a held order in the console."""
OrderId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""Bounded as the API's order ids are."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line as ordered, with its ledger (a line nothing moved yet: all of it open)."""

    line: LineRow
    status: LineStatus
    shipped: Decimal
    invoiced: Decimal
    released: Decimal


@dataclass(frozen=True, slots=True)
class OrderView:
    """Everything the order page shows, read once."""

    order: OrderRow
    lines: list[OrderLine]
    steps: list[StepRow]
    reservations: list[ReservationLink]
    invoices: list[InvoiceBalance]
    decidable: bool = field(default=False)


def _service(request: Request) -> OrderService:
    return application_of(request).orders


def order_view(svc: OrderService, order_id: str) -> OrderView:
    """The order, its lines and ledger, reservations, invoices and every step, oldest first."""
    order = svc.get(order_id)
    store = svc.store
    book: dict[int, LedgerLine] = {ln.line_number: ln for ln in store.fulfilment.lines(order.id)}
    lines = []
    for ln in store.orders.lines(order.id):
        f = book.get(ln.line_number)
        lines.append(
            OrderLine(
                ln,
                f.status if f else LineStatus.OPEN,
                f.shipped if f else Decimal(0),
                f.invoiced if f else Decimal(0),
                f.released if f else Decimal(0),
            )
        )
    return OrderView(
        order=order,
        lines=lines,
        steps=store.orders.timeline(order.id),
        reservations=store.orders.reservations(order.id, held_only=False),
        invoices=store.fulfilment.invoices(order.id),
        decidable=order.status is OrderState.ON_HOLD,
    )


def search(svc: OrderService, q: str) -> list[OrderRow]:
    """Orders whose id or order number is ``q`` (``channel:number`` names one channel's)."""
    q = q.strip()
    found: dict[str, OrderRow] = {}
    by_id = svc.store.orders.get(q)
    if by_id is not None:
        found[by_id.id] = by_id
    channel, sep, number = q.partition(":")
    if sep:
        one = svc.store.orders.find(channel, number)
        if one is not None:
            found[one.id] = one
    for o in svc.store.orders.by_number(q):
        found[o.id] = o
    return list(found.values())


def _status(value: str) -> OrderState | None:
    try:
        return OrderState(value) if value else None
    except ValueError:
        return None


@router.get("/orders")
def orders_page(
    request: Request,
    q: str = Query(default="", max_length=200),
    status: str = Query(default="", max_length=40),
    after: str = Query(default="", max_length=40),
) -> Response:
    def build(session: Session) -> Response:
        svc = _service(request)
        chosen = _status(status)
        if q.strip():
            rows, more = search(svc, q), False
        else:
            rows = svc.store.orders.page(status=chosen, after_id=after, limit=PAGE)
            more = len(rows) == PAGE
        nxt = urlencode({"status": status, "after": rows[-1].id}) if more and rows else ""
        return render(
            request,
            "orders.html",
            session,
            rows=rows,
            q=q,
            chosen=chosen.value if chosen else "",
            states=[s.value for s in OrderState],
            counts=svc.store.orders.count_by_status(),
            next_query=nxt,
        )

    return page(request, build)


@router.get("/orders/holds")
def holds_page(request: Request, after: str = Query(default="", max_length=40)) -> Response:
    def build(session: Session) -> Response:
        svc = _service(request)
        rows = svc.store.orders.page(status=OrderState.ON_HOLD, after_id=after, limit=PAGE)
        more = len(rows) == PAGE
        return render(
            request,
            "holds.html",
            session,
            rows=rows,
            may_decide=may(session, DECIDES),
            next_query=urlencode({"after": rows[-1].id}) if more and rows else "",
        )

    return page(request, build)


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: OrderId) -> Response:
    def build(session: Session) -> Response:
        try:
            view = order_view(_service(request), order_id)
        except NotFound:
            return render(request, "missing.html", session, status=404, what=f"order {order_id}")
        return render(
            request,
            "order.html",
            session,
            v=view,
            may_decide=may(session, DECIDES),
            detail=step_detail,
        )

    return page(request, build)


def step_detail(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """A step's detail as (key, value) pairs to show; nested values compactly."""
    out = []
    for k, v in detail.items():
        if isinstance(v, dict | list):
            text = ", ".join(
                f"{a}={b}" for a, b in (v.items() if isinstance(v, dict) else enumerate(v))
            )
        else:
            text = "" if v is None else str(v)
        out.append((str(k), text[:500]))
    return out


def _reason(fields: dict[str, str]) -> str:
    note = fields.get("note", "").strip()
    if not note:
        raise InvalidInput("give a reason (kept in the audit log)", field="note")
    return note[:2000]


def _back(fields: dict[str, str], order_id: str) -> str:
    """Back to the hold queue, or to the order when the form was on its page."""
    if fields.get("from") == "order":
        return f"{PREFIX}/orders/{quote(order_id, safe='')}"
    return f"{PREFIX}/orders/holds"


@router.post("/orders/{order_id}/release")
async def release(request: Request, order_id: OrderId) -> Response:
    svc = _service(request)

    def run(s: Session, f: dict[str, str]) -> str:
        done = svc.release(order_id, actor=s.principal.actor, note=_reason(f))
        holds = f" (still held: {', '.join(done.holds)})" if done.holds else ""
        return f"Released {done.order_number}: now {done.status.value}{holds}."

    return await act_as(request, DECIDES, lambda f: _back(f, order_id), run)


@router.post("/orders/{order_id}/reject")
async def reject(request: Request, order_id: OrderId) -> Response:
    svc = _service(request)

    def run(s: Session, f: dict[str, str]) -> str:
        done = svc.reject(order_id, actor=s.principal.actor, note=_reason(f))
        return f"Rejected {done.order_number}: its reservations went back."

    return await act_as(request, DECIDES, lambda f: _back(f, order_id), run)


__all__ = ["OrderView", "order_view", "router", "search", "step_detail"]
