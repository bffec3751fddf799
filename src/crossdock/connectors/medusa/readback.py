"""Reading a Medusa store back for reconciliation: products, variant prices, stock levels.

The hub hands over what its routes send this system
(:class:`~crossdock.connectors.base.Sent`); this module reads Medusa through
the Admin API (reads only) and names every difference in Medusa's own terms:

* a product: its ``title`` and ``status`` (native id: the Medusa product);
* a variant, by SKU: ``variants[SKU].price`` (the base price in the
  configured currency), ``.barcode``, ``.unit``, a variant missing or extra
  (native id: the Medusa variant);
* a stock level per mapped location: ``stocked_quantity`` (native id:
  ``inventory item:stock location``), as the destination computes it from
  the availability channel's ATP.

What is compared is what the destination would write (the mapper's
:func:`~crossdock.connectors.medusa.mapper.wanted_view` and
:func:`~crossdock.connectors.medusa.mapper.stocked_quantity`), so a push
followed by a read-back agrees by construction of one mapping, not of two.
The products read are those in the configured sales channel (every product
without one); a product there the hub never sent is *unknown to the hub*.
Stock of a SKU the hub does not sell here, or at a location not in
``locations``, is not compared (the destination never pushes it). Accounts
(groups and buyers) and customer prices (price lists) are compared by
:mod:`~crossdock.connectors.medusa.readback_accounts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Mismatch, MismatchKind, ReadBack, Sent
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.mapper import (
    handle_for,
    product_view,
    sold_here,
    stocked_quantity,
    units_of,
    wanted_view,
)
from crossdock.connectors.medusa.readback_accounts import AccountsReadBack
from crossdock.model.base import EntityType

#: Product fields a read-back compares (variants are compared one by one).
PRODUCT_KEYS = ("title", "status")
#: Variant fields a read-back compares.
VARIANT_KEYS = ("price", "barcode", "unit", "stock")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | Decimal) and isinstance(b, int | Decimal):
        return Decimal(a) == Decimal(b)
    return bool(a == b)


def _stock_links(product: Mapping[str, Any], base_sku: str) -> dict[str, Decimal | None]:
    """Variant SKU → base units it takes of the product's one inventory item (None: not so).

    The product's item is the one its base variant takes; a variant not managing
    inventory, or tied to another item or to more than one, reads as None.
    """
    variants = {str(v.get("sku")): v for v in product.get("variants") or []}
    base = [i["inventory_item_id"] for i in variants.get(base_sku, {}).get("inventory_items") or []]
    out: dict[str, Decimal | None] = {}
    for sku, v in variants.items():
        links = v.get("inventory_items") or []
        tied = (
            bool(v.get("manage_inventory"))
            and len(links) == 1
            and base[:1] == [links[0]["inventory_item_id"]]
        )
        out[sku] = Decimal(str(links[0]["required_quantity"])) if tied else None
    return out


class MedusaReadBack:
    """One read-back of one Medusa server against what the hub sent it."""

    def __init__(
        self,
        client: MedusaClient,
        settings: MedusaSettings,
        product_fields: str,
        sales_channel_id: str | None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.product_fields = product_fields
        self.sales_channel_id = sales_channel_id
        self.out = ReadBack()
        self._read: dict[str, dict[str, Any]] | None = None

    # -- reading Medusa -----------------------------------------------------------------
    def _products(self) -> dict[str, dict[str, Any]]:
        """Handle → product, read once per read-back."""
        if self._read is None:
            self._read = self._read_products()
        return dict(self._read)

    def _read_products(self) -> dict[str, dict[str, Any]]:
        scope = {"sales_channel_id": self.sales_channel_id} if self.sales_channel_id else {}
        rows = self.client.list_all(
            "/admin/products",
            "products",
            action="read products back",
            fields=self.product_fields,
            **scope,
        )
        return {str(p["handle"]): p for p in rows}

    def _levels(self) -> dict[str, tuple[str, dict[str, Decimal]]]:
        """SKU → (inventory item id, {stock location id: stocked quantity})."""
        out: dict[str, tuple[str, dict[str, Decimal]]] = {}
        for item in self.client.list_all(
            "/admin/inventory-items",
            "inventory_items",
            action="read stock levels back",
            fields="id,sku,*location_levels",
        ):
            levels = {
                str(lv["location_id"]): Decimal(str(lv["stocked_quantity"]))
                for lv in item.get("location_levels") or []
            }
            if item.get("sku"):
                out[str(item["sku"])] = (str(item["id"]), levels)
        return out

    def _location_ids(self) -> dict[str, str]:
        """Medusa stock location name → id (none is made by a read-back)."""
        rows = self.client.list_all(
            "/admin/stock-locations",
            "stock_locations",
            action="read stock locations",
            fields="id,name",
        )
        return {str(r["name"]): str(r["id"]) for r in rows}

    # -- comparing ----------------------------------------------------------------------
    def _add(self, mismatches: list[Mismatch]) -> None:
        self.out.records += 1
        if mismatches:
            self.out.mismatches.extend(mismatches)
        else:
            self.out.agreeing += 1

    def products(self, sent: Sequence[Sent]) -> set[str]:
        """Compare the products; the SKUs Medusa should sell (their stock is compared next)."""
        medusa = self._products()
        selling: set[str] = set()
        for s in sent:
            sku = str(s.data.get("sku") or "")
            found = medusa.pop(handle_for(sku), None) if sku else None
            if s.withdrawn:
                if found is not None:
                    held = {"handle": found.get("handle"), "title": found.get("title")}
                    self._add([self._mismatch("deleted_in_hub", s, found["id"], None, held, None)])
                continue
            if not sold_here(s.data, self.settings):
                if found is not None:
                    self._add(self._fields(s, found, {"status": "draft"}, {}))
                continue
            selling.add(sku)
            if found is None:
                self._add([self._mismatch("missing_in_system", s, None, None, None, dict(s.data))])
                continue
            wanted = wanted_view(s.data, self.settings)
            for unit, v in zip(
                units_of(s.data, self.settings), wanted["variants"].values(), strict=True
            ):
                v["stock"] = unit.factor
            self._add(self._fields(s, found, wanted, wanted["variants"]))
        for handle, extra in sorted(medusa.items()):
            self._add(
                [
                    Mismatch(
                        "unknown_to_hub",
                        EntityType.PRODUCT,
                        str(extra["id"]),
                        None,
                        None,
                        {"handle": handle, "title": extra.get("title")},
                        None,
                    )
                ]
            )
        return selling

    def _fields(
        self,
        s: Sent,
        found: Mapping[str, Any],
        wanted: Mapping[str, Any],
        variants: Mapping[str, Mapping[str, Any]],
    ) -> list[Mismatch]:
        have = product_view(found, self.settings.currency)
        pid = str(found["id"])
        out = [
            self._mismatch("different", s, pid, key, have.get(key), wanted[key])
            for key in PRODUCT_KEYS
            if key in wanted and not _same(have.get(key), wanted[key])
        ]
        if not variants:
            return out
        ids = {str(v.get("sku")): str(v["id"]) for v in found.get("variants") or []}
        held: dict[str, Any] = have["variants"]
        stock = _stock_links(found, next(iter(variants)))
        for sku, got in held.items():
            got["stock"] = stock.get(sku)
        for sku in sorted(set(variants) | set(held)):
            want, got = variants.get(sku), held.get(sku)
            if want is None or got is None:
                out.append(
                    self._mismatch("different", s, ids.get(sku), f"variants[{sku}]", got, want)
                )
                continue
            out.extend(
                self._mismatch("different", s, ids[sku], f"variants[{sku}].{k}", got[k], want[k])
                for k in VARIANT_KEYS
                if not _same(got[k], want[k])
            )
        return out

    def stock(self, sent: Sequence[Sent], selling: set[str]) -> None:
        names = self._location_ids()
        levels = self._levels()
        for s in sent:
            if s.withdrawn:
                continue
            sku = str(s.data.get("sku") or "")
            name = self.settings.locations.get(str(s.data.get("location") or ""))
            if name is None or sku not in selling:
                continue
            want = Decimal(stocked_quantity(s.data, self.settings))
            item, at = levels.get(sku, (None, {}))
            location = names.get(name)
            got = at.get(location) if location else None
            if item is None or location is None or got is None:
                self._add([self._mismatch("missing_in_system", s, None, None, None, want)])
                continue
            native = f"{item}:{location}"
            same = got == want
            self._add(
                []
                if same
                else [self._mismatch("different", s, native, "stocked_quantity", got, want)]
            )

    @staticmethod
    def _mismatch(
        kind: MismatchKind, s: Sent, native: str | None, field: str | None, medusa: Any, hub: Any
    ) -> Mismatch:
        return Mismatch(kind, s.entity_type, native, s.entity_id, field, medusa, hub, s.route)


def read_back(
    client: MedusaClient,
    settings: MedusaSettings,
    product_fields: str,
    sales_channel_id: str | None,
    sent: Sequence[Sent],
) -> ReadBack:
    """Compare Medusa's products, variant prices and stock levels with ``sent``."""
    rb = MedusaReadBack(client, settings, product_fields, sales_channel_id)
    products = [s for s in sent if s.entity_type is EntityType.PRODUCT]
    stock = [s for s in sent if s.entity_type is EntityType.INVENTORY]
    selling = rb.products(products)
    if stock:
        rb.stock(stock, selling)
    accounts = AccountsReadBack(client, settings, rb.out)
    customers = [s for s in sent if s.entity_type is EntityType.CUSTOMER]
    if customers:
        accounts.groups(customers)
    prices = [s for s in sent if s.entity_type is EntityType.CUSTOMER_PRICE]
    if prices:
        accounts.price_lists(prices, rb._products())
    return rb.out


__all__ = ["PRODUCT_KEYS", "VARIANT_KEYS", "MedusaReadBack", "read_back"]
