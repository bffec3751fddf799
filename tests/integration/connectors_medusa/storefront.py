"""A shopper on a real Medusa v2: the seed a checkout needs, prices as a buyer sees them, checkout.

:func:`seed_checkout` makes (once per Medusa, found again by name) what a cart
needs to complete: a region in the hub's currency with Medusa's system
payment provider (``pp_system_default``), a publishable API key linked to the
sales channel, the manual fulfilment provider (``manual_manual``) on a stock
location that stocks the channel, a fulfilment set with a service zone for the
region's countries and a flat-rate shipping option in it.

:class:`Shopper` then does what a storefront does over the Store API: register
(optional), create a cart, add line items, set the e-mail and addresses, pick
the shipping method, open a payment collection with a session of the system
provider and complete the cart, which answers the order. What a logged-in
customer (or a guest) sees as a price is Medusa's own calculation
(:meth:`Shopper.prices`: ``calculated_price`` of ``GET /store/products`` in the
region, for a quantity), the number the tests hold equal to the hub's quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from .medusa_server import MedusaPeer

REGION = "Crossdock US"
KEY_TITLE = "crossdock-storefront"
SHIPPING = "Crossdock ground"
PAYMENT_PROVIDER = "pp_system_default"
FULFILMENT_PROVIDER = "manual_manual"


@dataclass(frozen=True, slots=True)
class Storefront:
    """What a checkout needs: the region, the channel, its publishable key, a shipping option."""

    url: str
    region_id: str
    sales_channel_id: str
    publishable_key: str
    shipping_option_id: str
    stock_location_id: str


def _ok(r: httpx.Response) -> dict[str, Any]:
    if r.status_code >= 400:
        raise AssertionError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    body: dict[str, Any] = r.json() if r.content else {}
    return body


def _first(admin: httpx.Client, path: str, key: str, **params: Any) -> dict[str, Any] | None:
    rows = _ok(admin.get(path, params={"limit": 1, **params}))[key]
    return rows[0] if rows else None


def seed_checkout(
    medusa: MedusaPeer,
    *,
    sales_channel: str = "Default Sales Channel",
    stock_location: str = "Dallas",
    currency: str = "usd",
    country: str = "us",
) -> Storefront:
    """Region, publishable key, fulfilment set and shipping option (made once, found after)."""
    with medusa.admin() as admin:
        channel = _first(admin, "/admin/sales-channels", "sales_channels", name=sales_channel)
        assert channel is not None, f"no sales channel {sales_channel!r} in Medusa"
        region = _first(admin, "/admin/regions", "regions", name=REGION)
        if region is None:
            region = _ok(
                admin.post(
                    "/admin/regions",
                    json={
                        "name": REGION,
                        "currency_code": currency,
                        "countries": [country],
                        "payment_providers": [PAYMENT_PROVIDER],
                        "automatic_taxes": False,
                    },
                )
            )["region"]
        key = _first(admin, "/admin/api-keys", "api_keys", title=KEY_TITLE)
        if key is None:
            key = _ok(
                admin.post("/admin/api-keys", json={"title": KEY_TITLE, "type": "publishable"})
            )["api_key"]
            _ok(
                admin.post(
                    f"/admin/api-keys/{key['id']}/sales-channels", json={"add": [channel["id"]]}
                )
            )
        location = _stock_location(admin, stock_location, channel["id"])
        option = _shipping_option(admin, location, currency, country)
        return Storefront(
            medusa.url,
            region["id"],
            channel["id"],
            key["token"],
            option,
            location["id"],
        )


def _stock_location(admin: httpx.Client, name: str, channel_id: str) -> dict[str, Any]:
    """The stock location ``name`` (made if missing) in the channel, fulfilled manually."""
    found = _first(admin, "/admin/stock-locations", "stock_locations", name=name)
    if found is None:
        found = _ok(admin.post("/admin/stock-locations", json={"name": name}))["stock_location"]
    lid = found["id"]
    _ok(admin.post(f"/admin/stock-locations/{lid}/sales-channels", json={"add": [channel_id]}))
    _ok(
        admin.post(
            f"/admin/stock-locations/{lid}/fulfillment-providers",
            json={"add": [FULFILMENT_PROVIDER]},
        )
    )
    return dict(
        _ok(admin.get(f"/admin/stock-locations/{lid}", params={"fields": "*fulfillment_sets"}))[
            "stock_location"
        ]
    )


def _shipping_option(
    admin: httpx.Client, location: dict[str, Any], currency: str, country: str
) -> str:
    """A flat-rate shipping option in a service zone of the location's shipping set."""
    sets = [s for s in location.get("fulfillment_sets") or [] if s.get("type") == "shipping"]
    if sets:
        set_id = sets[0]["id"]
    else:
        made = _ok(
            admin.post(
                f"/admin/stock-locations/{location['id']}/fulfillment-sets",
                json={"name": f"{location['name']} shipping", "type": "shipping"},
                params={"fields": "*fulfillment_sets"},
            )
        )["stock_location"]
        set_id = next(s["id"] for s in made["fulfillment_sets"] if s["type"] == "shipping")
    again = _ok(
        admin.get(
            f"/admin/stock-locations/{location['id']}",
            params={"fields": "*fulfillment_sets,*fulfillment_sets.service_zones"},
        )
    )["stock_location"]
    fset = next(s for s in again["fulfillment_sets"] if s["id"] == set_id)
    zones = fset.get("service_zones") or []
    if zones:
        zone_id = zones[0]["id"]
    else:
        made = _ok(
            admin.post(
                f"/admin/fulfillment-sets/{set_id}/service-zones",
                json={
                    "name": f"{location['name']} {country.upper()}",
                    "geo_zones": [{"type": "country", "country_code": country}],
                },
                params={"fields": "*service_zones"},
            )
        )["fulfillment_set"]
        zone_id = made["service_zones"][0]["id"]
    option = _first(admin, "/admin/shipping-options", "shipping_options", service_zone_id=zone_id)
    if option is not None:
        return str(option["id"])
    profile = _first(admin, "/admin/shipping-profiles", "shipping_profiles", type="default")
    if profile is None:
        profile = _first(admin, "/admin/shipping-profiles", "shipping_profiles")
    assert profile is not None, "Medusa has no shipping profile"
    made = _ok(
        admin.post(
            "/admin/shipping-options",
            json={
                "name": SHIPPING,
                "service_zone_id": zone_id,
                "shipping_profile_id": profile["id"],
                "provider_id": FULFILMENT_PROVIDER,
                "price_type": "flat",
                "type": {"label": "Ground", "description": "3-5 days", "code": "ground"},
                "prices": [{"currency_code": currency, "amount": 10}],
                "rules": [
                    {"attribute": "enabled_in_store", "operator": "eq", "value": "true"},
                    {"attribute": "is_return", "operator": "eq", "value": "false"},
                ],
            },
        )
    )["shipping_option"]
    return str(made["id"])


ADDRESS = {
    "first_name": "Pat",
    "last_name": "Buyer",
    "address_1": "1 Main St",
    "city": "Dallas",
    "country_code": "us",
    "postal_code": "75201",
}


class Shopper:
    """One storefront session on the Store API (publishable key; a buyer's token once logged in)."""

    def __init__(self, front: Storefront) -> None:
        self.front = front
        self.http = httpx.Client(
            base_url=front.url,
            timeout=60,
            headers={"x-publishable-api-key": front.publishable_key},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Shopper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- accounts -------------------------------------------------------------------------
    def register(self, email: str, password: str, **profile: Any) -> dict[str, Any]:
        """Register a store customer (auth identity, then the customer) and log in as them."""
        token = _ok(
            self.http.post(
                "/auth/customer/emailpass/register", json={"email": email, "password": password}
            )
        )["token"]
        customer = _ok(
            self.http.post(
                "/store/customers",
                json={"email": email, **profile},
                headers={"Authorization": f"Bearer {token}"},
            )
        )["customer"]
        self.login(email, password)
        return dict(customer)

    def login(self, email: str, password: str) -> None:
        token = _ok(
            self.http.post("/auth/customer/emailpass", json={"email": email, "password": password})
        )["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def add_address(self, **address: Any) -> dict[str, Any]:
        """An address in the logged-in customer's address book."""
        return dict(_ok(self.http.post("/store/customers/me/addresses", json=address))["customer"])

    # -- prices ---------------------------------------------------------------------------
    def prices(self, handle: str) -> dict[str, Decimal]:
        """Variant SKU → the unit price Medusa calculates for this session's buyer (or a guest)."""
        products = _ok(
            self.http.get(
                "/store/products",
                params={
                    "handle": handle,
                    "region_id": self.front.region_id,
                    "fields": "id,*variants,*variants.calculated_price",
                },
            )
        )["products"]
        assert len(products) == 1, products
        return {
            v["sku"]: Decimal(str(v["calculated_price"]["calculated_amount"]))
            for v in products[0]["variants"]
        }

    def line_price(self, variant_id: str, quantity: int) -> Decimal:
        """The unit price Medusa charges this session's buyer on a cart line of ``quantity``."""
        body = {"region_id": self.front.region_id, "sales_channel_id": self.front.sales_channel_id}
        cart = _ok(self.http.post("/store/carts", json=body))["cart"]
        cart = _ok(
            self.http.post(
                f"/store/carts/{cart['id']}/line-items",
                json={"variant_id": variant_id, "quantity": quantity},
            )
        )["cart"]
        [item] = cart["items"]
        return Decimal(str(item["unit_price"]))

    # -- checkout -------------------------------------------------------------------------
    def checkout(
        self,
        lines: list[tuple[str, int]],
        *,
        email: str,
        address: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Cart → line items (variant id, quantity) → addresses → shipping → payment → order."""
        body: dict[str, Any] = {
            "region_id": self.front.region_id,
            "sales_channel_id": self.front.sales_channel_id,
            "email": email,
        }
        if metadata:
            body["metadata"] = metadata
        cart = _ok(self.http.post("/store/carts", json=body))["cart"]
        cid = cart["id"]
        for variant_id, quantity in lines:
            _ok(
                self.http.post(
                    f"/store/carts/{cid}/line-items",
                    json={"variant_id": variant_id, "quantity": quantity},
                )
            )
        where = address or ADDRESS
        _ok(
            self.http.post(
                f"/store/carts/{cid}", json={"shipping_address": where, "billing_address": where}
            )
        )
        _ok(
            self.http.post(
                f"/store/carts/{cid}/shipping-methods",
                json={"option_id": self.front.shipping_option_id},
            )
        )
        collection = _ok(self.http.post("/store/payment-collections", json={"cart_id": cid}))[
            "payment_collection"
        ]
        _ok(
            self.http.post(
                f"/store/payment-collections/{collection['id']}/payment-sessions",
                json={"provider_id": PAYMENT_PROVIDER},
            )
        )
        done = _ok(self.http.post(f"/store/carts/{cid}/complete"))
        if done.get("type") != "order":
            raise AssertionError(f"cart {cid} did not complete: {done}")
        return dict(done["order"])


def variant_of(medusa: MedusaPeer, sku: str) -> dict[str, Any]:
    """The Medusa variant with ``sku`` (id, prices)."""
    with medusa.admin() as admin:
        rows = _ok(
            admin.get(
                "/admin/product-variants",
                params={"sku": sku, "fields": "id,sku,*prices"},
            )
        )["variants"]
    assert len(rows) == 1, f"{len(rows)} variants with SKU {sku!r}"
    return dict(rows[0])


def shippable(medusa: MedusaPeer, sku: str) -> None:
    """Put the product of variant ``sku`` in Medusa's default shipping profile.

    A product with stock-managed variants is only sold with a shipping method of
    its profile; the destination does not assign one yet (see the guide).
    """
    with medusa.admin() as admin:
        [variant] = _ok(
            admin.get("/admin/product-variants", params={"sku": sku, "fields": "id,product_id"})
        )["variants"]
        profile = _first(admin, "/admin/shipping-profiles", "shipping_profiles", type="default")
        assert profile is not None, "Medusa has no default shipping profile"
        _ok(
            admin.post(
                f"/admin/products/{variant['product_id']}",
                json={"shipping_profile_id": profile["id"]},
            )
        )


def price_of(variant: dict[str, Any], currency: str = "usd") -> Decimal:
    return next(
        Decimal(str(p["amount"])) for p in variant["prices"] if p["currency_code"] == currency
    )


__all__ = [
    "ADDRESS",
    "Shopper",
    "Storefront",
    "price_of",
    "seed_checkout",
    "shippable",
    "variant_of",
]
