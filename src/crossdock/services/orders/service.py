"""The order service: intake, the rules, the decision, holds, release and reject.

``submit`` is idempotent per (channel, order number): the same body answers
the same order (and finishes it, should an earlier try have stopped before
its decision); a different body amends the order while it is received,
accepted or on hold: its reservations go back and every rule runs again.

The decision is written in one transaction that locks the customer's credit
row (:meth:`~crossdock.store.repos.orders.SqlOrders.decide`): the credit rule
is judged there, against the exposure of the customer's other open orders,
so racing orders never together pass a limit. ``release`` re-runs the rules
that held the order (credit, stock, customer, SKU); a price or PO hold is a
judgment call the person releasing it makes, recorded as waived. ``reject``
gives every reservation back. Both are audited with who and why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn, Protocol

from pydantic import ValidationError

from crossdock.config.hub import RouteConfig
from crossdock.config.orders import HoldReason, OrdersConfig, StockRule
from crossdock.errors import ConflictError, CrossdockError, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.model.product import Product
from crossdock.services.availability import AvailabilityService
from crossdock.services.orders.documents import Book, Outcome, release_open
from crossdock.services.orders.intake import OrderIn, load_products, resolve
from crossdock.services.orders.rules import (
    Action,
    RuleName,
    RuleResult,
    check_bill_to,
    check_credit,
    check_customer,
    check_po,
    check_prices,
    check_skus,
    failed,
)
from crossdock.services.orders.stock import backorders, release_all, reserve_lines
from crossdock.services.pricing import PricedLine, PricingService, QuoteLine, QuoteRequest
from crossdock.store import ParkedStatus, Store
from crossdock.store.availability import StockTx
from crossdock.store.order_rows import (
    Decision,
    LineRow,
    Move,
    Opened,
    OrderRow,
    OrderState,
    Promises,
    ReservationLink,
    Step,
)

_WAIVABLE = frozenset({HoldReason.PRICE, HoldReason.PO_MISSING, HoldReason.DUPLICATE_PO})
"""Holds a person's release settles without the rule passing."""
CANCELLABLE = frozenset(
    {OrderState.RECEIVED, OrderState.ACCEPTED, OrderState.ON_HOLD, OrderState.CONFIRMED}
)
"""States an order is cancelled from (nothing shipped yet); a partly shipped one has its
rest cancelled instead."""
ERP_HAS_IT = frozenset({OrderState.CONFIRMED, OrderState.SHIPPED, OrderState.INVOICED})
ERP_REJECTED = "erp_rejected"
"""The hold an order waits in when the ERP refused it for good (set by the engine)."""


class ErpSale(Protocol):
    """The ERP's document of an order as the ERP route's system reports it.

    ``state`` is the ERP's own state name; ``amendable`` and ``cancellable`` say
    whether that state lets the hub change its lines or cancel it.
    """

    @property
    def native_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def amendable(self) -> bool: ...
    @property
    def cancellable(self) -> bool: ...


ErpLookup = Callable[[str], ErpSale | None]
"""Asks the ERP about the document it made for a canonical order id (None: it has none)."""
ErpWithdrawRest = Callable[[str], ErpSale | None]
"""Has the ERP cancel what it has not shipped of a canonical order (idempotent)."""
AMENDED_AT_ERP = frozenset({OrderState.ACCEPTED, OrderState.CONFIRMED})
"""States of an order the ERP has whose amendment is forwarded (nothing shipped yet)."""


@dataclass(frozen=True, slots=True)
class Submitted:
    order: OrderRow
    opened: Opened


class OrderService:
    """Orders over one store, priced by the pricing service, reserved by the availability one."""

    def __init__(
        self,
        store: Store,
        config: OrdersConfig,
        pricing: PricingService,
        availability: AvailabilityService,
        routes: Sequence[RouteConfig] = (),
        erp: ErpLookup | None = None,
        erp_withdraw_rest: ErpWithdrawRest | None = None,
    ) -> None:
        self.store = store
        self.erp = erp
        self.erp_withdraw_rest = erp_withdraw_rest
        self.config = config
        self.pricing = pricing
        self.availability = availability
        self.routes = list(routes)

    # -- intake ---------------------------------------------------------------------------
    def submit(self, channel: str, body: OrderIn) -> Submitted:
        """Take an order from ``channel``; bad input raises before anything is written."""
        if len(body.lines) > self.config.max_lines:
            raise InvalidInput(
                f"lines: {len(body.lines)} lines; at most {self.config.max_lines} per order "
                "(split the order)",
                field="lines",
            )
        resolved = resolve(self.store, channel, body, self.config.rules(channel).bill_to)
        order, opened = self.store.orders.open(resolved.new, may_amend=self._erp_free)
        erp = None
        if opened is Opened.REFUSED and order.status in AMENDED_AT_ERP:
            # The ERP has it: asked outside the store's lock, then opened again, the
            # order's state checked again under the lock (it may have shipped since).
            erp = self._erp_document(order)
            if erp is not None and erp.amendable:

                def may_amend(found: OrderRow) -> bool:
                    return self._erp_free(found) or found.status in AMENDED_AT_ERP

                order, opened = self.store.orders.open(resolved.new, may_amend=may_amend)
        if opened is Opened.REFUSED or (opened is Opened.CLOSED and not self._erp_free(order)):
            self._refuse_amendment(order, erp)
        if opened is Opened.CLOSED:
            raise ConflictError(
                f"order_number: order {body.order_number} is {order.status.value} "
                f"({order.id}); send a new order number"
            )
        if opened is Opened.SAME and order.status is not OrderState.RECEIVED:
            return Submitted(order, opened)
        if opened is Opened.AMENDED:
            self._give_back(order)
        elif opened is Opened.SAME and order.revision > 1:
            self._give_back_stale(order)  # an amendment cut short before its units went back
        # a new order's lines are the ones just written, and it holds no reservations yet
        fresh = list(resolved.new.lines) if opened is Opened.CREATED else None
        decided = self._evaluate(order, resolved.customer, resolved.products, fresh=fresh)
        return Submitted(decided, opened)

    def _erp_free(self, order: OrderRow) -> bool:
        """Whether the ERP has not got the order yet (a new body may still amend it).

        Tryton processes a sale when it confirms it (shipments are planned), and a
        processing sale cannot go back to draft: its lines change only in Tryton.
        Asked by intake with the order locked, before anything is written, so the
        hub and the ERP stay on one body; a half-applied amendment would not.
        """
        return order.status not in ERP_HAS_IT and (order.erp_id or self._erp_id(order)) is None

    def _erp_document(self, order: OrderRow) -> ErpSale | None:
        """The ERP's document of an order a new body would amend (asked only then).

        The ERP may move on after the answer: its route then refuses the amended
        lines and the engine compensates (units back, hold ``erp_rejected``).
        """
        if self.erp is None or order.canonical_id is None:
            return None
        return self.erp(order.canonical_id)

    def _refuse_amendment(self, order: OrderRow, erp: ErpSale | None = None) -> NoReturn:
        """Refuse (409, noted on the timeline) an amendment of an order the ERP already has."""
        known = order.erp_number or order.erp_id or self._erp_id(order)
        state = f", whose state there is {erp.state}," if erp is not None else ""
        why = (
            f"order {order.order_number} is {order.status.value} and the ERP has it"
            + (f" as {known}" if known else "")
            + state
            + "; an amendment is forwarded only to an ERP document that still takes changes "
            "(Tryton: a draft, quotation or confirmed sale not yet processed): amend it in "
            "the ERP, or cancel the order and send a new order number"
        )
        self.store.orders.note(order.id, [Step("amend", "refused", {"reason": why})])
        raise ConflictError(f"order_number: {why}")

    def _erp_id(self, order: OrderRow) -> str | None:
        """The ERP's id of an accepted order whose delivery is done but not yet followed."""
        route = self.erp_route
        if route is None or order.canonical_id is None:
            return None
        found = self.store.crosswalk.native_ids_for(
            EntityType.ORDER, route.destination, [order.canonical_id]
        )
        return found.get(order.canonical_id)

    # -- cancellation ---------------------------------------------------------------------
    def cancel(self, order_id: str, *, actor: str, note: str) -> OrderRow:
        """Cancel an order: its reservations go back. Audited; idempotent.

        A partly shipped order has its rest cancelled (:meth:`_cancel_rest`).

        The order is cancelled first (the durable intent); the reservations go
        back right after, and the engine gives back any a crash left held when
        it publishes the cancellation. The ERP's sale is cancelled by the ERP
        route (the record leaves its filter); a refusal shows on the order.
        """
        order = self.get(order_id)
        if order.status is OrderState.CANCELLED:
            return order
        if order.status is OrderState.PARTIALLY_SHIPPED:
            return self._cancel_rest(order, actor=actor, note=note)
        if self._rest_open_in_erp(order):  # the hub's part done, the ERP's cut short: again
            return self._withdraw_erp_rest(order)
        self._check_erp_cancellable(order)
        moved = self.store.orders.transition(
            order.id,
            CANCELLABLE,
            Move(
                OrderState.CANCELLED,
                holds=[],
                steps=[Step("cancel", "cancelled", {"actor": actor, "note": note})],
                audit=(actor, "order.cancel", {"note": note, "was": order.status.value}),
            ),
        )
        if moved is None:
            now = self.get(order_id)
            if now.status is OrderState.CANCELLED:
                return now
            if now.status is OrderState.PARTIALLY_SHIPPED:  # it shipped meanwhile
                return self._cancel_rest(now, actor=actor, note=note)
            raise ConflictError(
                f"order {order_id} is {now.status.value}; only an order not fully shipped "
                "can be cancelled"
            )
        self._give_back(moved)
        return moved

    def _check_erp_cancellable(self, order: OrderRow) -> None:
        """Refuse (409, nothing changed) to cancel an order whose ERP sale can no longer be.

        Asked of the ERP only for an order it has; its route cancels the sale
        after the hub has (a state change in between shows as the order's problem).
        """
        if self.erp is None or order.canonical_id is None or self._erp_free(order):
            return
        erp = self.erp(order.canonical_id)
        if erp is None or erp.cancellable or erp.state == "cancelled":
            return
        why = (
            f"order {order.order_number}: the ERP's sale {order.erp_number or erp.native_id} "
            f"is {erp.state} and cannot be cancelled from the hub; cancel its shipment in "
            "the ERP (the shipment pulled back then settles the order)"
        )
        self.store.orders.note(order.id, [Step("cancel", "refused", {"reason": why})])
        raise ConflictError(why)

    def _cancel_rest(self, order: OrderRow, *, actor: str, note: str) -> OrderRow:
        """Cancel what a partly shipped order has not shipped yet; what shipped stays.

        One transaction, under the ledger's line locks (a shipment applied at the
        same time goes wholly before or after): every line's open quantity is
        released, the unshipped units of its reservations go back, and the order
        moves forward to shipped (or invoiced), its lines' released quantities
        showing the cancelled rest. A shipment of the rest that comes later is
        refused as over-shipped, for a person to see. The ERP keeps its own
        backorder: that stays on the order as a problem to clear there.
        """
        lines = self.store.orders.lines(order.id)
        links = self.store.orders.reservations(order.id)
        reservations = self.availability.reservations

        def work(stx: StockTx) -> Outcome:
            out = release_open(Book(self.store, stx.tx, order, lines), reason=f"cancelled: {note}")
            for link in links:
                with contextlib.suppress(NotFound):  # gone already: nothing to give back
                    reservations.give_back_in(stx, link.reservation_id)
            stx.tx.audit(actor, "order.cancel", order.id, {"note": note, "was": order.status.value})
            return out

        out = self.availability.ctx.solo(work)
        self.store.orders.unlink([link.reservation_id for link in links])
        now = self.get(order.id)
        if order.erp_id is not None:
            problem = (
                f"the rest of order {order.order_number} was cancelled in the hub; "
                f"cancel the rest of ERP sale {order.erp_number or order.erp_id} "
                "(its open shipment) in the ERP"
            )
            # the durable intent first: a kill before the ERP's part leaves it visible,
            # and cancelling the order again finishes it (_withdraw_erp_rest)
            step = Step("cancel", "erp_rest_open", {"erp_id": order.erp_id})
            moved = self.store.orders.transition(
                now.id, {now.status}, Move(now.status, problem=problem, steps=[step])
            )
            now = moved or self.get(order.id)
        if out.moved_to is None and now.status is OrderState.PARTIALLY_SHIPPED:
            raise ConflictError(f"order {order.id}: its rest could not be cancelled; try again")
        if order.erp_id is not None:
            now = self._withdraw_erp_rest(now)
        return now

    def _rest_open_in_erp(self, order: OrderRow) -> bool:
        """The hub cancelled this order's rest and the ERP's part is not known done."""
        if order.problem is None or order.status not in (OrderState.SHIPPED, OrderState.INVOICED):
            return False
        steps = [s for s in self.store.orders.timeline(order.id) if s.kind == "cancel"]
        return bool(steps) and steps[-1].outcome == "erp_rest_open"

    def _withdraw_erp_rest(self, order: OrderRow) -> OrderRow:
        """Have the ERP cancel its rest (its open shipment); the problem clears when it did.

        A refusal or an unreachable ERP keeps the problem, with the ERP's answer.
        """
        if self.erp_withdraw_rest is None or order.canonical_id is None:
            return order
        try:
            erp = self.erp_withdraw_rest(order.canonical_id)
        except CrossdockError as exc:
            problem = (
                f"the rest of order {order.order_number} was cancelled in the hub; the ERP "
                f"did not cancel the rest of its sale {order.erp_number or order.erp_id}: "
                f"{exc}. Cancel its open shipment in the ERP, or cancel the order again"
            )
            step = Step("cancel", "erp_rest_open", {"erp_id": order.erp_id, "error": str(exc)})
            moved = self.store.orders.transition(
                order.id, {order.status}, Move(order.status, problem=problem, steps=[step])
            )
            return moved or self.get(order.id)
        detail = {"erp_id": order.erp_id, "erp_state": erp.state if erp else None}
        moved = self.store.orders.transition(
            order.id,
            {order.status},
            Move(order.status, problem=None, steps=[Step("cancel", "erp_rest_cancelled", detail)]),
        )
        return moved or self.get(order.id)

    # -- the rules and the decision -------------------------------------------------------
    def _evaluate(
        self,
        order: OrderRow,
        customer: Customer,
        products: dict[str, Product],
        *,
        only: frozenset[RuleName] | None = None,
        kept: list[RuleResult] | None = None,
        audit: tuple[str, str, dict[str, object]] | None = None,
        fresh: list[LineRow] | None = None,
    ) -> OrderRow:
        """Run the rules (``only`` these, keeping ``kept``'s results) and decide.

        ``fresh``: the lines of an order just created (not read again; nothing held yet).
        """
        cfg = self.config.rules(order.channel)
        lines = fresh if fresh is not None else self.store.orders.lines(order.id)

        def runs(name: RuleName, enabled: bool) -> bool:
            return enabled and (only is None or name in only)

        results: list[RuleResult] = list(kept or [])
        if runs(RuleName.CUSTOMER, cfg.customer.enabled):
            results.append(check_customer(customer, cfg.customer))
        if runs(RuleName.BILL_TO, cfg.bill_to.enabled) and order.bill_to is not None:
            results.append(check_bill_to(customer, order.bill_to, cfg.bill_to))
        if runs(RuleName.SKU, cfg.sku.enabled):
            results.append(check_skus(lines, products, order.channel, cfg.sku))
        if runs(RuleName.PO, cfg.po.enabled):
            others = (
                self.store.orders.with_po(order.customer_id, order.customer_po, order.id)
                if order.customer_po
                else []
            )
            results.append(check_po(order.customer_po, others, cfg.po))
        prices = {ln.line_number: (ln.unit_price, ln.price_note) for ln in lines}
        if only is None:  # prices are settled once per revision
            priced = check_prices(lines, self._quote(order, lines), cfg.price)
            prices = priced.prices
            if cfg.price.enabled or priced.result.action is not Action.PASSED:
                results.append(priced.result)
        rejected = any(r.action is Action.REJECTED for r in results)
        steps = [Step("rule", r.action.value, r.as_dict()) for r in results[len(kept or []) :]]
        if not rejected and runs(RuleName.STOCK, cfg.stock.enabled):
            results.append(
                self._stock(order, lines, customer, cfg.stock, steps, fresh=fresh is not None)
            )
        total = sum(
            (ln.quantity * (prices[ln.line_number][0] or Decimal(0)) for ln in lines), Decimal(0)
        )
        credit_runs = runs(RuleName.CREDIT, cfg.credit.enabled) or (
            only is not None and cfg.credit.enabled
        )

        def decide(locked: OrderRow, exposure: Decimal) -> Decision:
            final = list(results)
            extra: list[Step] = []
            if credit_runs and not any(r.action is Action.REJECTED for r in final):
                final = [r for r in final if r.rule is not RuleName.CREDIT]
                credit = check_credit(total, exposure, customer.credit_limit, cfg.credit)
                final.append(credit)
                extra.append(Step("rule", credit.action.value, credit.as_dict()))
            holds = sorted({r.reason.value for r in final if r.action is Action.HELD and r.reason})
            if any(r.action is Action.REJECTED for r in final):
                status = OrderState.REJECTED
            elif holds:
                status = OrderState.ON_HOLD
            else:
                status = OrderState.ACCEPTED
            return Decision(
                status=status,
                holds=holds,
                rules=[r.as_dict() for r in final],
                total=total,
                prices=prices,
                steps=[*steps, *extra, Step("decision", status.value, {"holds": holds})],
                audit=audit,
            )

        done = self.store.orders.decide(order.id, order.revision, decide)
        if done.status is OrderState.REJECTED:
            self._give_back(done)
        return done

    def _quote(self, order: OrderRow, lines: list[LineRow]) -> dict[int, Decimal | None]:
        """The pricing service's unit price per line (None where it has none)."""
        quote = self.pricing.quote(
            QuoteRequest(
                order.customer_id,
                [QuoteLine(ln.sku, ln.quantity, ln.unit) for ln in lines],
                ship_to=order.ship_to,
                channel=order.channel,
                currency=order.currency,
            )
        )
        out: dict[int, Decimal | None] = {}
        for ln, q in zip(lines, quote.lines, strict=True):
            out[ln.line_number] = q.unit_price if isinstance(q, PricedLine) else None
        return out

    def _stock(
        self,
        order: OrderRow,
        lines: list[LineRow],
        customer: Customer,
        cfg_rule: StockRule,
        steps: list[Step],
        *,
        fresh: bool = False,
    ) -> RuleResult:
        """Reserve the lines not held yet: links and moved promises commit with the reserves."""
        site = next((s for s in customer.sites if s.code == order.ship_to), None)
        held = (
            set() if fresh else {ln.line_number for ln in self.store.orders.reservations(order.id)}
        )
        todo = [ln for ln in lines if ln.line_number not in held]
        by_number = {ln.line_number: ln for ln in lines}

        def record(stx: StockTx, links: list[ReservationLink], promises: Promises) -> None:
            changed = {  # a line's promise is written only when it moved
                n: p
                for n, p in promises.items()
                if p != (by_number[n].backordered, by_number[n].promise_date)
            }
            self.store.orders.link_in(stx.tx, order.id, links, changed)

        got = reserve_lines(
            self.availability,
            order,
            todo,
            region=site.region if site else None,
            rule=cfg_rule,
            record=record,
        )
        # a line a retried try had already reserved kept its promise on the line
        promises = {
            ln.line_number: (ln.backordered, ln.promise_date)
            for ln in lines
            if ln.line_number in held and ln.backordered
        } | got.promises
        if got.short:
            self._give_back(order)
            cleared: Promises = {n: (Decimal(0), None) for n, (q, _d) in promises.items() if q}
            self.store.orders.link(order.id, [], cleared)
            steps.append(Step("reservation", "released", {"short": got.short}))
            self.store.orders.bump_attempt(order.id)  # the next reservations need new keys
            return failed(RuleName.STOCK, cfg_rule, HoldReason.STOCK, "; ".join(got.short))
        owed = backorders(promises)
        made: dict[str, object] = {
            "reservations": [
                {
                    "id": ln.reservation_id,
                    "line": ln.line_number,
                    "location": ln.location,
                    "quantity": str(ln.quantity),
                }
                for ln in got.links
            ],
        }
        if owed:
            made["backorders"] = owed
        steps.append(Step("reservation", "reserved", made))
        detail = "; ".join(
            f"line {b['line']}: {b['quantity']} backordered, promised {b['promise_date']}"
            for b in owed
        )
        return RuleResult(RuleName.STOCK, Action.PASSED, None, detail)

    def _give_back_stale(self, order: OrderRow) -> None:
        """Give back what an earlier revision of an undecided order still holds.

        The amendment is written first and its old reservations go back after it;
        a process killed in between leaves them linked. Reservation keys name
        the revision (:mod:`.stock`), so the retried body finds them.
        """
        current = f"{order.id}:{order.revision}."
        stale = []
        for link in self.store.orders.reservations(order.id):
            try:
                key = self.availability.reservations.get(link.reservation_id).idempotency_key
            except NotFound:
                key = ""
            if not key.startswith(current):
                stale.append(link)
        if stale:
            self.store.orders.unlink(release_all(self.availability, stale))

    def _give_back(self, order: OrderRow) -> None:
        links = self.store.orders.reservations(order.id)
        self.store.orders.unlink(release_all(self.availability, links))

    def _resend(self, order: OrderRow, actor: str) -> None:
        """The ERP refused the order: its parked versions step aside so it is sent afresh."""
        route = self.erp_route
        if route is None or order.canonical_id is None:
            return
        with self.store.write() as tx:
            moved = self.store.parked.close(
                tx, route.name, order.canonical_id, ParkedStatus.SKIPPED
            )
            tx.audit(
                actor,
                "order.resend",
                order.id,
                {"route": route.name, "record": order.canonical_id, "parked_rows": moved},
            )

    @property
    def erp_route(self) -> RouteConfig | None:
        name = self.config.erp_route
        return next((r for r in self.routes if r.name == name), None) if name else None

    # -- holds ----------------------------------------------------------------------------
    def release(self, order_id: str, *, actor: str, note: str) -> OrderRow:
        """Re-run the rules that held the order; accepted when they pass. Audited."""
        order = self.get(order_id)
        if order.status is not OrderState.ON_HOLD:
            raise ConflictError(f"order {order_id} is {order.status.value}, not on hold")
        return self.rerun(
            order,
            Step("release", "asked", {"actor": actor, "note": note}),
            audit=(actor, "order.release", {"note": note}),
        )

    def rerun(
        self, order: OrderRow, why: Step, *, audit: tuple[str, str, dict[str, object]]
    ) -> OrderRow:
        """Run again the rules that held ``order`` (waiving price and PO holds), after ``why``."""
        customer = self.customer_of(order)
        lines = self.store.orders.lines(order.id)
        products = load_products(self.store, list(dict.fromkeys(ln.sku for ln in lines)))
        missing = sorted({ln.sku for ln in lines} - set(products))
        if missing:
            raise ConflictError(f"order {order.id}: SKU(s) {', '.join(missing)} no longer exist")
        held = [RuleResult.of(r) for r in order.rules]
        rerun = frozenset(
            r.rule for r in held if r.action is Action.HELD and r.reason not in _WAIVABLE
        )
        if (
            not self.store.orders.reservations(order.id)
            and self.config.rules(order.channel).stock.enabled
        ):
            # Its units went back (the ERP refused it, a reservation expired): reserve again.
            rerun |= {RuleName.STOCK}
        kept = [
            RuleResult(r.rule, Action.WAIVED, r.reason, r.detail)
            if r.action is Action.HELD and r.reason in _WAIVABLE
            else r
            for r in held
            if r.rule not in rerun and r.rule is not RuleName.CREDIT
        ]
        self.store.orders.note(order.id, [why])
        actor, action, detail = audit
        if ERP_REJECTED in order.holds:
            self._resend(order, actor)
        return self._evaluate(
            order,
            customer,
            products,
            only=rerun,
            kept=kept,
            audit=(actor, action, {**detail, "rerun": sorted(rerun)}),
        )

    def reject(self, order_id: str, *, actor: str, note: str) -> OrderRow:
        """Reject an order that is not final yet; its reservations go back. Audited."""
        order = self.get(order_id)
        if order.status not in (OrderState.RECEIVED, OrderState.ON_HOLD, OrderState.ACCEPTED):
            raise ConflictError(f"order {order_id} is {order.status.value}; it cannot be rejected")

        def decide(locked: OrderRow, exposure: Decimal) -> Decision:
            return Decision(
                status=OrderState.REJECTED,
                holds=locked.holds,
                rules=locked.rules,
                total=locked.total,
                steps=[Step("reject", "rejected", {"actor": actor, "note": note})],
                audit=(actor, "order.reject", {"note": note}),
            )

        done = self.store.orders.decide(order.id, order.revision, decide)
        self._give_back(done)
        return done

    # -- reads ----------------------------------------------------------------------------
    def get(self, order_id: str) -> OrderRow:
        order = self.store.orders.get(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}")
        return order

    def customer_of(self, order: OrderRow) -> Customer:
        """The order's customer as the store holds it now."""
        rec = self.store.records.get(EntityType.CUSTOMER, order.customer_id)
        if rec is None or rec.deleted:
            raise ConflictError(f"order {order.id}: customer {order.customer_account} is gone")
        try:
            return Customer.model_validate(rec.data)
        except ValidationError as exc:
            raise ConflictError(f"customer {order.customer_account} cannot be read") from exc


__all__ = ["ErpLookup", "ErpSale", "ErpWithdrawRest", "OrderService", "Submitted"]
