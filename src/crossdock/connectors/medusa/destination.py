"""Medusa as a destination: products with one variant per unit and their prices, stock per location.

Never twice: before creating anything the destination looks for it by what
the hub gave it: a product by its handle (the SKU, lower case), the product's
inventory item by SKU, a stock location by name. A push repeated after a
timeout, or after a crash between Medusa's answer and the hub writing the
crosswalk, finds what the first attempt made and updates it instead of making
a second one.

Per delivery: ``DELIVERED`` with the Medusa product id (it goes to the
crosswalk; stock carries the inventory level's id); ``RETRY`` for what may
resolve itself (stock for a product not in Medusa yet); ``FAILED`` with
Medusa's message for what a person must fix (a 400). A 401, an unreachable
server or a 5xx before anything in the batch went through raises, so the
route's circuit breaker sees it (see :mod:`crossdock.connectors.medusa.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus, ReadBack, Sent
from crossdock.connectors.kit.results import failed_result, retry_result, waiting_result
from crossdock.connectors.medusa.bulk import BulkPush
from crossdock.connectors.medusa.claims import Claims
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.customers import CustomerGroups, MedusaCustomers
from crossdock.connectors.medusa.errors import Waiting as _Retry
from crossdock.connectors.medusa.fulfilment import MedusaFulfilment
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
from crossdock.connectors.medusa.pricelists import MedusaPriceLists
from crossdock.connectors.medusa.readback import read_back
from crossdock.errors import CrossdockError, ErrorCode, PermanentError, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

#: What a product is read with (variants, their prices and the unit option).
PRODUCT_FIELDS = "id,handle,title,status,external_id,*variants,*variants.prices,*options"


class MedusaDestination:
    """Pushes products (variants, prices) and stock levels to one Medusa server."""

    def __init__(self, client: MedusaClient, settings: MedusaSettings, system: str) -> None:
        self.client = client
        self.settings = settings
        self.system = system
        self._locations: dict[str, str] = {}
        self._sales_channel: str | None = None
        self._shipping_profile: str | None = None
        groups = CustomerGroups(client)
        self.customers = MedusaCustomers(client, groups)
        self.claims = Claims(system)
        self.prices = MedusaPriceLists(client, settings, groups, self.find_product, self.claims)
        self.fulfilment = MedusaFulfilment(client, system)
        self.bulk = BulkPush(self)

    # -- the batch ----------------------------------------------------------------------
    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        """One result per delivery; raises only when Medusa refuses or cannot be reached at all."""
        done = self.bulk.push(batch)  # creates and stock levels in a few batch calls
        out: list[DeliveryResult] = []
        for d in batch:
            if d.delivery_id in done:
                out.append(done[d.delivery_id])
                continue
            try:
                native, also = self._one(d)
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.DELIVERED,
                        native_id=native,
                        also_native_ids=also,
                    )
                )
            except _Retry as exc:
                out.append(waiting_result(d.delivery_id, str(exc)))
            except RetryableError as exc:
                if not out and exc.code in (
                    ErrorCode.DESTINATION_UNAVAILABLE,
                    ErrorCode.RATE_LIMITED,
                    ErrorCode.UNAUTHORIZED,
                    ErrorCode.TRANSIENT,
                ):
                    raise
                out.append(retry_result(d.delivery_id, exc))
            except CrossdockError as exc:
                out.append(failed_result(d.delivery_id, exc))
        return out

    def _one(self, d: Delivery) -> tuple[str | None, tuple[str, ...]]:
        if d.entity_type is EntityType.PRODUCT:
            if d.op is ChangeOp.DELETE:
                return self.delete_product(d), ()
            return self.push_product(d), ()
        if d.entity_type is EntityType.INVENTORY and d.op is not ChangeOp.DELETE:
            return self.push_stock(d), ()
        if d.entity_type is EntityType.CUSTOMER_PRICE:
            return self.prices.push(d), ()
        if d.entity_type is EntityType.CUSTOMER:
            return self.customers.push(d)
        if d.entity_type is EntityType.ORDER and d.op is not ChangeOp.DELETE:
            return self.fulfilment.push(d), ()
        raise PermanentError(
            f"the Medusa destination takes products, inventory, customer prices, customers "
            f"and order status, not {d.entity_type.value} ({d.op.value})",
            code=ErrorCode.CONFIG_INVALID,
        )

    # -- lookups (find before create) ---------------------------------------------------
    def find_product(self, handle: str) -> dict[str, Any] | None:
        rows = (
            self.client.get(
                "/admin/products", action="find a product", handle=handle, fields=PRODUCT_FIELDS
            ).get("products")
            or []
        )
        return rows[0] if rows else None

    def find_inventory_item(self, sku: str) -> str | None:
        rows = (
            self.client.get(
                "/admin/inventory-items", action="find an inventory item", sku=sku, fields="id"
            ).get("inventory_items")
            or []
        )
        return str(rows[0]["id"]) if rows else None

    def inventory_item(self, sku: str, title: str) -> str:
        found = self.find_inventory_item(sku)
        if found:
            return found
        made = self.client.post(
            "/admin/inventory-items",
            {"sku": sku, "title": title},
            action="create an inventory item",
        )
        return str(made["inventory_item"]["id"])

    def sales_channel_id(self) -> str | None:
        name = self.settings.sales_channel
        if name is None:
            return None
        if self._sales_channel is None:
            rows = (
                self.client.get(
                    "/admin/sales-channels", action="find the sales channel", name=name, fields="id"
                ).get("sales_channels")
                or []
            )
            if not rows:
                raise PermanentError(
                    f"Medusa has no sales channel named {name!r} (settings.sales_channel)",
                    code=ErrorCode.CONFIG_INVALID,
                )
            self._sales_channel = str(rows[0]["id"])
        return self._sales_channel

    def shipping_profile(self) -> dict[str, str]:
        """``shipping_profile_id`` of Medusa's default shipping profile (found once), if any.

        A product without a shipping profile cannot be fulfilled (nor shipped to
        a cart): Medusa checks the item's profile against the shipping option's.
        """
        if self._shipping_profile is None:
            rows = self.client.rows(
                "/admin/shipping-profiles",
                "shipping_profiles",
                action="find the shipping profile",
                type="default",
                fields="id",
            )
            self._shipping_profile = str(rows[0]["id"]) if rows else ""
        return {"shipping_profile_id": self._shipping_profile} if self._shipping_profile else {}

    def location_id(self, code: str) -> str | None:
        """The Medusa stock location for a hub location (made, and put in the channel, once)."""
        name = self.settings.locations.get(code)
        if name is None:
            return None
        if name not in self._locations:
            rows = (
                self.client.get(
                    "/admin/stock-locations", action="find a stock location", name=name, fields="id"
                ).get("stock_locations")
                or []
            )
            if rows:
                self._locations[name] = str(rows[0]["id"])
            else:
                made = self.client.post(
                    "/admin/stock-locations", {"name": name}, action="create a stock location"
                )
                lid = str(made["stock_location"]["id"])
                channel = self.sales_channel_id()
                if channel:
                    self.client.post(
                        f"/admin/stock-locations/{lid}/sales-channels",
                        {"add": [channel]},
                        action="put a stock location in the sales channel",
                    )
                self._locations[name] = lid
        return self._locations[name]

    # -- products -----------------------------------------------------------------------
    def push_product(self, d: Delivery) -> str | None:
        data = d.data
        sku = str(data["sku"])
        found = self.find_product(handle_for(sku))
        if not sold_here(data, self.settings):
            if found is not None and found.get("status") != "draft":
                self.client.post(
                    f"/admin/products/{found['id']}", {"status": "draft"}, action="unpublish"
                )
            return str(found["id"]) if found else None
        item = self.inventory_item(sku, str(data.get("description") or sku))
        if found is None:
            body = create_payload(d.entity_id, data, self.settings, item, self.sales_channel_id())
            made = self.client.post(
                "/admin/products", {**body, **self.shipping_profile()}, action="create a product"
            )
            return str(made["product"]["id"])
        self.update_product(d, found)
        return str(found["id"])

    def update_product(self, d: Delivery, found: Mapping[str, Any]) -> None:
        pid = found["id"]
        data = d.data
        units = units_of(data, self.settings)
        by_unit = {(v.get("metadata") or {}).get(META_UNIT): v for v in found.get("variants") or []}
        missing = [u.code for u in units if u.code not in by_unit]
        if missing:
            raise PermanentError(
                f"product {data['sku']} gained units {missing} since it was made in Medusa; "
                "adding variants to an existing product is not pushed yet: add them in Medusa",
                code=ErrorCode.REJECTED_BY_DESTINATION,
            )
        self.client.post(
            f"/admin/products/{pid}",
            {**product_values(d.entity_id, data, self.settings), **self.shipping_profile()},
            action="update a product",
        )
        currency = self.settings.currency.lower()
        for u in units:
            current = by_unit[u.code]
            values = variant_values(data, u, self.settings)
            for p in values.get("prices") or []:
                old = next(
                    (
                        q
                        for q in current.get("prices") or []
                        if q.get("currency_code") == currency and not q.get("price_rules")
                    ),
                    None,
                )
                if old is not None:
                    p["id"] = old["id"]
            self.client.post(
                f"/admin/products/{pid}/variants/{current['id']}",
                values,
                action="update a variant",
            )

    def delete_product(self, d: Delivery) -> str | None:
        sku = d.data.get("sku")
        found = self.find_product(handle_for(str(sku))) if sku else None
        pid = found["id"] if found else d.native_id
        if pid is None:
            return None
        try:
            self.client.delete(f"/admin/products/{pid}", action="delete a product")
        except PermanentError as exc:
            if exc.code is not ErrorCode.NOT_FOUND:
                raise
        return str(pid)

    # -- stock --------------------------------------------------------------------------
    def push_stock(self, d: Delivery) -> str | None:
        data = d.data
        location = self.location_id(str(data["location"]))
        if location is None:
            return None  # a location this shop does not sell from
        sku = str(data["sku"])
        item = self.find_inventory_item(sku)
        if item is None:
            raise _Retry(f"{sku} is not in Medusa yet; its stock follows the product")
        quantity = stocked_quantity(data, self.settings)
        levels = (
            self.client.get(
                f"/admin/inventory-items/{item}/location-levels",
                action="read stock levels",
                location_id=location,
                fields="id,location_id",
            ).get("inventory_levels")
            or []
        )
        row = {"inventory_item_id": item, "location_id": location, "stocked_quantity": quantity}
        key = "update" if levels else "create"
        self.client.post(
            "/admin/inventory-items/location-levels/batch",
            {key: [row]},
            action="set a stock level",
        )
        return f"{item}:{location}"

    # -- reconciliation -----------------------------------------------------------------
    def read_back(self, sent: Sequence[Sent]) -> ReadBack:
        """What Medusa holds against what the hub sent it (see :mod:`.readback`; reads only)."""
        fields = PRODUCT_FIELDS + ",*variants.inventory_items"
        return read_back(self.client, self.settings, fields, self.sales_channel_id(), sent)


__all__ = ["PRODUCT_FIELDS", "MedusaDestination"]
