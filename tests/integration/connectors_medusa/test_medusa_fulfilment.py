"""An order placed in a real Medusa v2 follows the hub: shipments become shipped fulfilments
with tracking, a cancellation cancels it, Medusa's refusal parks with its message.

The Medusa order is made through the Admin API's draft orders (a buyer's cart
would make the same order) and taken into the hub's order intake under the
Medusa system's name with Medusa's order id as its number, as the Medusa
source does. The hub's shipments (one in two units, then the rest) reach
Medusa as fulfilments of the same items, marked shipped with a label per
tracking number; a fulfilment left unshipped by a crash is finished, not
made again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.config.orders import OrdersConfig
from crossdock.connectors.base import DeliveryStatus
from crossdock.connectors.medusa import MedusaConnector
from crossdock.connectors.medusa.fulfilment import META_SHIPMENT, META_TRACKING
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.orders import OrderIn
from crossdock.store import Store
from crossdock.store.order_rows import Move, OrderState
from crossdock.sync.runtime import Hub

from .hubs import by_hand, shop_system
from .medusa_server import MedusaPeer
from .storefront import seed_checkout

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

SKU = "OF-1"
ACCOUNT = "ACME-OF"
PRODUCT_FIELDS = ["sku", "description", "base_uom", "units", "status", "list_price", "currency"]


def open_app(root: Path, medusa: MedusaPeer) -> Application:
    types = (EntityType.PRODUCT, EntityType.CUSTOMER, EntityType.INVENTORY)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            shop_system(medusa, locations={"W1": "Dallas"}),
        ],
        ownership={e: EntityOwnership(owner="erp") for e in types},
        availability=AvailabilityConfig(locations=["W1"]),
        orders=OrdersConfig(),
        routes=[
            RouteConfig(
                name="products-to-shop",
                entities=[EntityType.PRODUCT],
                destination="shop",
                fields=PRODUCT_FIELDS,
            ),
            RouteConfig(name="stock-to-shop", entities=[EntityType.INVENTORY], destination="shop"),
            RouteConfig(name="orders-to-shop", entities=[EntityType.ORDER], destination="shop"),
        ],
    )
    app = Application(Hub(config, Store.open(f"sqlite:///{root / 'hub.sqlite'}")))
    app.attach_steps()
    return app


def erp(etype: EntityType, native: str, data: dict[str, Any]) -> Change:
    return Change(
        system="erp", entity_type=etype, native_id=native, data=data, source_ts=datetime.now(UTC)
    )


def seed(app: Application) -> None:
    report = app.hub.ingest(
        [
            erp(
                EntityType.PRODUCT,
                SKU,
                {
                    "sku": SKU,
                    "description": "Fulfilled widget",
                    "base_uom": "EA",
                    "status": "active",
                    "list_price": "4.00",
                    "units": [{"code": "CS", "factor": "12"}],
                },
            ),
            erp(
                EntityType.CUSTOMER,
                ACCOUNT,
                {
                    "account_number": ACCOUNT,
                    "status": "active",
                    "credit_limit": "100000",
                    "sites": [{"code": "S1", "roles": ["ship_to"]}],
                },
            ),
            erp(
                EntityType.INVENTORY, f"{SKU}@W1", {"sku": SKU, "location": "W1", "on_hand": "500"}
            ),
        ]
    )
    assert not report.exceptions, report
    app.hub.run_steps()  # the inventory reaches the stock positions
    for route in ("products-to-shop", "stock-to-shop"):
        assert app.hub.deliver([route])[route].parked == 0


def medusa_order(medusa: MedusaPeer, items: dict[str, int]) -> str:
    """An order in Medusa (a draft order converted), shipped from Dallas."""
    front = seed_checkout(medusa)
    region, option = front.region_id, front.shipping_option_id
    with medusa.admin() as admin:
        product = admin.get(
            "/admin/products", params={"handle": SKU.lower(), "fields": "id,*variants"}
        ).json()["products"][0]
        variants = {v["sku"]: v["id"] for v in product["variants"]}
        channel = admin.get(
            "/admin/sales-channels", params={"name": "Default Sales Channel"}
        ).json()["sales_channels"][0]["id"]
        r = admin.post(
            "/admin/draft-orders",
            json={
                "email": "buyer@acme-of.test",
                "region_id": region,
                "sales_channel_id": channel,
                "items": [{"variant_id": variants[s], "quantity": q} for s, q in items.items()],
                "shipping_methods": [
                    {"shipping_option_id": option, "name": "Standard", "amount": 10}
                ],
                "shipping_address": {
                    "first_name": "Ann",
                    "last_name": "Buyer",
                    "address_1": "1 Main St",
                    "city": "Dallas",
                    "country_code": "us",
                    "postal_code": "75001",
                },
            },
        )
        r.raise_for_status()
        r = admin.post(f"/admin/draft-orders/{r.json()['draft_order']['id']}/convert-to-order")
        r.raise_for_status()
        return str(r.json()["order"]["id"])


def take_in(app: Application, oid: str, lines: list[dict[str, Any]]) -> str:
    """The Medusa order in the hub's intake (as the Medusa source brings it), confirmed."""
    body = OrderIn.model_validate(
        {"order_number": oid, "customer": ACCOUNT, "ship_to": "S1", "lines": lines}
    )
    done = app.orders.submit("shop", body)
    assert done.order.status is OrderState.ACCEPTED, done.order
    moved = app.hub.store.orders.transition(
        done.order.id,
        {OrderState.ACCEPTED},
        Move(OrderState.CONFIRMED, erp_id="1", erp_number="SO1"),
    )
    assert moved is not None
    app.engine.run()
    return done.order.id


def ship(app: Application, number: str, oid: str, lines: list[dict[str, Any]], **kw: Any) -> None:
    data = {"shipment_number": number, "order_number": oid, "status": "shipped", "lines": lines}
    assert not app.hub.ingest([erp(EntityType.SHIPMENT, number, {**data, **kw})]).exceptions
    app.fulfilment.run()
    app.engine.run()


def read(medusa: MedusaPeer, oid: str) -> dict[str, Any]:
    with medusa.admin() as admin:
        r = admin.get(
            f"/admin/orders/{oid}",
            params={"fields": "id,status,metadata,*items,*fulfillments,*fulfillments.labels"},
        )
    r.raise_for_status()
    return dict(r.json()["order"])


def fulfilled(order: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Variant SKU → (fulfilled, shipped) quantity, as decimal text."""
    return {
        i["variant_sku"]: (
            f"{Decimal(str(i['detail']['fulfilled_quantity'])).normalize():f}",
            f"{Decimal(str(i['detail']['shipped_quantity'])).normalize():f}",
        )
        for i in order["items"]
    }


@pytest.fixture
def app(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Application]:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    application = open_app(tmp_path, medusa)
    seed(application)
    yield application
    application.hub.close()


def test_hub_shipments_become_shipped_fulfilments_with_tracking_never_twice(
    medusa: MedusaPeer, app: Application
) -> None:
    oid = medusa_order(medusa, {SKU: 5, f"{SKU}-CS": 2})
    take_in(
        app,
        oid,
        [
            {"line_number": 1, "sku": SKU, "quantity": "5"},
            {"line_number": 2, "sku": SKU, "quantity": "2", "unit": "CS"},
        ],
    )
    lines = [
        {"order_line_number": 1, "sku": SKU, "quantity": "3"},
        {"order_line_number": 2, "sku": SKU, "quantity": "1", "unit": "CS"},
    ]
    ship(app, "SHP-1", oid, lines, carrier="UPS", tracking_numbers=["1Z1", "1Z2"])
    report = app.hub.deliver(["orders-to-shop"])["orders-to-shop"]
    assert (report.delivered, report.parked) == (1, 0), report
    order = read(medusa, oid)
    [first] = order["fulfillments"]
    assert first["metadata"][META_SHIPMENT] == "SHP-1" and first["shipped_at"]
    assert sorted(label["tracking_number"] for label in first["labels"]) == ["1Z1", "1Z2"]
    assert fulfilled(order) == {SKU: ("3", "3"), f"{SKU}-CS": ("1", "1")}
    canonical = app.hub.store.crosswalk.native_ids_for(
        EntityType.ORDER, "shop", [r.id for r in app.hub.store.records.iter(EntityType.ORDER)]
    )
    assert list(canonical.values()) == [oid]

    # a second parcel's tracking number after Medusa marked the fulfilment shipped: Medusa
    # takes no label on a shipped fulfilment, so the order carries it; no second fulfilment
    ship(app, "SHP-1", oid, lines, carrier="UPS", tracking_numbers=["1Z1", "1Z2", "1Z9"])
    report = app.hub.deliver(["orders-to-shop"])["orders-to-shop"]
    assert report.parked == 0, report
    order = read(medusa, oid)
    [first] = order["fulfillments"]
    assert sorted(label["tracking_number"] for label in first["labels"]) == ["1Z1", "1Z2"]
    assert order["metadata"][META_TRACKING] == {"SHP-1": ["1Z9"]}
    assert fulfilled(order) == {SKU: ("3", "3"), f"{SKU}-CS": ("1", "1")}

    # the rest ships; a first attempt made its fulfilment and died before marking it shipped
    rest = [
        {"order_line_number": 1, "sku": SKU, "quantity": "2"},
        {"order_line_number": 2, "sku": SKU, "quantity": "1", "unit": "CS"},
    ]
    items = {i["variant_sku"]: i["id"] for i in order["items"]}
    with medusa.admin() as admin:
        admin.post(
            f"/admin/orders/{oid}/fulfillments",
            json={
                "items": [
                    {"id": items[SKU], "quantity": 2},
                    {"id": items[f"{SKU}-CS"], "quantity": 1},
                ],
                "metadata": {META_SHIPMENT: "SHP-2"},
            },
        ).raise_for_status()
    ship(app, "SHP-2", oid, rest, carrier="UPS", tracking_numbers=["1Z3"])
    report = app.hub.deliver(["orders-to-shop"])["orders-to-shop"]
    assert (report.delivered, report.parked) == (1, 0), report
    order = read(medusa, oid)
    assert len(order["fulfillments"]) == 2
    second = next(f for f in order["fulfillments"] if f["metadata"][META_SHIPMENT] == "SHP-2")
    assert second["shipped_at"] and [x["tracking_number"] for x in second["labels"]] == ["1Z3"]
    assert fulfilled(order) == {SKU: ("5", "5"), f"{SKU}-CS": ("2", "2")}

    # the whole order pushed again by a process that remembers nothing: nothing new
    rec = next(app.hub.store.records.iter(EntityType.ORDER))
    shop = app.hub.connector("shop")
    assert isinstance(shop, MedusaConnector)
    again = MedusaConnector(shop.system, shop.settings, app.hub.config)
    try:
        [res] = again.medusa_destination.push([by_hand(EntityType.ORDER, rec.id, rec.data)])
    finally:
        again.close()
    assert res.status is DeliveryStatus.DELIVERED and res.native_id == oid
    assert len(read(medusa, oid)["fulfillments"]) == 2


def test_a_cancelled_order_is_cancelled_and_a_refusal_parks_with_medusas_message(
    medusa: MedusaPeer, app: Application
) -> None:
    plain = medusa_order(medusa, {SKU: 1})
    held = medusa_order(medusa, {SKU: 2})
    for oid in (plain, held):
        hub_id = take_in(
            app, oid, [{"line_number": 1, "sku": SKU, "quantity": "1" if oid == plain else "2"}]
        )
        app.orders.cancel(hub_id, actor="test", note="buyer called")
    app.engine.run()
    # someone fulfilled the second one in Medusa: Medusa will not cancel it
    item = read(medusa, held)["items"][0]["id"]
    with medusa.admin() as admin:
        admin.post(
            f"/admin/orders/{held}/fulfillments", json={"items": [{"id": item, "quantity": 2}]}
        ).raise_for_status()
    report = app.hub.deliver(["orders-to-shop"])["orders-to-shop"]
    assert (report.delivered, report.parked) == (1, 1), report
    assert read(medusa, plain)["status"] == "canceled"
    assert read(medusa, held)["status"] != "canceled"
    [parked] = app.hub.store.parked.page("orders-to-shop")
    assert "All fulfillments must be canceled" in (parked.error or "")
