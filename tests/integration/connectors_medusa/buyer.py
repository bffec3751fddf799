"""The buyer's side of a test Medusa: a region, a publishable key, a registered buyer's prices.

What a logged-in customer sees is Medusa's own calculation (``calculated_price``
of ``GET /store/products`` with the customer's token), the number the tests
hold equal to the hub's quote.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from .medusa_server import MedusaPeer


@dataclass(frozen=True)
class Storefront:
    """A region in one currency and a publishable key for the default sales channel."""

    url: str
    region_id: str
    publishable_key: str

    def _headers(self, token: str | None) -> dict[str, str]:
        out = {"x-publishable-api-key": self.publishable_key}
        if token:
            out["Authorization"] = f"Bearer {token}"
        return out

    def register(self, email: str) -> tuple[str, str]:
        """A buyer who signs up in the store; returns (customer id, password)."""
        password = secrets.token_urlsafe(12)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            r = http.post(
                "/auth/customer/emailpass/register", json={"email": email, "password": password}
            )
            r.raise_for_status()
            r = http.post(
                "/store/customers", json={"email": email}, headers=self._headers(r.json()["token"])
            )
            r.raise_for_status()
            return str(r.json()["customer"]["id"]), password

    def login(self, email: str, password: str) -> str:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            r = http.post("/auth/customer/emailpass", json={"email": email, "password": password})
            r.raise_for_status()
            return str(r.json()["token"])

    def prices(self, handle: str, token: str | None = None) -> dict[str, Decimal]:
        """Variant SKU → the price Medusa calculates for the buyer (or a guest), in the region."""
        with httpx.Client(base_url=self.url, timeout=30) as http:
            r = http.get(
                "/store/products",
                params={
                    "handle": handle,
                    "region_id": self.region_id,
                    "fields": "id,*variants,*variants.calculated_price",
                },
                headers=self._headers(token),
            )
            r.raise_for_status()
            products: list[dict[str, Any]] = r.json()["products"]
        assert len(products) == 1, products
        return {
            v["sku"]: Decimal(str(v["calculated_price"]["calculated_amount"]))
            for v in products[0]["variants"]
        }


def open_storefront(medusa: MedusaPeer, currency: str = "usd") -> Storefront:
    """A region and a publishable key (made once per Medusa; found again after that)."""
    with medusa.admin() as admin:
        regions = admin.get("/admin/regions", params={"currency_code": currency}).json()["regions"]
        if regions:
            region = regions[0]["id"]
        else:
            r = admin.post(
                "/admin/regions", json={"name": f"Test {currency}", "currency_code": currency}
            )
            r.raise_for_status()
            region = r.json()["region"]["id"]
        keys = admin.get(
            "/admin/api-keys", params={"type": "publishable", "fields": "id,token,title"}
        ).json()["api_keys"]
        key = next((k for k in keys if k["title"] == "crossdock-store-tests"), None)
        if key is None:
            r = admin.post(
                "/admin/api-keys", json={"title": "crossdock-store-tests", "type": "publishable"}
            )
            r.raise_for_status()
            key = r.json()["api_key"]
            channel = admin.get(
                "/admin/sales-channels", params={"name": "Default Sales Channel"}
            ).json()["sales_channels"][0]["id"]
            admin.post(
                f"/admin/api-keys/{key['id']}/sales-channels", json={"add": [channel]}
            ).raise_for_status()
    return Storefront(medusa.url, region, str(key["token"]))


def shipping_option(medusa: MedusaPeer, location: str, currency: str = "usd") -> str:
    """A flat-rate manual shipping option from the stock location ``location`` (made once).

    What a real store has and an order needs to be fulfilled: the location
    served by Medusa's manual fulfilment provider, a shipping fulfilment set
    with a service zone for the US, a shipping profile and the option itself.
    """
    name = f"Crossdock test shipping from {location}"
    with medusa.admin() as admin:
        found = admin.get("/admin/shipping-options", params={"q": name}).json()["shipping_options"]
        if found:
            return str(found[0]["id"])
        rows = admin.get("/admin/stock-locations", params={"name": location}).json()
        if rows["stock_locations"]:
            lid = rows["stock_locations"][0]["id"]
        else:
            r = admin.post("/admin/stock-locations", json={"name": location})
            r.raise_for_status()
            lid = r.json()["stock_location"]["id"]
        channel = admin.get(
            "/admin/sales-channels", params={"name": "Default Sales Channel"}
        ).json()["sales_channels"][0]["id"]
        admin.post(
            f"/admin/stock-locations/{lid}/sales-channels", json={"add": [channel]}
        ).raise_for_status()
        admin.post(
            f"/admin/stock-locations/{lid}/fulfillment-providers", json={"add": ["manual_manual"]}
        ).raise_for_status()
        r = admin.post(
            f"/admin/stock-locations/{lid}/fulfillment-sets",
            json={"name": f"{location} shipping", "type": "shipping"},
            params={"fields": "id,*fulfillment_sets"},
        )
        r.raise_for_status()
        fsid = r.json()["stock_location"]["fulfillment_sets"][0]["id"]
        r = admin.post(
            f"/admin/fulfillment-sets/{fsid}/service-zones",
            json={"name": "US", "geo_zones": [{"type": "country", "country_code": "us"}]},
            params={"fields": "id,*service_zones"},
        )
        r.raise_for_status()
        zone = r.json()["fulfillment_set"]["service_zones"][0]["id"]
        profiles = admin.get("/admin/shipping-profiles").json()["shipping_profiles"]
        if profiles:
            profile = profiles[0]["id"]
        else:
            r = admin.post("/admin/shipping-profiles", json={"name": "Default", "type": "default"})
            r.raise_for_status()
            profile = r.json()["shipping_profile"]["id"]
        r = admin.post(
            "/admin/shipping-options",
            json={
                "name": name,
                "service_zone_id": zone,
                "shipping_profile_id": profile,
                "provider_id": "manual_manual",
                "price_type": "flat",
                "type": {"label": "Standard", "description": "Ground", "code": "standard"},
                "prices": [{"currency_code": currency, "amount": 10}],
                "rules": [],
            },
        )
        r.raise_for_status()
        return str(r.json()["shipping_option"]["id"])
