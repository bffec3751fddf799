"""Medusa as a source, against the real Medusa: store customers into matching, checkouts into
the order intake (accepted for the right customer, lines and prices), nothing twice on a
re-pull, and a bookmark that stays put when intake fails."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa import MedusaConnector
from crossdock.connectors.medusa.config import MedusaPull
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.services.availability import WmsEvent
from crossdock.store.order_rows import Move, OrderState

from .medusa_server import MedusaPeer
from .storefront import Shopper, seed_checkout, shippable, variant_of

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
ADDRESS = {
    "first_name": "Pat",
    "last_name": "Buyer",
    "address_1": "12 Main Street",
    "city": "Dallas",
    "country_code": "us",
    "postal_code": "75201",
}


def config(medusa: MedusaPeer) -> HubConfig:
    return HubConfig.model_validate(
        {
            "systems": [
                {"name": "erp", "kind": "files"},
                {
                    "name": "shop",
                    "kind": "medusa",
                    "settings": {
                        "url": medusa.url,
                        "api_key_env": "MEDUSA_API_KEY",
                        "sales_channel": "Default Sales Channel",
                        "locations": {"W1": "Dallas"},
                        "pull": ["customers", "orders"],
                    },
                },
            ],
            "ownership": {
                "product": {"owner": "erp"},
                "price_list": {"owner": "erp"},
                # the ERP owns the B2B account (number, sites, credit); the shop may create
                # a customer and names its buyers, the name is shared
                "customer": {
                    "owner": "erp",
                    "create": ["erp", "shop"],
                    "fields": {"contacts": "shop", "name": "*"},
                    "non_owner": "ignore",
                },
            },
            "customers": {},
            "availability": {"locations": ["W1"]},
            "orders": {},
        }
    )


@pytest.fixture
def app(
    medusa: MedusaPeer, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Application]:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    application = Application.open(config(medusa), store_url=store_url)
    yield application
    application.close()


def shop(app: Application) -> MedusaConnector:
    conn = app.hub.connector("shop")
    assert isinstance(conn, MedusaConnector)
    return conn


def erp(app: Application, etype: EntityType, native: str, data: dict[str, Any]) -> str:
    report = app.hub.ingest([Change(system="erp", entity_type=etype, native_id=native, data=data)])
    assert not report.exceptions, report
    rid = app.hub.store.crosswalk.resolve("erp", etype, native)
    assert rid is not None
    return rid


def _delivery(etype: EntityType, rid: str, data: dict[str, Any]) -> Delivery:
    return Delivery(
        f"test:{rid}", "test", etype, rid, 1, ChangeOp.UPSERT, data, None, datetime.now(UTC)
    )


def catalog(app: Application, medusa: MedusaPeer, tag: str) -> str:
    """A product (EA, CS of 12 at 10.00 each) in the hub and in Medusa, 500 in stock at W1."""
    sku = f"SRC-{tag}"
    data = {
        "sku": sku,
        "description": f"Widget {tag}",
        "status": "active",
        "base_uom": "EA",
        "units": [{"code": "CS", "factor": "12"}],
        "list_price": "10.00",
        "currency": "USD",
    }
    rid = erp(app, EntityType.PRODUCT, sku, data)
    dest = shop(app).medusa_destination
    [pushed] = dest.push([_delivery(EntityType.PRODUCT, rid, data)])
    assert pushed.status.value == "delivered", pushed
    stock = {"sku": sku, "location": "W1", "on_hand": "500", "available": "500"}
    [level] = dest.push([_delivery(EntityType.INVENTORY, f"inv-{tag}", stock)])
    assert level.status.value == "delivered", level
    shippable(medusa, sku)
    app.availability.feeds.apply_wms_event(
        WmsEvent(
            idempotency_key=f"rcv-{tag}",
            kind="receipt",
            sku=sku,
            location="W1",
            quantity=Decimal(500),
        )
    )
    return sku


def account(app: Application, tag: str) -> str:
    """The ERP's B2B account: Acme Supply <tag> at 12 Main St, Dallas (ship-to S1)."""
    return erp(
        app,
        EntityType.CUSTOMER,
        f"ACME-{tag}",
        {
            "account_number": f"ACME-{tag}",
            "name": f"Acme Supply {tag}",
            "status": "active",
            "credit_limit": "100000",
            "sites": [
                {
                    "code": "S1",
                    "roles": ["sold_to", "ship_to"],
                    "address": {
                        "line1": "12 Main St",
                        "city": "Dallas",
                        "postal_code": "75201",
                        "country": "US",
                    },
                }
            ],
        },
    )


def buyer(
    app: Application, medusa: MedusaPeer, tag: str, company: str, address: dict[str, Any] = ADDRESS
) -> tuple[Shopper, dict[str, Any]]:
    """A store customer registered through the Store API, with the address in their book."""
    front = seed_checkout(medusa)
    # the shared Medusa holds other tests' buyers too: read only those registered from now on
    source = shop(app).medusa_source
    source.bookmarks.set("customers", datetime.now(UTC) - source.overlap - timedelta(seconds=1))
    shopper = Shopper(front)
    email = f"pat-{tag}@acme-{tag}.test"
    customer = shopper.register(
        email, "secret-pass-1", first_name="Pat", last_name="Buyer", company_name=company
    )
    shopper.add_address(**address)
    return shopper, {**customer, "email": email}


def test_a_store_checkout_arrives_as_an_accepted_order_once(
    app: Application, medusa: MedusaPeer
) -> None:
    tag = secrets.token_hex(3)
    sku = catalog(app, medusa, tag)
    acme = account(app, tag)
    shopper, cust = buyer(app, medusa, tag, f"Acme Supply {tag}")
    store = app.hub.store
    try:
        # the registered buyer is matched to the ERP's account through ingest
        app.hub.pull(["shop"])
        assert store.crosswalk.resolve("shop", EntityType.CUSTOMER, cust["id"]) == acme
        ea, cs = variant_of(medusa, sku), variant_of(medusa, f"{sku}-CS")
        placed = shopper.checkout(
            [(ea["id"], 3), (cs["id"], 2)],
            email=cust["email"],
            address=ADDRESS,
            metadata={"customer_po": f"PO-{tag}"},
        )
        number = f"MED-{placed['display_id']}"
        first = app.pull_orders(["shop"])
        assert first.created == 1
        order = store.orders.find("shop", number)
        assert order is not None
        assert order.status is OrderState.ACCEPTED, order
        assert order.customer_id == acme and order.ship_to == "S1"
        assert order.customer_po == f"PO-{tag}"
        lines = {(ln.sku, ln.unit): ln for ln in store.orders.lines(order.id)}
        assert set(lines) == {(sku, "EA"), (sku, "CS")}
        assert lines[(sku, "EA")].quantity == 3 and lines[(sku, "CS")].quantity == 2
        assert lines[(sku, "EA")].unit_price == Decimal("10.00")
        assert lines[(sku, "CS")].unit_price == Decimal("120.00")
        assert order.total == Decimal("270.00")
        mark = shop(app).medusa_source.bookmark(MedusaPull.ORDERS)
        assert mark is not None and mark >= datetime.fromisoformat(
            placed["updated_at"].replace("Z", "+00:00")
        )
        # the snapshot (reconciliation) reads every order and moves no bookmark
        source = shop(app).medusa_source
        snap = {o.native_id: o for o in source.snapshot_orders()}
        assert snap[placed["id"]].body["order_number"] == number
        assert source.bookmark(MedusaPull.ORDERS) == mark
        customers = {c.native_id for c in source.snapshot() if isinstance(c, Change)}
        assert cust["id"] in customers
        # a re-pull (the overlap reads it again) and a full re-read create nothing twice
        again = app.pull_orders(["shop"])
        assert again.created == 0 and again.same >= 1
        # forget the bookmark: everything is read again
        shop(app).medusa_source.bookmarks.set("orders", datetime(2000, 1, 1, tzinfo=UTC))
        full = app.pull_orders(["shop"])
        assert full.created == 0
        assert [o.order_number for o in store.orders.page(channel="shop")] == [number]
    finally:
        shopper.close()


def test_the_bookmark_stays_when_intake_fails_and_the_order_arrives_after(
    app: Application, medusa: MedusaPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = secrets.token_hex(3)
    sku = catalog(app, medusa, tag)
    acme = account(app, tag)
    shopper, cust = buyer(app, medusa, tag, f"Acme Supply {tag}")
    store = app.hub.store
    source = shop(app).medusa_source
    try:
        app.hub.pull(["shop"])
        app.pull_orders(["shop"])  # whatever the shared Medusa holds already
        before = source.bookmark(MedusaPull.ORDERS)
        ea = variant_of(medusa, sku)
        placed = shopper.checkout([(ea["id"], 1)], email=cust["email"], address=ADDRESS)
        number = f"MED-{placed['display_id']}"

        real_open = store.orders.open

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the store went away mid-intake")

        monkeypatch.setattr(store.orders, "open", broken)
        with pytest.raises(RuntimeError, match="went away"):
            app.pull_orders(["shop"])
        assert source.bookmark(MedusaPull.ORDERS) == before
        assert store.orders.find("shop", number) is None
        # a sync pass runs the same step; its failure is logged and the bookmark stays too
        app.attach_steps()
        app.hub.run_steps()
        assert source.bookmark(MedusaPull.ORDERS) == before

        monkeypatch.setattr(store.orders, "open", real_open)
        done = app.pull_orders(["shop"])
        assert done.created == 1
        order = store.orders.find("shop", number)
        assert order is not None and order.customer_id == acme
        assert order.status is OrderState.ACCEPTED
        after = source.bookmark(MedusaPull.ORDERS)
        assert after is not None and (before is None or after > before)
    finally:
        shopper.close()


def test_a_registered_customer_unknown_to_the_erp_is_created_and_an_unmatched_ship_to_filed(
    app: Application, medusa: MedusaPeer
) -> None:
    tag = secrets.token_hex(3)
    sku = catalog(app, medusa, tag)
    # the source's overlap window reads the buyer of this test's run on the other backend
    # too, seconds older: a street and postcode of this run's own keep the two apart
    n = int(tag, 16)
    street = f"{n % 9000 + 100} {('Orchard', 'Juniper', 'Quarry', 'Willow')[n % 4]} Lane"
    home = {**ADDRESS, "address_1": street, "city": "Austin", "postal_code": f"7{n % 10000:04d}"}
    shopper, cust = buyer(app, medusa, tag, f"Zephyr Garden Tools {tag}", home)
    store = app.hub.store
    try:
        app.hub.pull(["shop"])
        rid = store.crosswalk.resolve("shop", EntityType.CUSTOMER, cust["id"])
        assert rid is not None
        rec = store.records.get(EntityType.CUSTOMER, rid)
        assert rec is not None and rec.data["name"] == f"Zephyr Garden Tools {tag}"
        assert rec.data["contacts"][0]["email"] == cust["email"]
        assert not rec.data.get("sites")  # the ERP owns sites: a store address is not one
        # shipped to an address that is none of the customer's sites: filed, naming ship_to
        ea = variant_of(medusa, sku)
        elsewhere = {**ADDRESS, "address_1": "9 Dock Road"}
        placed = shopper.checkout([(ea["id"], 1)], email=cust["email"], address=elsewhere)
        number = f"MED-{placed['display_id']}"
        app.pull_orders(["shop"])
        assert store.orders.find("shop", number) is None
        filed = [e for e in store.exceptions.page(system="shop") if e.native_id == placed["id"]]
        assert len(filed) == 1 and filed[0].field == "ship_to", filed
        assert "9 dock road" in filed[0].reason
        # read again: the same refusal is not filed twice
        shop(app).medusa_source.bookmarks.set("orders", datetime(2000, 1, 1, tzinfo=UTC))
        app.pull_orders(["shop"])
        filed = [e for e in store.exceptions.page(system="shop") if e.native_id == placed["id"]]
        assert len(filed) == 1
    finally:
        shopper.close()


def test_a_store_customer_the_destination_marked_for_an_account_is_not_a_new_customer(
    app: Application, medusa: MedusaPeer
) -> None:
    tag = secrets.token_hex(3)
    acme = account(app, tag)
    shopper, cust = buyer(app, medusa, tag, f"Marked Buyer {tag}")
    store = app.hub.store
    try:
        # the destination's mark: a buyer it keeps for an account the hub already knows
        with medusa.admin() as admin:
            r = admin.post(
                f"/admin/customers/{cust['id']}", json={"metadata": {"crossdock_account": acme}}
            )
            assert r.status_code == 200, r.text
        app.hub.pull(["shop"])
        assert store.crosswalk.resolve("shop", EntityType.CUSTOMER, cust["id"]) is None
        # (the overlap window reads other tests' buyers too: look for this one by address)
        assert not [
            r.id
            for r in store.records.iter(EntityType.CUSTOMER)
            if cust["email"] in {c.get("email") for c in r.data.get("contacts") or []}
        ]
        # nor does the snapshot (reconciliation) offer it as the store's own customer
        assert cust["id"] not in {c.native_id for c in shop(app).medusa_source.snapshot()}
    finally:
        shopper.close()


def _edit_quantity(medusa: MedusaPeer, oid: str, item: str, quantity: int) -> None:
    """An order edit in Medusa's admin: begin, change the item's quantity, request, confirm."""
    with medusa.admin() as admin:
        for path, body in (
            ("/admin/order-edits", {"order_id": oid}),
            (f"/admin/order-edits/{oid}/items/item/{item}", {"quantity": quantity}),
            (f"/admin/order-edits/{oid}/request", {}),
            (f"/admin/order-edits/{oid}/confirm", {}),
        ):
            r = admin.post(path, json=body)
            assert r.status_code == 200, (path, r.text)


def test_an_order_edited_then_cancelled_in_medusa_is_amended_refused_then_cancelled(
    app: Application, medusa: MedusaPeer
) -> None:
    tag = secrets.token_hex(3)
    sku = catalog(app, medusa, tag)
    acme = account(app, tag)
    shopper, cust = buyer(app, medusa, tag, f"Acme Supply {tag}")
    store = app.hub.store
    try:
        app.hub.pull(["shop"])
        app.pull_orders(["shop"])  # whatever the shared Medusa holds already
        ea = variant_of(medusa, sku)
        placed = shopper.checkout([(ea["id"], 3)], email=cust["email"], address=ADDRESS)
        number, oid = f"MED-{placed['display_id']}", placed["id"]
        assert app.pull_orders(["shop"]).created == 1
        order = store.orders.find("shop", number)
        assert order is not None and order.customer_id == acme
        assert order.status is OrderState.ACCEPTED and store.orders.reservations(order.id)

        # edited in Medusa while the hub's order is still its own: the hub's order is amended
        [item] = placed["items"]
        _edit_quantity(medusa, oid, item["id"], 5)
        assert app.pull_orders(["shop"]).amended == 1
        [line] = store.orders.lines(order.id)
        assert line.quantity == 5
        amended = store.orders.get(order.id)
        assert amended is not None and amended.status is OrderState.ACCEPTED

        # once the ERP has the order an edit is refused: a business exception says why
        moved = store.orders.transition(
            order.id, {OrderState.ACCEPTED}, Move(OrderState.CONFIRMED, erp_id="9", erp_number="S9")
        )
        assert moved is not None
        _edit_quantity(medusa, oid, item["id"], 4)
        assert app.pull_orders(["shop"]).refused == 1
        [filed] = [e for e in store.exceptions.page(system="shop") if e.native_id == oid]
        assert number in filed.reason and "not taken" in filed.reason, filed
        assert [ln.quantity for ln in store.orders.lines(order.id)] == [5]

        # cancelled in Medusa: cancelled in the hub, its reservations back, once
        with medusa.admin() as admin:
            r = admin.post(f"/admin/orders/{oid}/cancel", json={})
            assert r.status_code == 200, r.text
        assert app.pull_orders(["shop"]).cancelled == 1
        done = store.orders.get(order.id)
        assert done is not None and done.status is OrderState.CANCELLED
        assert store.orders.reservations(order.id) == []
        shop(app).medusa_source.bookmarks.set("orders", datetime(2000, 1, 1, tzinfo=UTC))
        again = app.pull_orders(["shop"])
        assert again.cancelled == 0
        steps = [s for s in store.orders.timeline(order.id) if s.kind == "cancel"]
        assert len(steps) == 1, steps
        refused = [e for e in store.exceptions.page(system="shop") if e.native_id == oid]
        assert len(refused) == 1
    finally:
        shopper.close()
