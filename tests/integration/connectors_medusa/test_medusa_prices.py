"""Contract prices and B2B buyers in a real Medusa v2: what a buyer sees is the hub's quote.

The hub publishes ACME's prices (a contract under the base list); the account
becomes a Medusa customer group with its buyers (one already registered in
the store, one made by the hub), the prices an override price list for that
group. A buyer logged into the store sees, through Medusa's own price
calculation, exactly what ``POST /v1/prices/quote`` answers for ACME; a guest
sees the variant's own price. A changed contract replaces the price; a push
repeated by a process that remembers nothing makes no second list, price,
group or customer.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.config.pricing import PricePublish, PricingConfig
from crossdock.connectors.base import DeliveryStatus
from crossdock.connectors.medusa import MedusaConnector
from crossdock.connectors.medusa.pricelists import META_CUSTOMER, list_body
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.reconcile import Drift, ReconcileReport
from crossdock.sync.runtime import Hub

from .hubs import by_hand, shop_system
from .medusa_server import MedusaPeer
from .storefront import Shopper, Storefront, seed_checkout, variant_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette prefers httpx2; the client works the same
    from fastapi.testclient import TestClient

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

ROUTES = {
    "products-to-shop": EntityType.PRODUCT,
    "customers-to-shop": EntityType.CUSTOMER,
    "prices-to-shop": EntityType.CUSTOMER_PRICE,
}


def hub_for(root: Path, medusa: MedusaPeer, account: str) -> Hub:
    types = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            shop_system(medusa),
        ],
        ownership={e: EntityOwnership(owner="erp") for e in types},
        routes=[RouteConfig(name=n, entities=[e], destination="shop") for n, e in ROUTES.items()],
        pricing=PricingConfig(publish=[PricePublish(customers=[account], currency="USD")]),
    )
    return Hub(config, Store.open(f"sqlite:///{root / 'hub.sqlite'}"))


def erp(etype: EntityType, native: str, data: dict[str, Any]) -> Change:
    return Change(
        system="erp", entity_type=etype, native_id=native, data=data, source_ts=datetime.now(UTC)
    )


def contract(code: str, account: str, sku: str, price: str) -> Change:
    return erp(
        EntityType.PRICE_LIST,
        code,
        {
            "code": code,
            "kind": "contract",
            "scope": {"customers": [account]},
            "entries": [{"sku": sku, "breaks": [{"min_quantity": "1", "value": price}]}],
        },
    )


def seed(hub: Hub, account: str, skus: tuple[str, str], emails: list[str]) -> None:
    w1, w2 = skus
    product = {"base_uom": "EA", "status": "active", "list_price": "11.00"}
    report = hub.ingest(
        [
            erp(
                EntityType.PRODUCT,
                w1,
                {
                    **product,
                    "sku": w1,
                    "description": "Widget",
                    "units": [{"code": "CS", "factor": "12"}],
                },
            ),
            erp(EntityType.PRODUCT, w2, {**product, "sku": w2, "description": "Gadget"}),
            erp(
                EntityType.PRICE_LIST,
                f"BASE-{account}",
                {
                    "code": f"BASE-{account}",
                    "kind": "base",
                    "entries": [
                        {"sku": w1, "breaks": [{"min_quantity": "1", "value": "10.00"}]},
                        {"sku": w2, "breaks": [{"min_quantity": "1", "value": "20.00"}]},
                    ],
                },
            ),
            contract(f"C-{account}", account, w1, "8.40"),
            erp(
                EntityType.CUSTOMER,
                account,
                {
                    "account_number": account,
                    "name": f"{account} Corp",
                    "status": "active",
                    "contacts": [{"name": f"Buyer {e}", "email": e} for e in emails],
                },
            ),
        ]
    )
    assert not report.exceptions, report


def sync(hub: Hub, app: Application) -> None:
    """One pass in dependency order: prices published, then products, accounts, prices out."""
    app.attach_steps()
    hub.run_steps()
    for route in ROUTES:
        report = hub.deliver([route])[route]
        assert report.parked == 0, (route, report)


def quote(
    client: TestClient, key: str, account: str, sku: str, unit: str | None = None, quantity: int = 1
) -> Decimal:
    line: dict[str, Any] = {"sku": sku, "quantity": str(quantity)}
    if unit:
        line["unit"] = unit
    r = client.post(
        "/v1/prices/quote",
        json={"customer": account, "lines": [line]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    return Decimal(r.json()["lines"][0]["unit_price"])


@pytest.fixture
def storefront(medusa: MedusaPeer) -> Storefront:
    return seed_checkout(medusa)


@pytest.fixture
def shop_env(medusa: MedusaPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)


def lists_of(medusa: MedusaPeer, account: str) -> list[dict[str, Any]]:
    with medusa.admin() as admin:
        rows = admin.get("/admin/price-lists", params={"q": account, "limit": 100}).json()
    return [
        r for r in rows["price_lists"] if (r.get("metadata") or {}).get(META_CUSTOMER) == account
    ]


def list_prices(medusa: MedusaPeer, list_id: str) -> list[dict[str, Any]]:
    with medusa.admin() as admin:
        r = admin.get(f"/admin/price-lists/{list_id}/prices", params={"limit": 500})
    r.raise_for_status()
    return list(r.json()["prices"])


def test_a_buyer_sees_the_hub_quote_and_a_repeated_push_makes_nothing_twice(
    medusa: MedusaPeer, storefront: Storefront, shop_env: None, tmp_path: Path
) -> None:
    account, skus = "ACME-P1", ("PW-1", "PW-2")
    registered, made = "ann@acme-p1.test", "bob@acme-p1.test"
    ann, guest = Shopper(storefront), Shopper(storefront)
    # Ann signed up (and is logged in) before the hub pushed
    ann_id = ann.register(registered, "ann-secret-1")["id"]
    hub = hub_for(tmp_path, medusa, account)
    try:
        seed(hub, account, skus, [registered, "Bob@ACME-P1.test"])
        app = Application(hub)
        sync(hub, app)
        shop = hub.connector("shop")
        assert isinstance(shop, MedusaConnector)

        # the account is a group holding both buyers; the crosswalk knows all three ids
        with medusa.admin() as admin:
            groups = admin.get("/admin/customer-groups", params={"name": account}).json()
            gid = groups["customer_groups"][0]["id"]
            members = admin.get(
                "/admin/customers", params={"groups": gid, "fields": "id,email,has_account"}
            ).json()["customers"]
        assert len(groups["customer_groups"]) == 1
        assert {m["email"] for m in members} == {registered, made}
        assert ann_id in {m["id"] for m in members}
        cus = next(hub.store.records.iter(EntityType.CUSTOMER))
        natives = {
            n for s, n in hub.store.crosswalk.native_ids(EntityType.CUSTOMER, cus.id) if s == "shop"
        }
        assert natives == {gid} | {m["id"] for m in members}

        # what the registered buyer sees is Medusa's calculation = the hub's quote
        with TestClient(create_app(Application(hub))) as client:
            key = create_api_key(hub.store, "reader", ["read"])
            w1, w2 = skus
            seen = ann.prices(w1.lower())
            assert seen == {
                w1: quote(client, key, account, w1),
                f"{w1}-CS": quote(client, key, account, w1, "CS"),
            }
            assert seen[w1] == Decimal("8.40")  # the contract, under the base list's 10.00
            assert ann.prices(w2.lower()) == {w2: quote(client, key, account, w2)}
            assert guest.prices(w1.lower()) == {w1: Decimal(11), f"{w1}-CS": Decimal(132)}

            # a new contract price replaces the old one: one price per variant, still the quote
            assert not hub.ingest([contract(f"C-{account}", account, w1, "8.10")]).exceptions
            sync(hub, app)
            seen = ann.prices(w1.lower())
            assert seen[w1] == quote(client, key, account, w1) == Decimal("8.10")
        [plist] = lists_of(medusa, account)
        prices = list_prices(medusa, plist["id"])
        assert len(prices) == 3  # PW-1, PW-1-CS and PW-2, once each
        assert plist["rules"] == {"customer.groups.id": [gid]} and plist["type"] == "override"

        # a process that remembers nothing pushes everything again (the answers were lost)
        again = MedusaConnector(shop.system, shop.settings, hub.config)
        try:
            for etype in (EntityType.CUSTOMER, EntityType.CUSTOMER_PRICE):
                batch = [by_hand(etype, r.id, r.data) for r in hub.store.records.iter(etype)]
                results = again.medusa_destination.push(batch)
                assert {r.status for r in results} == {DeliveryStatus.DELIVERED}, results
        finally:
            again.close()
        assert [p["id"] for p in lists_of(medusa, account)] == [plist["id"]]
        assert {p["id"] for p in list_prices(medusa, plist["id"])} == {p["id"] for p in prices}
        with medusa.admin() as admin:
            for email in (registered, made):
                found = admin.get("/admin/customers", params={"email": email}).json()
                assert found["count"] == 1, found
            assert (
                admin.get("/admin/customer-groups", params={"name": account}).json()["count"] == 1
            )
    finally:
        hub.close()
        ann.close()
        guest.close()


def test_a_contact_removed_or_an_account_blocked_leaves_the_group(
    medusa: MedusaPeer, shop_env: None, tmp_path: Path
) -> None:
    account = "ACME-P2"
    hub = hub_for(tmp_path, medusa, account)
    try:
        seed(hub, account, ("PX-1", "PX-2"), ["cat@acme-p2.test", "dan@acme-p2.test"])
        sync(hub, Application(hub))

        def members() -> set[str]:
            with medusa.admin() as admin:
                gid = admin.get("/admin/customer-groups", params={"name": account}).json()[
                    "customer_groups"
                ][0]["id"]
                rows = admin.get("/admin/customers", params={"groups": gid, "fields": "email"})
            return {r["email"] for r in rows.json()["customers"]}

        assert members() == {"cat@acme-p2.test", "dan@acme-p2.test"}
        contacts = [{"name": "Cat", "email": "cat@acme-p2.test"}]
        hub.ingest(
            [erp(EntityType.CUSTOMER, account, {"account_number": account, "contacts": contacts})]
        )
        hub.deliver(["customers-to-shop"])
        assert members() == {"cat@acme-p2.test"}
        hub.ingest(
            [erp(EntityType.CUSTOMER, account, {"account_number": account, "status": "blocked"})]
        )
        hub.deliver(["customers-to-shop"])
        assert members() == set()
        with medusa.admin() as admin:  # the customers themselves stay (they may have orders)
            assert (
                admin.get("/admin/customers", params={"email": "dan@acme-p2.test"}).json()["count"]
                == 1
            )
    finally:
        hub.close()


def test_reconcile_reads_back_groups_buyers_and_price_lists_and_heals_them(
    medusa: MedusaPeer, shop_env: None, tmp_path: Path
) -> None:
    account, skus = "ACME-P3", ("PR-1", "PR-2")
    emails = ["eve@acme-p3.test", "fay@acme-p3.test"]

    def drifts(hub: Hub) -> list[Drift]:
        report = hub.read_back("shop", ReconcileReport("shop"))
        assert report is not None
        # the shared Medusa holds other tests' products, groups and lists: this account's only
        return [
            d
            for d in report.drifts
            if d.entity_id is not None or account in json.dumps(d.system_value, default=str)
        ]

    hub = hub_for(tmp_path, medusa, account)
    try:
        seed(hub, account, skus, emails)
        sync(hub, Application(hub))
        assert drifts(hub) == []
    finally:
        hub.close()

    [plist] = lists_of(medusa, account)
    w1 = next(p for p in list_prices(medusa, plist["id"]) if p["amount"] == 8.4)
    with medusa.admin() as admin:
        # a person edits the contract price, takes a buyer out of the group, makes a second list
        admin.post(
            f"/admin/price-lists/{plist['id']}/prices/batch",
            json={
                "update": [
                    {
                        "id": w1["id"],
                        "variant_id": w1["price_set"]["variant"]["id"],
                        "currency_code": "usd",
                        "amount": 7.0,
                    }
                ]
            },
        ).raise_for_status()
        [group] = admin.get("/admin/customer-groups", params={"name": account}).json()[
            "customer_groups"
        ]
        [fay] = admin.get("/admin/customers", params={"email": emails[1]}).json()["customers"]
        admin.post(
            f"/admin/customer-groups/{group['id']}/customers", json={"remove": [fay["id"]]}
        ).raise_for_status()
        admin.post("/admin/price-lists", json=list_body(account, group["id"])).raise_for_status()

    hub = hub_for(tmp_path, medusa, account)  # a new process: it remembers nothing of Medusa
    try:
        found = {(d.kind.value, d.entity_type.value, d.field): d for d in drifts(hub)}
        assert set(found) == {
            ("different", "customer_price", "prices[PR-1].amount"),
            ("different", "customer", "buyers"),
            ("unknown_to_hub", "customer_price", None),
        }, found
        price = found[("different", "customer_price", "prices[PR-1].amount")]
        assert (price.native_id, price.system_value, price.hub_value) == (
            w1["id"],
            Decimal(7),
            Decimal("8.40"),
        )
        buyers = found[("different", "customer", "buyers")]
        assert (buyers.native_id, buyers.system_value, buyers.hub_value) == (
            group["id"],
            [emails[0]],
            emails,
        )
        extra = found[("unknown_to_hub", "customer_price", None)]
        assert extra.native_id != plist["id"] and extra.remedy.value == "report"
        report = ReconcileReport("shop")
        report.drifts.extend(found.values())
        healed = hub.heal(report, actor="test")
        assert healed["resent"] == healed["delivered"] == 2, healed
        # healed: only the list the hub never made is left, for a person
        left = drifts(hub)
        assert [(d.kind.value, d.native_id) for d in left] == [("unknown_to_hub", extra.native_id)]
    finally:
        hub.close()


def test_quantity_breaks_and_a_case_priced_by_itself_reach_a_buyer_s_cart(
    medusa: MedusaPeer, storefront: Storefront, shop_env: None, tmp_path: Path
) -> None:
    account, x1, x2 = "ACME-P5", "PQ-1", "PQ-2"
    email = "gil@acme-p5.test"
    gil = Shopper(storefront)
    gil.register(email, "gil-secret-1")
    hub = hub_for(tmp_path, medusa, account)
    try:
        product = {"base_uom": "EA", "status": "active", "list_price": "11.00"}
        report = hub.ingest(
            [
                erp(
                    EntityType.PRODUCT,
                    x1,
                    {**product, "sku": x1, "units": [{"code": "CS", "factor": "12"}]},
                ),
                erp(
                    EntityType.PRODUCT,
                    x2,
                    {**product, "sku": x2, "units": [{"code": "CS", "factor": "6"}]},
                ),
                erp(
                    EntityType.PRICE_LIST,
                    "BASE-P5",
                    {
                        "code": "BASE-P5",
                        "kind": "base",
                        "entries": [
                            {"sku": x1, "breaks": [{"min_quantity": "1", "value": "10.00"}]},
                            {"sku": x2, "breaks": [{"min_quantity": "1", "value": "20.00"}]},
                        ],
                    },
                ),
                erp(
                    EntityType.PRICE_LIST,
                    "C-P5",
                    {
                        "code": "C-P5",
                        "kind": "contract",
                        "scope": {"customers": [account]},
                        "entries": [
                            {
                                "sku": x1,
                                "breaks": [
                                    {"min_quantity": "1", "value": "8.40"},
                                    {"min_quantity": "10", "value": "7.90"},
                                    {"min_quantity": "50", "value": "7.50"},
                                ],
                            },
                            # the case of PQ-2 has a price of its own, not 6 x the each price
                            {
                                "sku": x2,
                                "unit": "CS",
                                "breaks": [{"min_quantity": "1", "value": "100.00"}],
                            },
                        ],
                    },
                ),
                erp(
                    EntityType.CUSTOMER,
                    account,
                    {
                        "account_number": account,
                        "name": "Acme P5",
                        "status": "active",
                        "contacts": [{"name": "Gil Buyer", "email": email}],
                    },
                ),
            ]
        )
        assert not report.exceptions, report
        app = Application(hub)
        sync(hub, app)
        variant = {
            v["sku"]: v["id"]
            for sku in (x1, x2)
            for v in [variant_of(medusa, sku), variant_of(medusa, f"{sku}-CS")]
        }
        with medusa.admin() as admin:  # stock where the store's channel sells, for a cart
            for sku in (x1, x2):
                [item] = admin.get("/admin/inventory-items", params={"sku": sku}).json()[
                    "inventory_items"
                ]
                admin.post(
                    f"/admin/inventory-items/{item['id']}/location-levels",
                    json={"location_id": storefront.stock_location_id, "stocked_quantity": 10000},
                ).raise_for_status()
        with TestClient(create_app(Application(hub))) as client:
            key = create_api_key(hub.store, "reader", ["read"])
            # each: 8.40 below 10, 7.90 from 10, 7.50 from 50; a case is 12 of them
            for quantity, want in (
                (1, "8.40"),
                (9, "8.40"),
                (10, "7.90"),
                (49, "7.90"),
                (60, "7.50"),
            ):
                seen = gil.line_price(variant[x1], quantity)
                assert seen == quote(client, key, account, x1, quantity=quantity) == Decimal(want)
            for cases in (1, 4, 5):
                seen = gil.line_price(variant[f"{x1}-CS"], cases)
                assert seen == quote(client, key, account, x1, "CS", cases), cases
            assert gil.line_price(variant[f"{x1}-CS"], 5) == Decimal("7.50") * 12
            # the case priced by itself: its own price, not six times the each price
            case = gil.line_price(variant[f"{x2}-CS"], 1)
            assert case == quote(client, key, account, x2, "CS") == Decimal("100.00")
            assert gil.line_price(variant[x2], 1) == quote(client, key, account, x2)
            assert case != 6 * gil.line_price(variant[x2], 1)
        [plist] = lists_of(medusa, account)
        tiers = sorted(
            (p["min_quantity"] or 0, p["max_quantity"] or 0, p["amount"])
            for p in list_prices(medusa, plist["id"])
            if p["price_set"]["variant"]["id"] == variant[x1]
        )
        assert tiers == [(0, 9, 8.4), (10, 49, 7.9), (50, 0, 7.5)]
        # read back: no drift for this account's prices
        report = hub.read_back("shop", ReconcileReport("shop"))
        assert report is not None
        mine = [
            d for d in report.drifts if d.entity_type is EntityType.CUSTOMER_PRICE and d.entity_id
        ]
        assert mine == []
    finally:
        hub.close()
        gil.close()
