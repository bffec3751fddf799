"""The application: one hub and the services that live as long as it.

:class:`Application` is what `crossdock serve`, every CLI command, the demo
and the tests run: it holds the hub (hub file, store, connectors), and builds
the one pricing service and the one availability service on first use, so
the API, the sync steps and the CLI share their in-memory indexes instead of
each building its own. It adds the services' steps to the hub's sync passes
(:meth:`attach_steps`), warms the pricing index for a server
(:meth:`warm`), and freezes the long-lived heap out of the collector's way
(:meth:`freeze`).
"""

from __future__ import annotations

import gc
import logging
import threading
from types import TracebackType
from typing import Literal

from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Connector, IntakeAnswer, SignedAnswer, SignedDocuments
from crossdock.connectors.registry import connector_class
from crossdock.errors import BadSignature, InvalidInput, NotFound
from crossdock.model.order import Order, OrderLine
from crossdock.services.availability.service import AvailabilityService
from crossdock.services.customers.onboarding import Onboarder
from crossdock.services.customers.service import CustomerService
from crossdock.services.orders.channel_feed import ChannelFeed, FeedReport
from crossdock.services.orders.engine import OrderEngine
from crossdock.services.orders.fulfilment import FulfilmentConsumer
from crossdock.services.orders.intake import from_canonical
from crossdock.services.orders.service import (
    ErpLookup,
    ErpSale,
    ErpWithdrawRest,
    OrderService,
)
from crossdock.services.pricing.service import PricingService
from crossdock.sync.runtime import Hub

_log = logging.getLogger(__name__)


class Application:
    """A hub and its services; the caller that opened it closes it."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._lock = threading.Lock()
        self._pricing: PricingService | None = None
        self._availability: AvailabilityService | None = None
        self._orders: OrderService | None = None
        self._fulfilment: FulfilmentConsumer | None = None
        self._engine: OrderEngine | None = None
        self._customers: CustomerService | None = None
        self._onboarder: Onboarder | None = None
        self._attached = False

    @classmethod
    def open(cls, config: HubConfig, *, store_url: str | None = None) -> Application:
        """The application of a hub file (``store_url`` overrides the file's store)."""
        return cls(Hub.open(config, store_url=store_url))

    # -- the services, one each -------------------------------------------------------------
    @property
    def pricing(self) -> PricingService:
        """The pricing service: quotes, books, the publisher's repricing; built on first use."""
        with self._lock:
            if self._pricing is None:
                self._pricing = PricingService(self.hub.store, self.hub.config.pricing)
            return self._pricing

    @property
    def availability(self) -> AvailabilityService:
        """The availability service: ATP, sourcing, reservations, feeds; built on first use."""
        with self._lock:
            if self._availability is None:
                self._availability = AvailabilityService(self.hub)
            return self._availability

    @property
    def orders(self) -> OrderService:
        """The order service, on the application's pricing and availability services."""
        pricing, availability = self.pricing, self.availability
        with self._lock:
            if self._orders is None:
                self._orders = OrderService(
                    self.hub.store,
                    self.hub.config.orders,
                    pricing,
                    availability,
                    self.hub.config.routes,
                    erp=self._erp_lookup(),
                    erp_withdraw_rest=self._erp_withdraw_rest(),
                )
            return self._orders

    def _erp_lookup(self) -> ErpLookup | None:
        """How the order service asks the ERP route's system about its sale of an order.

        The connector is built on the first question, not here (a process without
        the ERP's secret still takes orders; it fails only when it must ask).
        """
        system = self._erp_system()
        if system is None:
            return None

        def lookup(canonical_id: str) -> ErpSale | None:
            erp = self.hub.connector(system).erp_orders()
            return None if erp is None else erp.order_state(canonical_id)

        return lookup

    def _erp_withdraw_rest(self) -> ErpWithdrawRest | None:
        """How the order service has the ERP cancel the rest of a partly shipped order."""
        system = self._erp_system()
        if system is None:
            return None

        def withdraw(canonical_id: str) -> ErpSale | None:
            erp = self.hub.connector(system).erp_orders()
            return None if erp is None else erp.withdraw_rest(canonical_id)

        return withdraw

    def _erp_system(self) -> str | None:
        name = self.hub.config.orders.erp_route
        route = next((r for r in self.hub.config.routes if r.name == name), None)
        return None if route is None else route.destination

    @property
    def fulfilment(self) -> FulfilmentConsumer:
        """The consumer that applies shipments and invoices to orders."""
        availability = self.availability
        with self._lock:
            if self._fulfilment is None:
                self._fulfilment = FulfilmentConsumer(
                    self.hub.store,
                    availability,
                    owner=self.hub.owner,
                    lease_seconds=self.hub.config.delivery.lease_seconds,
                )
            return self._fulfilment

    @property
    def engine(self) -> OrderEngine:
        """The order engine: publishes decided orders, follows the ERP route's answers."""
        availability = self.availability
        with self._lock:
            if self._engine is None:
                self._engine = OrderEngine(
                    self.hub.store, self.hub.config, self.hub.ingestor, availability
                )
            return self._engine

    @property
    def customers(self) -> CustomerService:
        """The customer service: dedupe, EM training, the stewardship review queue."""
        with self._lock:
            if self._customers is None:
                self._customers = CustomerService(
                    self.hub.store, self.hub.config.customers, self.hub.ingestor
                )
            return self._customers

    @property
    def onboarding(self) -> Onboarder:
        """The customer onboarding workflow (InvalidInput when the hub file has none)."""
        customers = self.hub.config.customers
        with self._lock:
            if self._onboarder is None:
                if customers is None:
                    raise InvalidInput(
                        "onboarding is off: add customers.onboarding to the hub file",
                        field="customers.onboarding",
                    )
                self._onboarder = Onboarder(
                    self.hub.store, customers, self.hub.ingestor, self.hub.destination
                )
            return self._onboarder

    def pull_orders(self, systems: list[str] | None = None) -> FeedReport:
        """Take the orders of every system that is a sales channel with an order feed.

        Each feed's unit is acknowledged (its bookmark moved) only after intake
        took or filed every order in it; an error stops that system's pass before.
        """
        feed = ChannelFeed(self.orders)
        total = FeedReport()
        for name in systems or self._systems_with("order_feed"):
            source = self.hub.connector(name).order_feed()
            if source is None:
                continue
            total.add(feed.run(source))
        return total

    # -- sync passes --------------------------------------------------------------------------
    def attach_steps(self) -> None:
        """Add the services' steps the hub file configures to the hub's sync passes (once).

        Publishing customer prices for routes to channels (when ``pricing.publish``
        says so); feeding committed inventory to the stock positions; sweeping
        expired reservations and sending queued availability changes; re-checking
        orders held for credit or stock (every ``orders.recheck_seconds``); applying
        shipments and invoices to their orders.
        """
        if self._attached:
            return
        self._attached = True
        if self.hub.config.pricing.publish:
            from crossdock.services.pricing.publish import PricePublisher

            publisher = PricePublisher(self.pricing, self.hub.ingestor)
            self.hub.add_step("pricing.publish", publisher.run)
        # Availability is always on: inventory the hub holds is stock it can promise.
        availability = self.availability

        def feed_inventory() -> None:
            # Canonical inventory committed since the last pass reaches the stock positions.
            availability.inventory.run()

        def sweep_and_publish() -> None:
            # Expired holds give their units back; ATP changes a crashed process had
            # queued but not yet sent go out now.
            availability.reservations.sweep()
            availability.ctx.publisher.drain()

        fulfilment = self.fulfilment

        def fulfil_orders() -> None:
            # Shipments and invoices committed since the last pass move their orders.
            fulfilment.run()

        customers = self.hub.config.customers
        if customers is not None and customers.onboarding is not None:
            onboarder, owner = self.onboarding, self.hub.owner

            def onboard() -> None:
                # Each onboarding moves a committed step at a time; a pass cut short
                # (or a killed process) is taken up by the next pass.
                onboarder.pump(owner)

            self.hub.add_step("customers.onboarding", onboard)
        self._attach_documents()
        self.hub.add_step("availability.inventory", feed_inventory)
        channels = self._systems_with("order_feed")

        def channel_orders() -> None:
            # Orders the sales channels took (a shop's checkouts) reach intake in the same
            # pass; one channel failing (its bookmark stays) does not stop the others.
            for name in channels:
                try:
                    self.pull_orders([name])
                except Exception:
                    _log.exception("taking the orders of %s failed", name)

        if channels:
            self.hub.add_step("orders.channels", channel_orders)
        self.hub.add_step("orders.fulfilment", fulfil_orders)
        self.hub.add_step("availability.sweep", sweep_and_publish)
        # Decided orders go out (to the ERP, to their channel) in the same pass.
        self.hub.add_step("orders.engine", self.engine.run)
        if self.hub.config.orders.recheck_seconds > 0:
            from crossdock.services.orders.holds import HoldSweeper

            # Orders held for credit or stock release themselves once the cause clears.
            self.hub.add_step("orders.holds", HoldSweeper(self.orders).due)

    def take_order(self, channel: str, order: Order) -> IntakeAnswer:
        """A channel's canonical order into the order service (what document exchanges call)."""
        done = self.orders.submit(channel, from_canonical(order))
        return IntakeAnswer(done.order.id, done.order.status.value)

    def current_order(self, channel: str, order_number: str) -> Order | None:
        """The order the hub holds for a channel's order number, as the canonical body it took."""
        store = self.hub.store
        row = store.orders.find(channel, order_number)
        if row is None:
            return None
        lines = [
            OrderLine(
                line_number=ln.line_number,
                sku=ln.sku,
                quantity=ln.quantity,
                unit=ln.unit,
                unit_price=ln.channel_price,
            )
            for ln in store.orders.lines(row.id)
        ]
        return Order(
            order_number=row.order_number,
            channel=channel,
            customer_account=row.customer_account,
            ship_to=row.ship_to,
            customer_po=row.customer_po,
            currency=row.currency,
            lines=lines,
        )

    def cancel_order(self, channel: str, order_number: str, reason: str) -> IntakeAnswer:
        """A channel cancels its whole order (an EDI 860 with BCH01 01); audited, idempotent."""
        row = self.hub.store.orders.find(channel, order_number)
        if row is None:
            raise NotFound(f"there is no order {order_number} from {channel}")
        done = self.orders.cancel(row.id, actor=f"channel:{channel}", note=reason)
        return IntakeAnswer(done.id, done.status.value)

    def receive_signed(self, system: str, headers: dict[str, str], body: bytes) -> SignedAnswer:
        """A signed document message (AS2) for a trading partner; BadSignature when unproven.

        A system that is not in the hub file, or does not send signed documents,
        is refused the same way, so the answer does not tell which names exist.
        """
        if system not in {s.name for s in self.hub.config.systems}:
            raise BadSignature(f"no system {system!r}")
        documents = self.hub.connector(system).documents()
        if not isinstance(documents, SignedDocuments) or not documents.receives_signed():
            raise BadSignature(f"{system} does not send signed documents")
        return documents.receive_signed(headers, body, self.take_order, self)

    def receive_signed_receipt(self, system: str, headers: dict[str, str], body: bytes) -> None:
        """An asynchronous AS2 MDN for a partner; BadSignature when unproven (same refusals)."""
        if system not in {s.name for s in self.hub.config.systems}:
            raise BadSignature(f"no system {system!r}")
        documents = self.hub.connector(system).documents()
        if not isinstance(documents, SignedDocuments) or not documents.receives_signed():
            raise BadSignature(f"{system} does not send signed documents")
        documents.receive_signed_receipt(headers, body)

    def current(self, channel: str, order_number: str) -> Order | None:
        """:class:`~crossdock.connectors.base.OrderChanges`: see :meth:`current_order`."""
        return self.current_order(channel, order_number)

    def cancel(self, channel: str, order_number: str, reason: str) -> IntakeAnswer:
        """:class:`~crossdock.connectors.base.OrderChanges`: see :meth:`cancel_order`."""
        return self.cancel_order(channel, order_number, reason)

    def _attach_documents(self) -> None:
        """A step per trading partner: its received documents in, before the orders go out.

        A system's kind says whether it exchanges documents (it overrides
        ``documents``) without building its connector here.
        """
        for system in self._systems_with("documents"):

            def exchange(name: str = system) -> None:
                documents = self.hub.connector(name).documents()
                if documents is not None:
                    documents.exchange(self.take_order, self)

            self.hub.add_step(f"{system}.documents", exchange)

    def _systems_with(self, role: Literal["documents", "order_feed"]) -> list[str]:
        """The systems whose connector kind overrides ``role``.

        Read from the class: no connector is built, nor its secret asked for, to learn it.
        """
        out: list[str] = []
        for system in self.hub.config.systems:
            try:
                cls = connector_class(system.kind)
            except InvalidInput:
                continue  # an unknown kind is reported where the system is used
            if getattr(cls, role) is not getattr(Connector, role):
                out.append(system.name)
        return out

    # -- serving ------------------------------------------------------------------------------
    def warm(self) -> threading.Thread:
        """Build the pricing index in the background, so the first quote does not wait for it.

        At 100k SKUs the index takes tens of seconds to build; `crossdock serve`
        starts this at startup. A quote that comes earlier waits on the service's
        lock and gets the same, complete index.
        """
        pricing = self.pricing

        def build() -> None:
            try:
                pricing.refresh()
            except Exception:
                _log.exception("warming the pricing index failed")

        thread = threading.Thread(target=build, name="crossdock-pricing-warm", daemon=True)
        thread.start()
        return thread

    @staticmethod
    def freeze() -> None:
        """Keep what startup built out of the cyclic collector's full passes.

        What a server builds before it answers lives as long as the process;
        left to the collector, its full passes stop every request for ~150 ms
        now and then. (The pricing service freezes its own index as it builds it.)
        """
        gc.freeze()

    # -- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        self.hub.close()

    def __enter__(self) -> Application:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["Application"]
