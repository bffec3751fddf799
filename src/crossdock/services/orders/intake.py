"""Intake: an order as a channel sends it, checked and resolved against the canonical records.

:class:`OrderIn` is the body (the API's and the service's); :func:`resolve`
turns it into the store's :class:`NewOrder` and the records the rules need,
or refuses it with an :class:`InvalidInput` naming the line and field
(``lines.3.sku``): an unknown customer or SKU, a ship-to that is not an
active ship-to site of the customer's, a unit the item does not have.
Nothing is written before this passes.

The customer is named by account number (``customer``) or by the channel's
own id for it (``channel_customer_id``, looked up in the crosswalk under the
channel's system); when both are given they must name the same customer.
A bill-to that is not an active bill-to site of the customer is refused here
when the channel's ``bill_to`` rule says ``reject``; else the rule holds the
order (:func:`crossdock.services.orders.rules.check_bill_to`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossdock.config.orders import BillToRule, OnFail
from crossdock.errors import InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer, SiteRole
from crossdock.model.order import Order
from crossdock.model.product import Product
from crossdock.model.values import CurrencyCode, NonNegativeDecimal, PositiveDecimal, UnitCode
from crossdock.services.orders.rules import site_problem
from crossdock.store import Store
from crossdock.store.order_rows import LineRow, NewOrder
from crossdock.store.records import Keyed

NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"
MAX_LINES = 10_000
"""The body's hard ceiling; the channel's ``orders.max_lines`` is the limit that applies."""
_NEW_OPTIONAL = ("channel_customer_id", "bill_to")
"""Fields added after orders were first hashed: left out of the hash when absent."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class OrderLineIn(_In):
    line_number: int = Field(ge=1, le=1_000_000)
    sku: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    quantity: PositiveDecimal = Field(description="in `unit`; above zero")
    unit: UnitCode | None = Field(default=None, description="default: the item's base unit")
    unit_price: NonNegativeDecimal | None = Field(
        default=None, description="the channel's price; default: the pricing service's"
    )


class OrderIn(_In):
    order_number: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    customer: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL,
        description="account number (or give `channel_customer_id`)",
    )
    channel_customer_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL,
        description="the channel's own id for the customer (resolved through the crosswalk)",
    )
    ship_to: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL, description="site code")
    bill_to: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=NO_CONTROL, description="site code"
    )
    customer_po: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_CONTROL)
    currency: CurrencyCode | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)

    def body_hash(self) -> str:
        """The same order sent again hashes the same (numbers as canonical decimals)."""
        doc = self.model_dump(mode="json")
        for key in _NEW_OPTIONAL:
            if doc[key] is None:
                del doc[key]
        for line in doc["lines"]:
            for key in ("quantity", "unit_price"):
                if line[key] is not None:
                    line[key] = str(Decimal(line[key]).normalize())
        return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class Resolved:
    """An order resolved: what the store keeps, and the records the rules read."""

    new: NewOrder
    customer: Customer
    products: dict[str, Product]


def _customer_id(store: Store, channel: str, body: OrderIn) -> tuple[str, str]:
    """The canonical id the body names, and the field that named it."""
    if body.customer is None and body.channel_customer_id is None:
        raise InvalidInput(
            "customer: name the customer by `customer` (account) or `channel_customer_id`",
            field="customer",
        )
    by_account = by_ref = None
    if body.customer is not None:
        by_account = store.crosswalk.find_by_key(
            EntityType.CUSTOMER, "account_number", body.customer
        )
        if by_account is None:
            raise InvalidInput(f"customer: unknown customer {body.customer!r}", field="customer")
    if body.channel_customer_id is not None:
        by_ref = store.crosswalk.resolve(channel, EntityType.CUSTOMER, body.channel_customer_id)
        if by_ref is None:
            raise InvalidInput(
                f"channel_customer_id: {channel} has no customer {body.channel_customer_id!r}",
                field="channel_customer_id",
            )
    if by_account is not None and by_ref is not None and by_account != by_ref:
        raise InvalidInput(
            f"channel_customer_id: {body.channel_customer_id!r} is not customer {body.customer!r}",
            field="channel_customer_id",
        )
    if by_account is not None:
        return by_account, "customer"
    assert by_ref is not None
    return by_ref, "channel_customer_id"


def _customer(store: Store, channel: str, body: OrderIn) -> tuple[str, Customer]:
    rid, field = _customer_id(store, channel, body)
    rec = store.records.get(EntityType.CUSTOMER, rid)
    found = None if rec is None or rec.deleted else Keyed(rid, rec.data)
    return _customer_of(found, field, body)


def _customer_of(found: Keyed | None, field: str, body: OrderIn) -> tuple[str, Customer]:
    """The customer the body named by ``field``, as read (None: no such live record)."""
    named = body.customer if field == "customer" else body.channel_customer_id
    if found is None:
        raise InvalidInput(f"{field}: unknown customer {named!r}", field=field)
    try:
        return found.id, Customer.model_validate(found.data)
    except ValidationError as exc:
        raise InvalidInput(
            f"{field}: customer {named!r} cannot be read: {exc.errors()[0]['msg']}",
            field=field,
        ) from exc


def from_canonical(order: Order) -> OrderIn:
    """The intake body of a canonical order a channel's connector mapped (an EDI 850).

    The customer is its account number; a value the body refuses (an empty
    ship-to, say) is an InvalidInput naming the field.
    """
    try:
        return OrderIn(
            order_number=order.order_number,
            customer=order.customer_account,
            ship_to=order.ship_to or "",
            bill_to=order.bill_to,
            customer_po=order.customer_po,
            currency=order.currency,
            lines=[
                OrderLineIn(
                    line_number=ln.line_number,
                    sku=ln.sku,
                    quantity=ln.quantity,
                    unit=ln.unit,
                    unit_price=ln.unit_price,
                )
                for ln in order.lines
            ],
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidInput(f"{where}: {err['msg']}", field=where) from exc


def customer_for(store: Store, channel: str, body: OrderIn) -> tuple[str, Customer]:
    """The canonical customer ``body`` names (account or channel id); a problem naming the field."""
    return _customer(store, channel, body)


def _products(found: dict[str, Keyed]) -> dict[str, Product]:
    """The products read (an unreadable one left out: the SKU rule names it unknown)."""
    out: dict[str, Product] = {}
    for sku, rec in found.items():
        try:
            out[sku] = Product.model_validate(rec.data)
        except ValidationError:
            continue
    return out


def load_products(store: Store, skus: list[str]) -> dict[str, Product]:
    (found,) = store.records.data_by_keys([(EntityType.PRODUCT, "sku", skus)])
    return _products(found)


def _customer_and_products(
    store: Store, channel: str, body: OrderIn
) -> tuple[str, Customer, dict[str, Product]]:
    skus = list(dict.fromkeys(line.sku for line in body.lines))
    if body.customer is None or body.channel_customer_id is not None:
        cid, customer = _customer(store, channel, body)
        return cid, customer, load_products(store, skus)
    # the usual case, by account number: the customer and the SKUs in one read
    named, found = store.records.data_by_keys(
        [
            (EntityType.CUSTOMER, "account_number", [body.customer]),
            (EntityType.PRODUCT, "sku", skus),
        ]
    )
    cid, customer = _customer_of(named.get(body.customer), "customer", body)
    return cid, customer, _products(found)


def resolve(store: Store, channel: str, body: OrderIn, bill_to: BillToRule) -> Resolved:
    """Check ``body`` against the records; the order to store, or a problem naming the field."""
    cid, customer, products = _customer_and_products(store, channel, body)
    if (why := site_problem(customer, body.ship_to, SiteRole.SHIP_TO)) is not None:
        raise InvalidInput(f"ship_to: {why}", field="ship_to")
    if (
        body.bill_to is not None
        and bill_to.enabled
        and bill_to.on_fail is OnFail.REJECT
        and (why := site_problem(customer, body.bill_to, SiteRole.BILL_TO)) is not None
    ):
        raise InvalidInput(f"bill_to: {why}", field="bill_to")
    seen: set[int] = set()
    for i, line in enumerate(body.lines):
        if line.line_number in seen:
            raise InvalidInput(
                f"lines.{i}.line_number: line number {line.line_number} is repeated",
                field=f"lines.{i}.line_number",
            )
        seen.add(line.line_number)
    lines: list[LineRow] = []
    for i, line in enumerate(body.lines):
        product = products.get(line.sku)
        if product is None:
            raise InvalidInput(f"lines.{i}.sku: unknown SKU {line.sku!r}", field=f"lines.{i}.sku")
        unit = line.unit or product.base_uom
        known = [product.base_uom, *(u.code for u in product.units)]
        if unit not in known:
            raise InvalidInput(
                f"lines.{i}.unit: unit {unit!r} is not one of {line.sku!r}'s ({', '.join(known)})",
                field=f"lines.{i}.unit",
            )
        lines.append(
            LineRow(
                line.line_number,
                line.sku,
                line.quantity,
                unit,
                product.to_base(line.quantity, unit),
                channel_price=line.unit_price,
            )
        )
    new = NewOrder(
        channel=channel,
        order_number=body.order_number,
        customer_id=cid,
        customer_account=customer.account_number or body.customer or cid,
        ship_to=body.ship_to,
        bill_to=body.bill_to,
        customer_po=body.customer_po,
        currency=body.currency,
        body_hash=body.body_hash(),
        lines=lines,
    )
    return Resolved(new, customer, products)


__all__ = [
    "MAX_LINES",
    "OrderIn",
    "OrderLineIn",
    "Resolved",
    "customer_for",
    "from_canonical",
    "load_products",
    "resolve",
]
