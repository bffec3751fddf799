"""Keys bound to systems and roles, expiry and rotation, and field masking, on both backends."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from crossdock.api import create_api_key, create_app
from crossdock.api.keys import parse_key, rotate_api_key
from crossdock.app import Application
from crossdock.config.access import AccessConfig, AccessRule, Operation
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.config.masking import MaskingConfig
from crossdock.config.pricing import PricingConfig
from crossdock.connectors.base import Connector, Destination
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KIND = "governance-test"


class _NoSettings(BaseModel):
    pass


class _Null(Connector):
    kind = KIND
    Settings = _NoSettings


def _config() -> HubConfig:
    return HubConfig(
        systems=[SystemConfig(name=n, kind=KIND, settings={}) for n in ("erp", "crm", "portal")],
        ownership={
            EntityType.CUSTOMER: EntityOwnership(owner="erp", fields={"name": "crm"}),
            EntityType.PRODUCT: EntityOwnership(owner="erp", fields={"description": "portal"}),
        },
        access=AccessConfig(
            roles={
                **AccessConfig().roles,
                "catalog": AccessRule(operations=[Operation.READ], entities=["product"]),
            },
            systems={
                "crm": AccessRule(
                    operations=[Operation.READ, Operation.WRITE], entities=["customer"]
                )
            },
        ),
        masking=MaskingConfig(channels=["portal"]),
    )


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    register(KIND, _Null)
    h = Hub(_config(), Store.open(store_url))
    yield h
    h.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(Application(hub))) as c:
        yield c


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


CUSTOMER = {"account_number": "C-1", "name": "Acme", "credit_limit": "5000", "credit_hold": False}


def _customer(client: TestClient, key: str, data: dict[str, Any], **body: Any) -> Any:
    return client.post(
        "/v1/changes",
        headers=_h(key),
        json={"changes": [{"entity_type": "customer", "native_id": "C-1", "data": data}], **body},
    )


def _record(client: TestClient, key: str, kind: str, native: str) -> Any:
    r = client.get(f"/v1/records/{kind}/by-native/erp/{native}", headers=_h(key))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_system_key_sends_only_as_its_system(client: TestClient, hub: Hub) -> None:
    erp = create_api_key(hub.store, "erp", system="erp")
    portal = create_api_key(hub.store, "portal", system="portal")
    assert _customer(client, erp, CUSTOMER).status_code == 200

    # the portal names the ERP to raise a credit limit only the ERP owns: refused whole
    forged = _customer(client, portal, {"credit_limit": "1000000"}, system="erp")
    assert forged.status_code == 403
    assert "belongs to 'portal'" in forged.json()["detail"]
    # sent as itself, the ownership matrix refuses the field it does not own
    own = _customer(client, portal, {"credit_limit": "1000000"})
    assert own.status_code == 200 and own.json()["exceptions"] == 1
    assert _record(client, erp, "customer", "C-1")["data"]["credit_limit"] == "5000"
    # the body may name the key's own system, or nobody
    assert _customer(client, erp, {**CUSTOMER, "name": "Acme"}, system="erp").status_code == 200


@pytest.mark.parametrize("owner", [{"role": "admin"}, {"scopes": ["write"]}, {"scopes": ["admin"]}])
def test_only_a_system_key_sends_changes(
    client: TestClient, hub: Hub, owner: dict[str, Any]
) -> None:
    key = create_api_key(hub.store, "someone", **owner)
    r = _customer(client, key, CUSTOMER, system="erp")
    assert r.status_code == 403
    assert "Only a system's key may send changes" in r.json()["detail"]
    assert hub.store.records.count().get("customer", 0) == 0


def test_roles_and_systems_are_limited_to_their_operations_and_entities(
    client: TestClient, hub: Hub
) -> None:
    erp = create_api_key(hub.store, "erp", system="erp")
    crm = create_api_key(hub.store, "crm", system="crm")
    catalog = create_api_key(hub.store, "cat", role="catalog")
    viewer = create_api_key(hub.store, "v", role="viewer")
    assert _customer(client, erp, CUSTOMER).status_code == 200
    product = {"entity_type": "product", "native_id": "P1", "data": {"sku": "P1"}}
    denied = client.post("/v1/changes", headers=_h(crm), json={"changes": [product]})
    assert denied.status_code == 403 and "changes.0.entity_type" in denied.json()["detail"]
    assert client.get("/v1/records/customer", headers=_h(catalog)).status_code == 403
    assert client.get("/v1/records/product", headers=_h(catalog)).status_code == 200
    # a viewer reads but neither operates nor approves
    assert client.get("/v1/records/customer", headers=_h(viewer)).status_code == 200
    assert (
        client.post("/v1/exceptions/1/dismiss", headers=_h(viewer), json={"note": "x"}).status_code
        == 403
    )
    assert client.post("/v1/proposals/1/approve", headers=_h(viewer)).status_code == 403


def test_expiry_rotation_and_last_use(client: TestClient, hub: Hub) -> None:
    old = create_api_key(hub.store, "erp", system="erp")
    prefix = parse_key(old)
    assert prefix is not None
    assert client.get("/v1/records/customer", headers=_h(old)).status_code == 200
    listed = {k.prefix: k for k in hub.store.keys.listing()}
    assert listed[prefix].last_used_at is not None and listed[prefix].system == "erp"

    new, until = rotate_api_key(hub.store, prefix, grace=timedelta(hours=1))
    assert until > datetime.now(UTC)
    for key in (old, new):  # both live during the rotation
        assert _customer(client, key, CUSTOMER).status_code == 200
    assert {k.system for k in hub.store.keys.listing()} == {"erp"}

    hub.store.keys.expire(prefix, datetime.now(UTC) - timedelta(seconds=1))
    client.app.state.key_cache = None  # type: ignore[attr-defined]  # no 1 s grace of the cache
    r = client.get("/v1/records/customer", headers=_h(old))
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert _customer(client, new, CUSTOMER).status_code == 200


def test_masked_fields_never_reach_a_channel(client: TestClient, hub: Hub) -> None:
    erp = create_api_key(hub.store, "erp", system="erp")
    portal = create_api_key(hub.store, "portal", system="portal")
    admin = create_api_key(hub.store, "boss", ["admin"])
    assert _customer(client, erp, CUSTOMER).status_code == 200
    product = {"sku": "P1", "cost": "4.20", "list_price": "10"}
    r = client.post(
        "/v1/changes",
        headers=_h(erp),
        json={"changes": [{"entity_type": "product", "native_id": "P1", "data": product}]},
    )
    assert r.status_code == 200

    for key, sees in ((erp, True), (admin, True), (portal, False)):
        cust = _record(client, key, "customer", "C-1")
        prod = _record(client, key, "product", "P1")
        assert ("credit_limit" in cust["data"]) is sees
        assert ("credit_limit" in cust["provenance"]) is sees
        assert ("cost" in prod["data"]) is sees
        feed = client.get("/v1/events", headers=_h(key)).json()["items"]
        text = str(feed)
        assert ("4.20" in text) is sees and ("5000" in text) is sees
        assert all(
            ("cost" in e["changed"].split(",")) is sees for e in feed if "product" in e["type"]
        )


def test_a_route_to_a_channel_cannot_name_a_masked_field() -> None:
    base = _config().model_dump()
    base["routes"] = [
        RouteConfig(
            name="to-portal",
            entities=[EntityType.PRODUCT],
            destination="portal",
            fields=["sku", "cost"],
        ).model_dump()
    ]
    with pytest.raises(ValueError, match="cost of product is masked from portal"):
        HubConfig.model_validate(base)
    base["routes"][0]["fields"] = ["*"]
    route = HubConfig.model_validate(base).route("to-portal")
    assert route.masked(EntityType.PRODUCT) == ("cost",)


def test_a_channel_never_learns_the_cost_behind_a_margin_floor(store_url: str) -> None:
    register(KIND, _Null)
    config = _config().model_copy(
        update={"pricing": PricingConfig(margin_floor_percent=Decimal("20"))}
    )
    hub = Hub(config, Store.open(store_url))
    try:
        changes = [
            ("product", "P1", {"sku": "P1", "cost": "9.37", "currency": "USD"}),
            ("customer", "C-1", {"account_number": "C-1", "currency": "USD"}),
            (
                "price_list",
                "BASE",
                {
                    "code": "BASE",
                    "kind": "base",
                    "currency": "USD",
                    "entries": [{"sku": "P1", "breaks": [{"min_quantity": "1", "value": "10"}]}],
                },
            ),
        ]
        report = hub.ingestor.ingest(
            [
                Change(system="erp", entity_type=EntityType(t), native_id=n, data=d)
                for t, n, d in changes
            ]
        )
        assert not report.exceptions, report
        body = {"customer": "C-1", "lines": [{"sku": "P1", "quantity": "1"}]}
        erp = create_api_key(hub.store, "erp", system="erp")
        portal = create_api_key(hub.store, "portal", system="portal")
        with TestClient(create_app(Application(hub))) as client:
            answers = {
                who: client.post("/v1/prices/quote?explain=true", json=body, headers=_h(key))
                for who, key in (("erp", erp), ("portal", portal))
            }
        texts = {who: r.text for who, r in answers.items()}
        assert all(r.status_code == 200 for r in answers.values()), texts
        # the price is the floor for both; only the ERP is told what it is made of
        prices = {who: r.json()["lines"][0]["unit_price"] for who, r in answers.items()}
        assert prices["erp"] == prices["portal"] != "10.00"
        assert (
            "9.37" in texts["erp"] and "20" in answers["erp"].json()["lines"][0]["rule"]["detail"]
        )
        assert "9.37" not in texts["portal"] and "cost" not in texts["portal"].replace("cost's", "")
        assert "the margin floor" in answers["portal"].json()["lines"][0]["rule"]["detail"]
    finally:
        hub.close()


def test_a_route_to_a_channel_delivers_without_the_masked_fields(store_url: str) -> None:
    shop = MemoryDestination()

    class _Channel(_Null):
        def destination(self) -> Destination | None:
            return shop

    register(KIND + "-channel", _Channel)
    config = _config().model_dump()
    config["systems"][2]["kind"] = KIND + "-channel"
    config["routes"] = [
        {"name": "to-portal", "entities": ["product", "customer"], "destination": "portal"}
    ]
    register(KIND, _Null)
    hub = Hub(HubConfig.model_validate(config), Store.open(store_url))
    try:
        hub.ingestor.ingest(
            [
                Change("erp", EntityType.PRODUCT, "P1", {"sku": "P1", "cost": "4.20"}),
                Change("erp", EntityType.CUSTOMER, "C-1", CUSTOMER),
            ]
        )
        hub.deliver()
        held = {et: data for (et, _), data in shop.held.items()}
        assert held[EntityType.PRODUCT] == {"sku": "P1"}
        # (the name is the CRM's to send: the ERP's was not applied)
        assert held[EntityType.CUSTOMER] == {"account_number": "C-1"}
        # a change of a masked field alone sends the channel nothing
        pushes = shop.pushes
        hub.ingestor.ingest([Change("erp", EntityType.PRODUCT, "P1", {"sku": "P1", "cost": "5"})])
        hub.deliver()
        assert shop.pushes == pushes
    finally:
        hub.close()


def test_a_system_reserves_for_itself_only(tmp_path: Path) -> None:
    from crossdock.services.availability import WmsEvent

    register(KIND, _Null)
    hub = Hub(_config(), Store.open(f"sqlite:///{tmp_path / 'hub.sqlite'}"))
    application = Application(hub)
    application.availability.feeds.apply_wms_events(
        [WmsEvent(idempotency_key="r", kind="receipt", sku="A", location="W1", quantity=Decimal(9))]
    )
    portal = create_api_key(hub.store, "portal", system="portal")
    try:
        with TestClient(create_app(application)) as client:

            def reserve(key: str, channel: str | None) -> Any:
                return client.post(
                    "/v1/reservations",
                    headers=_h(key),
                    json={
                        "idempotency_key": f"k-{channel}",
                        "sku": "A",
                        "location": "W1",
                        "quantity": "1",
                        **({"channel": channel} if channel else {}),
                    },
                )

            forged = reserve(portal, "crm")  # another system of the hub file
            assert forged.status_code == 403, forged.text
            assert "may not reserve for 'crm'" in forged.json()["detail"]
            assert reserve(portal, None).status_code == 201
        assert application.availability.availability(["A"])[0].atp == Decimal(8)
    finally:
        hub.close()
