"""The pricing service over a real store (SQLite and PostgreSQL): load, then follow changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.pricing import PricingConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.services.pricing import PricedLine, PricingService, QuoteLine, QuoteRequest
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
AT = datetime(2026, 6, 1, tzinfo=UTC)
TYPES = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def ingest(store: Store, etype: EntityType, native: str, data: dict[str, Any], **kw: Any) -> None:
    hub = HubConfig(
        systems=[SystemConfig(name="erp", kind="files")],
        ownership={e: EntityOwnership(owner="erp") for e in TYPES},
    )
    report = Ingestor(store, hub).ingest(
        [Change(system="erp", entity_type=etype, native_id=native, data=data, **kw)]
    )
    assert not report.exceptions, report


def price(service: PricingService, sku: str = "W-1", qty: str = "1") -> D:
    q = service.quote(QuoteRequest("ACME", [QuoteLine(sku, D(qty))], at=AT))
    line = q.lines[0]
    assert isinstance(line, PricedLine), line
    return line.unit_price


def base(value: str) -> dict[str, Any]:
    return {
        "code": "BASE",
        "kind": "base",
        "entries": [{"sku": "W-1", "breaks": [{"min_quantity": "1", "value": value}]}],
    }


def test_loads_from_the_store_and_no_quote_returns_a_superseded_price(store: Store) -> None:
    ingest(store, EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "2.00"})
    ingest(store, EntityType.CUSTOMER, "ACME", {"account_number": "ACME", "tier": "gold"})
    ingest(store, EntityType.PRICE_LIST, "BASE", base("10.00"))
    service = PricingService(store, PricingConfig())
    assert price(service) == D("10.00")
    # a committed change to the list is seen by the very next quote
    ingest(store, EntityType.PRICE_LIST, "BASE", base("11.00"))
    assert price(service) == D("11.00")
    # a tier list arrives, and the customer's tier moves away from it
    ingest(
        store,
        EntityType.PRICE_LIST,
        "GOLD",
        {
            "code": "GOLD",
            "kind": "tier",
            "scope": {"tiers": ["gold"]},
            "entries": [{"sku": "W-1", "breaks": [{"min_quantity": "1", "value": "9.00"}]}],
        },
    )
    assert price(service) == D("9.00")
    ingest(store, EntityType.CUSTOMER, "ACME", {"account_number": "ACME", "tier": "silver"})
    assert price(service) == D("11.00")
    # a cost rise lifts the floor above the list
    ingest(store, EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "12.00"})
    assert price(service) == D("12.00")
    ingest(store, EntityType.PRICE_LIST, "BASE", {}, op=ChangeOp.DELETE)
    ingest(store, EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "1.00", "list_price": "7"})
    assert price(service) == D("7.00")
    changes, nxt = service.changes(0)
    kinds = [c.entity_type for c in changes]
    assert kinds.count(EntityType.PRICE_LIST) == 4 and nxt == store.outbox.last_seq()
    customer = [c for c in changes if c.entity_type is EntityType.CUSTOMER][-1]
    assert customer.customers == ["ACME"] and customer.skus is None
    product = [c for c in changes if c.entity_type is EntityType.PRODUCT][-1]
    assert product.customers is None and product.skus == ["W-1"]
    # a fresh service (another API node) answers the same
    assert price(PricingService(store, PricingConfig())) == D("7.00")


def test_a_locked_contract_holds_when_its_base_list_rises(store: Store) -> None:
    ingest(store, EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "2.00"})
    ingest(store, EntityType.CUSTOMER, "ACME", {"account_number": "ACME"})
    ingest(store, EntityType.PRICE_LIST, "BASE", base("10.00"))
    signed = datetime.now(UTC)

    def contract(code: str, locked: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": code,
            "kind": "contract",
            "scope": {"customers": ["ACME"]},
            "entries": [
                {
                    "sku": "W-1",
                    "method": "percent_off",
                    "base_list": "BASE",
                    "breaks": [{"min_quantity": "1", "value": "10"}],
                }
            ],
        }
        data["locked_at"] = signed.isoformat() if locked else None  # absent: not asserted
        return data

    ingest(store, EntityType.PRICE_LIST, "LOCKED", contract("LOCKED", True))
    service = PricingService(store, PricingConfig())
    assert price(service) == D("9.00")
    ingest(store, EntityType.PRICE_LIST, "BASE", base("12.00"))
    assert price(service) == D("9.00")  # 10 % off the base as it stood when signed
    line = service.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT), explain=True).lines[
        0
    ]
    assert isinstance(line, PricedLine)
    assert [c.list_code for c in line.candidates or []] == ["LOCKED", "BASE"]
    # the same contract without the lock follows the base list
    ingest(store, EntityType.PRICE_LIST, "LOCKED", contract("LOCKED", False))
    assert price(service) == D("10.80")
    # and a fresh service (another node) rebuilds the lock from the outbox
    ingest(store, EntityType.PRICE_LIST, "LOCKED", contract("LOCKED", True))
    assert price(PricingService(store, PricingConfig())) == D("9.00")
