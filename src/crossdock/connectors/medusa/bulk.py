"""Pushing many products and stock levels to Medusa in a few batch calls instead of one per record.

Medusa spends about a tenth of a second on any Admin API request, so a
catalog pushed one product at a time (find, make its inventory item, make the
product) runs at a few products a second. Per chunk of :data:`CHUNK` records
this module makes instead:

* products: one read of the chunk's handles, one read of their inventory
  items by SKU, one ``POST /admin/products/batch`` creating the new ones, one
  ``POST /admin/products/{id}/variants/inventory-items/batch`` linking the
  non-base variants to the product's one inventory item (``factor`` of it),
  and one batch update switching ``manage_inventory`` on for those;
* stock: one read of the chunk's inventory items with their levels and one
  ``POST /admin/inventory-items/location-levels/batch``.

The shelf is still counted once per product: the base variant is created
managing inventory without an item, so Medusa makes the item with the
variant's SKU, which is the product's (or is given the item a crashed earlier
attempt made). The other variants start unmanaged and are linked right after.

Never twice, never half: a product found by its handle is not created again,
and its links are checked and completed on every push, so a crash between the
create and the links (or a kill mid-batch) is mended by the next delivery.
A chunk Medusa refuses (a 400 sinks the whole batch) is left to the
one-by-one path, which parks only the record at fault.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.kit.results import waiting_result
from crossdock.connectors.medusa.mapper import (
    META_UNIT,
    create_payload,
    handle_for,
    product_values,
    sold_here,
    stocked_quantity,
    units_of,
    variant_values,
)
from crossdock.errors import CrossdockError, ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

if TYPE_CHECKING:
    from crossdock.connectors.medusa.destination import MedusaDestination

#: Records per batch call (Medusa takes a 100-product create in about two seconds).
CHUNK = 100
#: What a product is read with: its own fields, its variants with prices and inventory links.
LINK_FIELDS = (
    "id,handle,title,description,status,external_id,metadata,"
    "*variants,*variants.prices,*variants.inventory_items"
)
#: Errors that say Medusa cannot be reached or refuses every request: the batch stops.
_STOPPING = (
    ErrorCode.DESTINATION_UNAVAILABLE,
    ErrorCode.RATE_LIMITED,
    ErrorCode.UNAUTHORIZED,
    ErrorCode.TRANSIENT,
)


def _chunks(items: Sequence[Delivery]) -> Iterator[Sequence[Delivery]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def bulk_create_payload(
    entity_id: str,
    data: Mapping[str, Any],
    dest: MedusaDestination,
    item_id: str | None,
) -> dict[str, Any]:
    """A product for ``POST /admin/products/batch``: the base variant brings (or makes) the item."""
    body = create_payload(entity_id, data, dest.settings, item_id or "", dest.sales_channel_id())
    for n, variant in enumerate(body["variants"]):
        if n == 0 and item_id:
            continue  # the item an earlier attempt made, required once
        del variant["inventory_items"]
        # base: Medusa makes its item (SKU = the variant's = the product's); others: linked next
        variant["manage_inventory"] = n == 0
    return body


def link_plan(
    product: Mapping[str, Any], data: Mapping[str, Any], dest: MedusaDestination
) -> tuple[list[dict[str, Any]], list[str]]:
    """The links a product's non-base variants lack, and the variants to switch to managed."""
    units = units_of(data, dest.settings)
    variants = {(v.get("metadata") or {}).get(META_UNIT): v for v in product.get("variants") or []}
    base = variants.get(units[0].code)
    items = [i["inventory_item_id"] for i in (base or {}).get("inventory_items") or []]
    if not items:
        return [], []
    links: list[dict[str, Any]] = []
    manage: list[str] = []
    for u in units[1:]:
        v = variants.get(u.code)
        if v is None:
            continue
        if not any(i["inventory_item_id"] == items[0] for i in v.get("inventory_items") or []):
            links.append(
                {
                    "variant_id": v["id"],
                    "inventory_item_id": items[0],
                    "required_quantity": u.factor,
                }
            )
        if not v.get("manage_inventory"):
            manage.append(str(v["id"]))
    return links, manage


def _same(want: Any, have: Any) -> bool:
    if isinstance(want, Mapping):  # metadata: the hub's keys hold the hub's values
        return isinstance(have, Mapping) and all(_same(v, have.get(k)) for k, v in want.items())
    if isinstance(want, Decimal | int) and have is not None and not isinstance(want, bool):
        return Decimal(str(want)) == Decimal(str(have))
    return bool(want == have)


def unchanged(
    product: Mapping[str, Any], entity_id: str, data: Mapping[str, Any], dest: MedusaDestination
) -> bool:
    """Whether Medusa's product already holds every value a push would write.

    A product found after a crash, or one pushed again unchanged, is then not
    rewritten (a rewrite costs a request per variant).
    """
    settings = dest.settings
    own = product_values(entity_id, data, settings)
    if not all(_same(v, product.get(k)) for k, v in own.items()):
        return False
    currency = settings.currency.lower()
    variants = {(v.get("metadata") or {}).get(META_UNIT): v for v in product.get("variants") or []}
    for u in units_of(data, settings):
        have = variants.get(u.code)
        if have is None:
            return False
        want = variant_values(data, u, settings)
        prices = {
            p["currency_code"]: p["amount"]
            for p in have.get("prices") or []
            if not p.get("price_rules")
        }
        for p in want.pop("prices", []):
            if not _same(p["amount"], prices.get(currency)):
                return False
        if not all(_same(v, have.get(k)) for k, v in want.items()):
            return False
    return True


class BulkPush:
    """The batch calls for one destination's deliveries; what it cannot do is left to the caller."""

    def __init__(self, dest: MedusaDestination) -> None:
        self.dest = dest
        self.client = dest.client

    def push(self, batch: Sequence[Delivery]) -> dict[str, DeliveryResult]:
        """Results for the deliveries done in bulk; the others go one by one.

        Raises only when the first chunk meets an unreachable or refusing
        Medusa (the route's circuit must see it), like the one-by-one path.
        """
        products = [
            d
            for d in batch
            if d.entity_type is EntityType.PRODUCT
            and d.op is not ChangeOp.DELETE
            and sold_here(d.data, self.dest.settings)
        ]
        stock = [
            d
            for d in batch
            if d.entity_type is EntityType.INVENTORY and d.op is not ChangeOp.DELETE
        ]
        done: dict[str, DeliveryResult] = {}
        for work, chunks in ((self._products, products), (self._stock, stock)):
            for chunk in _chunks(chunks):
                try:
                    done.update(work(chunk))
                except RetryableError as exc:
                    if not done and exc.code in _STOPPING:
                        raise
                    return done  # the rest goes one by one and is retried there
                except CrossdockError:
                    continue  # one record sank the chunk: one by one finds which
        return done

    # -- products -----------------------------------------------------------------------
    def _products(self, chunk: Sequence[Delivery]) -> dict[str, DeliveryResult]:
        by_handle = {handle_for(str(d.data["sku"])): d for d in chunk}
        found = {
            str(p["handle"]): p
            for p in self.client.list_all(
                "/admin/products",
                "products",
                action="find products",
                handle=sorted(by_handle),
                fields=LINK_FIELDS,
            )
        }
        new = [d for h, d in by_handle.items() if h not in found]
        done: dict[str, DeliveryResult] = {}
        if new:
            made = self._create(new)
            found.update(made)
            done = {
                d.delivery_id: DeliveryResult(
                    d.delivery_id, DeliveryStatus.DELIVERED, native_id=str(made[h]["id"])
                )
                for h, d in by_handle.items()
                if h in made
            }
        self._link([(found[h], d) for h, d in by_handle.items() if h in found])
        for h, d in by_handle.items():
            there = found.get(h)
            if (
                d.delivery_id not in done
                and there
                and unchanged(there, d.entity_id, d.data, self.dest)
            ):
                done[d.delivery_id] = DeliveryResult(
                    d.delivery_id, DeliveryStatus.DELIVERED, native_id=str(there["id"])
                )
        return done  # products that differ from what is sent are updated one by one

    def _create(self, new: Sequence[Delivery]) -> dict[str, dict[str, Any]]:
        skus = [str(d.data["sku"]) for d in new]
        items = {
            str(i["sku"]): str(i["id"])
            for i in self.client.list_all(
                "/admin/inventory-items",
                "inventory_items",
                action="find inventory items",
                sku=skus,
                fields="id,sku",
            )
        }
        profile = self.dest.shipping_profile()  # without one Medusa fulfils and sells nothing
        body = [
            bulk_create_payload(d.entity_id, d.data, self.dest, items.get(str(d.data["sku"])))
            | profile
            for d in new
        ]
        answer = self.client.call(
            "POST",
            "/admin/products/batch",
            {"create": body},
            params={"fields": LINK_FIELDS},
            action="create products",
        )
        return {str(p["handle"]): p for p in answer.get("created") or []}

    def _link(self, products: Sequence[tuple[Mapping[str, Any], Delivery]]) -> None:
        links: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for product, d in products:
            add, manage = link_plan(product, d.data, self.dest)
            links += add
            if manage:
                updates.append(
                    {
                        "id": product["id"],
                        # every variant is named: a variant left out of an update is removed
                        "variants": [
                            {
                                "id": v["id"],
                                **({"manage_inventory": True} if v["id"] in manage else {}),
                            }
                            for v in product.get("variants") or []
                        ],
                    }
                )
        if links:
            # the route's product id is only a path segment: each link names its variant
            self.client.post(
                f"/admin/products/{products[0][0]['id']}/variants/inventory-items/batch",
                {"create": links},
                action="link variants to the inventory item",
            )
        if updates:
            self.client.call(
                "POST",
                "/admin/products/batch",
                {"update": updates},
                params={"fields": "id"},
                action="manage the variants' inventory",
            )

    # -- stock --------------------------------------------------------------------------
    def _stock(self, chunk: Sequence[Delivery]) -> dict[str, DeliveryResult]:
        skus = sorted({str(d.data["sku"]) for d in chunk})
        items = {
            str(i["sku"]): i
            for i in self.client.list_all(
                "/admin/inventory-items",
                "inventory_items",
                action="read stock levels",
                sku=skus,
                fields="id,sku,*location_levels",
            )
        }
        done: dict[str, DeliveryResult] = {}
        create: list[dict[str, Any]] = []
        update: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for d in chunk:
            location = self.dest.location_id(str(d.data["location"]))
            if location is None:  # a location this shop does not sell from
                done[d.delivery_id] = DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED)
                continue
            sku = str(d.data["sku"])
            item = items.get(sku)
            if item is None:
                done[d.delivery_id] = waiting_result(
                    d.delivery_id, f"{sku} is not in Medusa yet; its stock follows the product"
                )
                continue
            key = (str(item["id"]), location)
            if key in seen:
                continue  # two hub locations on one Medusa location: one by one, in order
            seen.add(key)
            has = any(lv["location_id"] == location for lv in item.get("location_levels") or [])
            row = {
                "inventory_item_id": key[0],
                "location_id": location,
                "stocked_quantity": stocked_quantity(d.data, self.dest.settings),
            }
            (update if has else create).append(row)
            done[d.delivery_id] = DeliveryResult(
                d.delivery_id, DeliveryStatus.DELIVERED, native_id=f"{key[0]}:{location}"
            )
        if create or update:
            self.client.post(
                "/admin/inventory-items/location-levels/batch",
                {"create": create, "update": update},
                action="set stock levels",
            )
        return done


__all__ = ["CHUNK", "LINK_FIELDS", "BulkPush", "bulk_create_payload", "link_plan"]
