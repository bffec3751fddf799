"""The order engine: accepted orders go to the ERP and are tracked; each state reaches the channel.

Not a workflow library: the store's own tables are the state machine, and
this pump, run by every sync pass, moves orders along them. Each step is one
transaction on the orders tables next to a side effect that is idempotent
by itself, so a process killed anywhere is resumed by the next pass:

* **publish** — every decided order whose ``updated_at`` differs from its
  ``published_at`` (the contract every writer of an orders row keeps) is
  written as the canonical ``order`` record through ingest, as system
  :data:`~crossdock.config.orders.PUBLISHER`, so routes deliver it like any
  record: the ERP route (a Tryton sale) and the channel's status route.
  An accepted order's reservations are confirmed first (idempotent), so they
  stop expiring before the ERP sees the order. Ingest writes a new version
  only when the content changed, so publishing twice after a crash sends
  nothing twice; ``published_at`` is set only if the order did not move on.
* **follow** — the receipts the ERP route records (``receipts: true``) are
  read after the engine's bookmark: delivered → the order is confirmed with
  the ERP's id and number; parked for good → its reservations go back and
  it waits on hold ``erp_rejected`` with the ERP's message (released, its
  parked versions step aside and it is sent again); parked only because
  the retries ran out, it keeps its units and shows the problem; a
  withdrawal (the order cancelled) delivered or refused is noted, a
  refusal as a visible problem. Receipts of the other routes with
  receipts on note "status delivered to the channel" on the timeline,
  once per route, version and outcome: receipts read again after a crash
  (the bookmark is saved per batch) or a version sent again add nothing.

The ERP itself is reached only through the route: its destination finds its
own sale by the ``crossdock:<order id>`` marker, so an ERP create cut short
by a kill is found, not repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crossdock.config.hub import HubConfig
from crossdock.config.orders import PUBLISHER
from crossdock.errors import ConflictError, ErrorCode, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.order import OrderLineStatus, OrderStatus
from crossdock.services.availability import AvailabilityService
from crossdock.services.orders.service import ERP_REJECTED
from crossdock.services.orders.stock import release_all
from crossdock.store import Store
from crossdock.store.connector_state import ConnectorState
from crossdock.store.order_rows import LineRow, Move, OrderRow, OrderState, Step, StepRow
from crossdock.store.repos.receipts import Receipt, ReceiptOutcome
from crossdock.sync.delivery_plan import PARKED_BEHIND
from crossdock.sync.ingest import Ingestor

BOOKMARK = "receipts_after"
BATCH = 200

STATUS: dict[OrderState, OrderStatus] = {
    OrderState.ACCEPTED: OrderStatus.SUBMITTED,
    OrderState.ON_HOLD: OrderStatus.ON_HOLD,
    OrderState.REJECTED: OrderStatus.CANCELLED,
    OrderState.CANCELLED: OrderStatus.CANCELLED,
    OrderState.CONFIRMED: OrderStatus.CONFIRMED,
    OrderState.SHIPPED: OrderStatus.SHIPPED,
    OrderState.INVOICED: OrderStatus.INVOICED,
}
"""The canonical status an order's state is published as (received is not published)."""
_FINAL = frozenset({OrderState.CANCELLED, OrderState.REJECTED})
_SHIPPING = frozenset({OrderState.PARTIALLY_SHIPPED, OrderState.SHIPPED, OrderState.INVOICED})
"""States an order has shipments in (a partly shipped one cancelled moves on to shipped)."""
_TRANSIENT = frozenset(
    {
        ErrorCode.TRANSIENT.value,
        ErrorCode.RATE_LIMITED.value,
        ErrorCode.DESTINATION_UNAVAILABLE.value,
    }
)
"""Parking codes that say "could not reach", not "refused": no compensation for those."""

_LINE_STATUS: dict[OrderStatus, OrderLineStatus] = {
    OrderStatus.SUBMITTED: OrderLineStatus.ALLOCATED,
    OrderStatus.CONFIRMED: OrderLineStatus.ALLOCATED,
    OrderStatus.CANCELLED: OrderLineStatus.CANCELLED,
    OrderStatus.SHIPPED: OrderLineStatus.SHIPPED,
    OrderStatus.INVOICED: OrderLineStatus.INVOICED,
}


AHEAD_OF_ERP = frozenset(
    {
        OrderState.CONFIRMED,
        OrderState.PARTIALLY_SHIPPED,
        OrderState.SHIPPED,
        OrderState.INVOICED,
    }
)
"""States an order can reach before the ERP's receipt is followed (its ids still land)."""


def canonical_status(state: OrderState) -> OrderStatus:
    """The published status of an order state (a state added later maps by its name)."""
    return STATUS.get(state) or OrderStatus(state.value)


def order_data(
    order: OrderRow, lines: list[LineRow], shipments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The canonical ``order`` record of an order row and its lines (the fields the hub asserts).

    ``shipments``: those applied to it (number, carrier, service, tracking), oldest first.
    """
    status = canonical_status(order.status)
    if order.status is OrderState.ACCEPTED and order.erp_id:
        # an amendment the ERP takes: the ERP has the sale (never back to submitted)
        status = OrderStatus.CONFIRMED
    line_status = _LINE_STATUS.get(status, OrderLineStatus.OPEN)
    data: dict[str, Any] = {
        "order_number": order.order_number,
        "channel": order.channel,
        "customer_account": order.customer_account,
        "ship_to": order.ship_to,
        "customer_po": order.customer_po,
        "currency": order.currency,
        "order_date": order.created_at.isoformat(),
        "status": status.value,
        "erp_number": order.erp_number,
        "totals": {"total": format(order.total, "f")},
        "lines": [
            {
                "line_number": ln.line_number,
                "sku": ln.sku,
                "quantity": format(ln.quantity, "f"),
                "unit": ln.unit,
                "unit_price": None if ln.unit_price is None else format(ln.unit_price, "f"),
                "extended_price": None
                if ln.unit_price is None
                else format(ln.unit_price * ln.quantity, "f"),
                "status": line_status.value,
            }
            for ln in lines
        ],
    }
    data["lines"] = [{k: v for k, v in ln.items() if v is not None} for ln in data["lines"]]
    if shipments:
        data["shipments"] = shipments
    return {k: v for k, v in data.items() if v is not None}


def applied_shipments(
    steps: Iterable[StepRow], lines: Iterable[LineRow] = ()
) -> list[dict[str, Any]]:
    """The shipments a timeline applied, one per number, oldest first.

    A re-sent shipment that moved nothing more (``unchanged``) still adds its
    carrier and tracking numbers (a second parcel's, say) to one that applied.
    Each carries the order lines it shipped (``line_number``, ``sku``, the
    quantity in the order line's unit, summed over its versions), so a channel
    can fulfil the same items.
    """
    per_base = {ln.line_number: ln.quantity / ln.base_quantity for ln in lines if ln.base_quantity}
    shipped: dict[str, dict[int, tuple[str, Decimal]]] = {}
    found = [s for s in steps if s.kind == "shipment" and s.detail.get("shipment_number")]
    applied = {str(s.detail["shipment_number"]) for s in found if s.outcome == "applied"}
    out: dict[str, dict[str, Any]] = {}
    for step in found:
        d = step.detail
        number = str(d["shipment_number"])
        if number not in applied or step.outcome not in ("applied", "unchanged"):
            continue
        seen = out.setdefault(number, {"shipment_number": number})
        for field in ("carrier", "service"):
            if d.get(field):
                seen[field] = d[field]
        tracking = seen.setdefault("tracking_numbers", [])
        tracking.extend(x for x in d.get("tracking_numbers") or [] if x not in tracking)
        moved = shipped.setdefault(number, {})
        for applied_line in d.get("lines") or []:
            n = int(applied_line["line"])
            if n not in per_base:
                continue
            before = moved.get(n, (str(applied_line["sku"]), Decimal(0)))[1]
            quantity = Decimal(str(applied_line["quantity"])) * per_base[n]
            moved[n] = (str(applied_line["sku"]), before + quantity)
    for number, seen in out.items():
        if shipped.get(number):
            seen["lines"] = [
                {"line_number": n, "sku": sku, "quantity": format(q.normalize(), "f")}
                for n, (sku, q) in sorted(shipped[number].items())
            ]
    return list(out.values())


@dataclass(slots=True)
class EngineReport:
    published: int = 0
    confirmed: int = 0
    rejected_by_erp: int = 0
    channel_deliveries: int = 0
    problems: int = 0


class OrderEngine:
    """Moves decided orders to the ERP and their states to the channels; one pass per call."""

    def __init__(
        self,
        store: Store,
        hub: HubConfig,
        ingestor: Ingestor,
        availability: AvailabilityService,
    ) -> None:
        self.store = store
        self.hub = hub
        self.ingestor = ingestor
        self.availability = availability
        self.state = ConnectorState(store, PUBLISHER)

    @property
    def erp_route(self) -> str | None:
        return self.hub.orders.erp_route

    def run(self) -> EngineReport:
        """One pass: act on what the routes answered, then publish what changed."""
        report = EngineReport()
        self.follow(report)  # what the last pass's deliveries answered, then the states it moved
        self.publish(report)
        return report

    # -- publish ------------------------------------------------------------------------
    def publish(self, report: EngineReport | None = None) -> EngineReport:
        report = report or EngineReport()
        while True:
            todo = self.store.orders.unpublished(BATCH)
            for order in todo:
                self._publish_one(order, report)
            if len(todo) < BATCH:
                return report

    def _publish_one(self, order: OrderRow, report: EngineReport) -> None:
        if order.status in _FINAL:
            self._give_back(order)  # a cancel or reject cut short by a crash: finished here
        if order.status is OrderState.ACCEPTED and not self._confirm_reservations(order):
            return  # it went on hold instead: that state is published next
        clash = self._number_taken(order)
        if clash is not None:
            self.store.orders.published(
                order.id,
                order.updated_at,
                "",
                [Step("publish", "refused", {"problem": clash})],
                problem=clash,
            )
            report.problems += 1
            return
        lines = self.store.orders.lines(order.id)
        shipped = (
            applied_shipments(self.store.orders.timeline(order.id), lines)
            if order.status in _SHIPPING
            else None
        )
        change = Change(
            system=PUBLISHER,
            entity_type=EntityType.ORDER,
            native_id=order.id,
            data=order_data(order, lines, shipped),
            source_ts=order.updated_at,
            ref=f"order {order.id}",
        )
        done = self.ingestor.ingest([change])
        cid = self.store.crosswalk.resolve(PUBLISHER, EntityType.ORDER, order.id)
        if done.exceptions or cid is None:
            problem = self._refusal(order)
            self.store.orders.published(
                order.id,
                order.updated_at,
                cid or "",
                [Step("publish", "refused", {"problem": problem})],
                problem=problem,
            )
            report.problems += 1
            return
        rec = self.store.records.get(EntityType.ORDER, cid)
        version = rec.version if rec is not None else 0
        status = canonical_status(order.status).value
        if self.store.orders.published(
            order.id,
            order.updated_at,
            cid,
            [Step("published", status, {"record": cid, "version": version})],
        ):
            report.published += 1

    def _number_taken(self, order: OrderRow) -> str | None:
        """Another record already carries this order number (the canonical order's key).

        Two channels may use the same order number; published as is, the second order
        would be merged into the first one's record. It is refused, visibly, instead.
        """
        if order.canonical_id:
            return None
        holder = self.store.crosswalk.find_by_key(
            EntityType.ORDER, "order_number", order.order_number
        )
        if holder is None:
            return None
        ours = self.store.crosswalk.resolve(PUBLISHER, EntityType.ORDER, order.id)
        if ours == holder:
            return None
        return (
            f"order number {order.order_number} already names another order record ({holder}); "
            "the canonical order is keyed by its number alone, so this order is not published"
        )

    @staticmethod
    def _refusal(order: OrderRow) -> str:
        return (
            f"ingest refused the order's record: see the open exceptions of system {PUBLISHER} "
            f"for native id {order.id}; the next change of the order publishes it again"
        )

    def _confirm_reservations(self, order: OrderRow) -> bool:
        """Confirm the accepted order's held reservations; False when one had expired.

        An expired (or vanished) reservation means the units went back: the
        order gives back the rest and waits on hold ``stock``, where a release
        reserves again.
        """
        links = self.store.orders.reservations(order.id)
        confirmed = 0
        try:
            for link in links:
                r = self.availability.reservations.confirm(link.reservation_id, order.id)
                confirmed += 0 if r.replayed else 1
        except (ConflictError, NotFound) as exc:
            self._give_back(order)
            self.store.orders.bump_attempt(order.id)
            self.store.orders.transition(
                order.id,
                {OrderState.ACCEPTED},
                Move(
                    OrderState.ON_HOLD,
                    holds=["stock"],
                    steps=[Step("reservation", "expired", {"error": str(exc)})],
                ),
            )
            return False
        if confirmed:
            self.store.orders.note(
                order.id, [Step("reservation", "confirmed", {"count": confirmed})]
            )
        return True

    def _give_back(self, order: OrderRow) -> None:
        links = self.store.orders.reservations(order.id)
        self.store.orders.unlink(release_all(self.availability, links))

    # -- follow the routes' receipts ----------------------------------------------------
    def follow(self, report: EngineReport | None = None) -> EngineReport:
        report = report or EngineReport()
        mark = int(self.state.get(BOOKMARK) or 0)
        while True:
            read = self.store.receipts.after(mark, limit=BATCH)
            if not read:
                return report
            receipts = [r for r in read if r.entity_type is EntityType.ORDER]
            orders = self.store.orders.by_canonical(list({r.entity_id for r in receipts}))
            for r in receipts:
                order = orders.get(r.entity_id)
                if order is None:
                    continue
                if r.route == self.erp_route:
                    self._erp(order, r, report)
                else:
                    self._channel(order, r, report)
            mark = read[-1].seq
            self.state.set(BOOKMARK, str(mark))
            if len(read) < BATCH:
                return report

    def _erp(self, order: OrderRow, r: Receipt, report: EngineReport) -> None:
        detail = {"route": r.route, "version": r.version, "erp_id": r.native_id}
        if r.op is ChangeOp.DELETE:
            self._withdrawn(order, r, detail)
            return
        if r.outcome is ReceiptOutcome.DELIVERED:
            moved = self.store.orders.transition(
                order.id,
                {OrderState.ACCEPTED},
                Move(
                    OrderState.CONFIRMED,
                    erp_id=r.native_id,
                    erp_number=r.reference,
                    problem=None,
                    steps=[Step("erp", "confirmed", {**detail, "erp_number": r.reference})],
                ),
            )
            if moved is not None:
                report.confirmed += 1
            else:
                self._record_erp(order.id, r, detail)
            return
        if r.error == PARKED_BEHIND or order.status is not OrderState.ACCEPTED:
            return
        if r.code in _TRANSIENT:
            # Retries ran out but nothing says the ERP refused it: the order keeps its
            # units and waits, visibly, for the parked delivery to be retried.
            self.store.orders.transition(
                order.id,
                {OrderState.ACCEPTED},
                Move(
                    OrderState.ACCEPTED,
                    problem=(
                        f"the ERP route {r.route} parked the order after its retries: {r.error}; "
                        "retry the parked delivery once the ERP answers"
                    ),
                    steps=[Step("erp", "unreachable", {**detail, "error": r.error})],
                ),
            )
            report.problems += 1
            return
        # Compensation: the units go back first, then the hold (a kill in between repeats
        # this receipt, and giving back is idempotent); the order is never left half-done.
        self._give_back(order)
        self.store.orders.bump_attempt(order.id)
        moved = self.store.orders.transition(
            order.id,
            {OrderState.ACCEPTED},
            Move(
                OrderState.ON_HOLD,
                holds=[ERP_REJECTED],
                steps=[
                    Step("reservation", "released", {"why": ERP_REJECTED}),
                    Step("erp", "rejected", {**detail, "error": r.error}),
                ],
            ),
        )
        report.rejected_by_erp += moved is not None

    def _record_erp(self, order_id: str, r: Receipt, detail: dict[str, Any]) -> None:
        """Keep the ERP's id and number on an order already past ``confirmed``.

        The fulfilment consumer may ship an order before this receipt is followed;
        the status stays where it is (never backwards), only the ERP's ids land.
        A concurrent status move loses the compare-and-set: read again and retry.
        """
        for _ in range(5):
            current = self.store.orders.get(order_id)
            if current is None or current.status not in AHEAD_OF_ERP:
                return
            if current.erp_id == r.native_id and current.erp_number == r.reference:
                return
            done = self.store.orders.transition(
                order_id,
                {current.status},
                Move(
                    current.status,
                    erp_id=r.native_id,
                    erp_number=r.reference,
                    steps=[Step("erp", "recorded", {**detail, "erp_number": r.reference})],
                ),
            )
            if done is not None:
                return

    def _withdrawn(self, order: OrderRow, r: Receipt, detail: dict[str, Any]) -> None:
        final = {OrderState.CANCELLED, OrderState.REJECTED}
        if r.outcome is ReceiptOutcome.DELIVERED:
            self.store.orders.transition(
                order.id,
                final,
                Move(order.status, problem=None, steps=[Step("erp", "cancelled", detail)]),
            )
            return
        if r.error == PARKED_BEHIND:
            return
        problem = (
            f"the ERP did not cancel its sale {r.native_id or ''}: {r.error}. Cancel it in the "
            f"ERP, or fix the cause and retry the parked delivery on route {r.route}"
        )
        self.store.orders.transition(
            order.id,
            final,
            Move(
                order.status,
                problem=problem,
                steps=[Step("erp", "cancel_failed", {**detail, "error": r.error})],
            ),
        )

    def _channel(self, order: OrderRow, r: Receipt, report: EngineReport) -> None:
        outcome = "delivered" if r.outcome is ReceiptOutcome.DELIVERED else "parked"
        detail: dict[str, Any] = {"route": r.route, "version": r.version}
        if self._noted(order.id, outcome, detail):
            return  # receipts read again after a crash, or the same version sent again
        if r.error:
            detail["error"] = r.error
        self.store.orders.note(order.id, [Step("channel", outcome, detail)])
        report.channel_deliveries += r.outcome is ReceiptOutcome.DELIVERED

    def _noted(self, order_id: str, outcome: str, detail: dict[str, Any]) -> bool:
        """The timeline already says this version went to this route with this outcome."""
        return any(
            s.kind == "channel"
            and s.outcome == outcome
            and s.detail.get("route") == detail["route"]
            and s.detail.get("version") == detail["version"]
            for s in self.store.orders.timeline(order_id)
        )

    # -- what an operator sees ----------------------------------------------------------
    def stuck(self, now: datetime | None = None) -> int:
        """Accepted orders the ERP has not confirmed within ``orders.stuck_minutes``.

        Without an ERP route nothing confirms an order: none waits for it.
        """
        if self.erp_route is None:
            return 0
        now = now or datetime.now(UTC)
        return self.store.orders.stuck(now - timedelta(minutes=self.hub.orders.stuck_minutes))


__all__ = [
    "BOOKMARK",
    "ERP_REJECTED",
    "STATUS",
    "EngineReport",
    "OrderEngine",
    "canonical_status",
    "order_data",
]
