"""Masking: for random records and random keys, no masked field leaves in a read, the feed,
a route's delivery or a price explanation's text."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.config.masking import MaskingConfig, MaskRule
from crossdock.connectors.base import Connector
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.projection import project
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KIND = "masking-property"

# The oracle, written out by hand from the hub file below (not computed by the code under test).
HIDDEN: dict[str, set[str]] = {
    "erp": set(),
    "portal": {"credit_limit", "credit_hold", "payment_terms", "cost", "tier"},
    "crm": {"tier"},
    "viewer": {"tier"},
    "steward": set(),
    "admin": set(),
}


class _NoSettings(BaseModel):
    pass


class _Null(Connector):
    kind = KIND
    Settings = _NoSettings


def _config() -> HubConfig:
    defaults = MaskingConfig().fields
    fields = {**defaults, EntityType.CUSTOMER: {**defaults[EntityType.CUSTOMER]}}
    fields[EntityType.CUSTOMER]["tier"] = MaskRule(visible_to=["erp", "steward"])
    return HubConfig(
        systems=[SystemConfig(name=n, kind=KIND, settings={}) for n in ("erp", "crm", "portal")],
        masking=MaskingConfig(channels=["portal"], fields=fields),
        routes=[
            RouteConfig(
                name="to-portal",
                entities=[EntityType.CUSTOMER, EntityType.PRODUCT],
                destination="portal",
            )
        ],
    )


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[Hub, TestClient, dict[str, str]]]:
    register(KIND, _Null)
    hub = Hub(_config(), Store.open("sqlite:///:memory:"))
    keys = {
        "erp": create_api_key(hub.store, "erp", system="erp"),
        "portal": create_api_key(hub.store, "portal", system="portal"),
        "crm": create_api_key(hub.store, "crm", system="crm"),
        "viewer": create_api_key(hub.store, "v", role="viewer"),
        "steward": create_api_key(hub.store, "s", role="steward"),
        "admin": create_api_key(hub.store, "a", ["admin"]),
    }
    with TestClient(create_app(Application(hub))) as client:
        yield hub, client, keys
    hub.close()


money = st.decimals(min_value=0, max_value=10**6, places=2).map(lambda d: f"{d:.2f}")
customers = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=8)},
    optional={
        "credit_limit": money,
        "credit_hold": st.booleans(),
        "payment_terms": st.sampled_from(["NET30", "NET60", "COD"]),
        "tier": st.sampled_from(["gold", "silver"]),
        "territory": st.sampled_from(["N", "S"]),
    },
)
products = st.fixed_dictionaries(
    {"description": st.text(max_size=8)},
    optional={"cost": money, "list_price": money, "brand": st.sampled_from(["A", "B"])},
)
_ids = itertools.count()


def _leaves(doc: Any, prefix: str = "") -> set[str]:
    if isinstance(doc, dict):
        return {p for k, v in doc.items() for p in _leaves(v, f"{prefix}{k}.")} | {
            f"{prefix}{k}" for k in doc
        }
    return set()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(customer=customers, product=products, who=st.sampled_from(sorted(HIDDEN)))
def test_no_masked_field_leaves_for_any_key(
    setup: tuple[Hub, TestClient, dict[str, str]],
    customer: dict[str, Any],
    product: dict[str, Any],
    who: str,
) -> None:
    hub, client, keys = setup
    n = next(_ids)
    before = hub.store.outbox.last_seq()
    report = hub.ingestor.ingest(
        [
            Change("erp", EntityType.CUSTOMER, f"C{n}", {**customer, "account_number": f"C{n}"}),
            Change("erp", EntityType.PRODUCT, f"P{n}", {**product, "sku": f"P{n}"}),
        ]
    )
    assert not report.exceptions
    auth = {"Authorization": f"Bearer {keys[who]}"}
    hidden = HIDDEN[who]
    shown: list[dict[str, Any]] = []
    for kind, native in (("customer", f"C{n}"), ("product", f"P{n}")):
        r = client.get(f"/v1/records/{kind}/by-native/erp/{native}", headers=auth)
        assert r.status_code == 200, r.text
        shown += [r.json()["data"], r.json()["provenance"]]
    feed = client.get("/v1/events", headers=auth, params={"after": before}).json()["items"]
    assert len(feed) == 2
    shown += [e["data"] for e in feed]
    changed = {p for e in feed for p in e["changed"].split(",")}
    for doc in shown:
        assert not _leaves(doc) & hidden, (who, doc)
    assert not changed & hidden
    if not hidden:  # nothing was taken from a key that may see it all
        assert "credit_limit" not in customer or any("credit_limit" in d for d in shown)
    route = hub.config.route("to-portal")
    for ev in hub.store.outbox.after(before, limit=10):
        sent = project(route, ev.data, ev.entity_type)
        assert not _leaves(sent) & HIDDEN["portal"]
