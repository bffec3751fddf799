"""Orders a channel's connector pulls (a shop's checkouts) taken into intake, unit by unit.

The same intake as ``POST /v1/orders`` with the channel's key: the channel is
the system's name, the body the connector mapped, so idempotency per
(channel, order number), the rules and the decision are the API's. A re-pull
of the same order answers the same order and writes nothing.

Ship-to: the site code the channel names; else the shipping address matched
against the customer's active ship-to sites (address line, postcode and
country as customer matching normalizes them). No match, or more than one,
refuses the order with a problem naming ``ship_to``.

An order the channel cancelled after intake took it is cancelled through the
order service (its reservations go back once; a cancelled order is left as
it is); one intake never took is ignored; a cancel the service refuses (the
order shipped) is filed as a business exception naming why.

An order intake refuses (unknown customer or SKU, no ship-to) or the
connector could not map becomes a business exception for a person (filed
once, however often the order is read again) and the unit goes on. Anything
else (the store down, a bug) stops the unit before its ``ack``: the channel's
bookmark stays and the next pass reads the same orders again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from crossdock.errors import ConflictError, ErrorCode, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer, SiteRole
from crossdock.services.customers import normalize as norm
from crossdock.services.orders.intake import OrderIn, customer_for
from crossdock.services.orders.service import OrderService
from crossdock.store import NewException
from crossdock.store.order_rows import Opened, OrderState
from crossdock.store.repos import rows


class ChannelOrderLike(Protocol):
    """What a connector's channel order carries (``connectors.base.ChannelOrder``)."""

    @property
    def system(self) -> str: ...
    @property
    def native_id(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def body(self) -> Mapping[str, Any]: ...
    @property
    def ship_to_address(self) -> Mapping[str, str | None] | None: ...
    @property
    def cancelled(self) -> bool: ...


class RefusedLike(Protocol):
    """An order the connector could not map (``connectors.base.SourceError``)."""

    @property
    def system(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def code(self) -> ErrorCode: ...
    @property
    def ref(self) -> str | None: ...
    @property
    def field(self) -> str | None: ...
    @property
    def native_id(self) -> str | None: ...
    @property
    def raw(self) -> Mapping[str, Any] | str | None: ...


class OrderUnitLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def orders(self) -> list[Any]: ...
    @property
    def ack(self) -> Callable[[], None]: ...
    @property
    def refused(self) -> list[Any]: ...


class OrderFeedLike(Protocol):
    def pull_orders(self) -> Iterator[Any]: ...


@dataclass(slots=True)
class FeedReport:
    """What one pass over a channel's orders did."""

    created: int = 0
    same: int = 0
    amended: int = 0
    cancelled: int = 0
    refused: int = 0
    units: int = 0

    def add(self, other: FeedReport) -> None:
        self.created += other.created
        self.same += other.same
        self.amended += other.amended
        self.cancelled += other.cancelled
        self.refused += other.refused
        self.units += other.units


def _key(address: Mapping[str, Any] | None) -> tuple[str, str, str] | None:
    if not address:
        return None
    line = norm.address_line(address.get("line1"), address.get("line2"))
    code = norm.postcode(address.get("postal_code"))
    country = str(address.get("country") or "").upper()
    return (line, code, country) if line and code else None


def match_ship_to(customer: Customer, address: Mapping[str, str | None] | None) -> str:
    """The one active ship-to site at ``address``; a problem naming ``ship_to`` otherwise."""
    wanted = _key(address)
    if wanted is None:
        raise InvalidInput(
            "ship_to: the order names no ship-to site and its address has no street and postcode",
            field="ship_to",
        )
    found = [
        s.code
        for s in customer.sites
        if SiteRole.SHIP_TO in s.roles
        and s.active is not False
        and _key(s.address.model_dump() if s.address else None) == wanted
    ]
    if len(found) != 1:
        where = ", ".join(v for v in wanted if v)
        raise InvalidInput(
            f"ship_to: {'no' if not found else 'more than one'} active ship-to site of the "
            f"customer is at {where}"
            + (f" ({', '.join(found)})" if found else "; add the site or name it in the order"),
            field="ship_to",
        )
    return found[0]


class ChannelFeed:
    """Takes the orders of channels' order feeds into the order service."""

    def __init__(self, orders: OrderService) -> None:
        self.orders = orders
        self.store = orders.store

    def run(self, feed: OrderFeedLike) -> FeedReport:
        """Every unit the feed has now: each order taken or filed, then the unit acked."""
        report = FeedReport()
        for unit in feed.pull_orders():
            self.take(unit, report)
        return report

    def take(self, unit: OrderUnitLike, report: FeedReport) -> None:
        for bad in unit.refused:
            self._file_refused(bad)
            report.refused += 1
        for order in unit.orders:
            self._take_one(order, report)
        unit.ack()  # only now: everything of the unit is committed
        report.units += 1

    def _take_one(self, order: ChannelOrderLike, report: FeedReport) -> None:
        if order.cancelled:
            self._cancel(order, report)
            return
        try:
            body = self._body(order)
            done = self.orders.submit(order.system, body)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "body"
            self._file(order, InvalidInput(f"{field}: {err['msg']}", field=field))
            report.refused += 1
            return
        except (InvalidInput, ConflictError) as exc:
            self._file(order, exc)
            report.refused += 1
            return
        if done.opened is Opened.CREATED:
            report.created += 1
        elif done.opened is Opened.AMENDED:
            report.amended += 1
        else:
            report.same += 1

    def _cancel(self, order: ChannelOrderLike, report: FeedReport) -> None:
        number = str(order.body.get("order_number") or "")
        found = self.store.orders.find(order.system, number) if number else None
        if found is None or found.status is OrderState.CANCELLED:
            report.same += 1  # never taken, or cancelled already: nothing to do
            return
        try:
            self.orders.cancel(
                found.id, actor=f"channel:{order.system}", note=f"cancelled in {order.system}"
            )
        except (InvalidInput, ConflictError) as exc:
            self._file(order, exc, doing="cancelled")
            report.refused += 1
            return
        report.cancelled += 1

    def _body(self, order: ChannelOrderLike) -> OrderIn:
        doc = dict(order.body)
        if doc.get("ship_to"):
            return OrderIn.model_validate(doc)
        # no site named: validate with a stand-in, find the customer, match the address
        probe = OrderIn.model_validate({**doc, "ship_to": "-"})
        _cid, customer = customer_for(self.store, order.system, probe)
        return OrderIn.model_validate(
            {**doc, "ship_to": match_ship_to(customer, order.ship_to_address)}
        )

    # -- business exceptions ------------------------------------------------------------
    def _file(
        self, order: ChannelOrderLike, exc: InvalidInput | ConflictError, *, doing: str = "taken"
    ) -> None:
        self._add(
            NewException(
                system=order.system,
                code=(exc.code or ErrorCode.VALIDATION_FAILED).value,
                reason=f"order {order.body.get('order_number')} not {doing}: {exc}",
                entity_type=EntityType.ORDER.value,
                native_id=order.native_id,
                ref=order.ref,
                field=getattr(exc, "field", None),
                payload={"body": dict(order.body)},
            )
        )

    def _file_refused(self, bad: RefusedLike) -> None:
        raw = bad.raw if isinstance(bad.raw, Mapping) else {"raw": bad.raw}
        self._add(
            NewException(
                system=bad.system,
                code=bad.code.value,
                reason=bad.reason,
                entity_type=EntityType.ORDER.value,
                native_id=bad.native_id,
                ref=bad.ref,
                field=bad.field,
                payload=dict(raw),
            )
        )

    def _add(self, new: NewException) -> None:
        """File ``new`` unless the same refusal of the same order is open already."""
        for row in self._open(new.system):
            if row.native_id == new.native_id and row.reason == new.reason:
                return
        with self.store.write() as tx:
            tx.add_exceptions([new], rows.now())

    def _open(self, system: str) -> Iterable[Any]:
        after = 0
        while True:
            page = self.store.exceptions.page(system=system, after_id=after, limit=500)
            yield from page
            if len(page) < 500:
                return
            after = page[-1].id


__all__ = ["ChannelFeed", "FeedReport", "match_ship_to"]
