"""Intake: an order as a channel sends it, checked and resolved against the canonical records.

:class:`OrderIn` is the body (the API's and the service's); :func:`resolve`
turns it into the store's :class:`NewOrder` and the records the rules need,
or refuses it with an :class:`InvalidInput` naming the line and field
(``lines.3.sku``): an unknown customer or SKU, a ship-to that is not the
customer's, a unit the item does not have. Nothing is written before this
passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossdock.errors import InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer, SiteRole
from crossdock.model.product import Product
from crossdock.model.values import CurrencyCode, NonNegativeDecimal, PositiveDecimal, UnitCode
from crossdock.store import Store
from crossdock.store.order_rows import LineRow, NewOrder

NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"
MAX_LINES = 1000


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
    customer: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL, description="account")
    ship_to: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL, description="site code")
    customer_po: str | None = Field(default=None, min_length=1, max_length=64, pattern=NO_CONTROL)
    currency: CurrencyCode | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)

    def body_hash(self) -> str:
        """The same order sent again hashes the same (numbers as canonical decimals)."""
        doc = self.model_dump(mode="json")
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


def _customer(store: Store, account: str) -> tuple[str, Customer]:
    rid = store.crosswalk.find_by_key(EntityType.CUSTOMER, "account_number", account)
    rec = store.records.get(EntityType.CUSTOMER, rid) if rid else None
    if rid is None or rec is None or rec.deleted:
        raise InvalidInput(f"customer: unknown customer {account!r}", field="customer")
    try:
        return rid, Customer.model_validate(rec.data)
    except ValidationError as exc:
        raise InvalidInput(
            f"customer: customer {account!r} cannot be read: {exc.errors()[0]['msg']}",
            field="customer",
        ) from exc


def load_products(store: Store, skus: list[str]) -> dict[str, Product]:
    ids = {
        sku: rid
        for sku in skus
        if (rid := store.crosswalk.find_by_key(EntityType.PRODUCT, "sku", sku)) is not None
    }
    recs = store.records.get_many(EntityType.PRODUCT, list(ids.values()))
    out: dict[str, Product] = {}
    for sku, rid in ids.items():
        rec = recs.get(rid)
        if rec is None or rec.deleted:
            continue
        try:
            out[sku] = Product.model_validate(rec.data)
        except ValidationError:
            continue
    return out


def resolve(store: Store, channel: str, body: OrderIn) -> Resolved:
    """Check ``body`` against the records; the order to store, or a problem naming the field."""
    cid, customer = _customer(store, body.customer)
    site = next((s for s in customer.sites if s.code == body.ship_to), None)
    if site is None or SiteRole.SHIP_TO not in site.roles:
        raise InvalidInput(
            f"ship_to: {body.ship_to!r} is not a ship-to site of customer {body.customer!r}",
            field="ship_to",
        )
    seen: set[int] = set()
    for i, line in enumerate(body.lines):
        if line.line_number in seen:
            raise InvalidInput(
                f"lines.{i}.line_number: line number {line.line_number} is repeated",
                field=f"lines.{i}.line_number",
            )
        seen.add(line.line_number)
    products = load_products(store, list(dict.fromkeys(line.sku for line in body.lines)))
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
        customer_account=body.customer,
        ship_to=body.ship_to,
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
    "load_products",
    "resolve",
]
