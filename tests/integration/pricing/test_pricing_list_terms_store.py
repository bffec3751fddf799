"""What price lists really say, through a real store (SQLite and PostgreSQL): ingested,
stored as written (a date stays a date), loaded and followed by the pricing service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.pricing import PricingConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.pricing import PricedLine, PricingService, QuoteLine, QuoteRequest
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
TYPES = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
HUB = HubConfig(
    systems=[SystemConfig(name="erp", kind="files")],
    ownership={e: EntityOwnership(owner="erp") for e in TYPES},
)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def ingest(store: Store, etype: EntityType, native: str, data: dict[str, Any]) -> None:
    report = Ingestor(store, HUB).ingest(
        [Change(system="erp", entity_type=etype, native_id=native, data=data)]
    )
    assert not report.exceptions, report


def lines(service: PricingService, at: datetime, *items: tuple[str, str]) -> list[PricedLine]:
    q = service.quote(
        QuoteRequest("ACME", [QuoteLine(s, D(n)) for s, n in items], at=at), explain=True
    )
    out = []
    for line in q.lines:
        assert isinstance(line, PricedLine), line
        out.append(line)
    return out


def _breaks(one: str, ten: str) -> list[dict[str, str]]:
    return [{"min_quantity": "1", "value": one}, {"min_quantity": "10", "value": ten}]


BASE = {
    "code": "BASE",
    "kind": "base",
    "timezone": "Europe/Paris",
    "rounding": {"increment": "0.05", "mode": "up"},
    "entries": [
        {"sku": "RED", "valid_to": "2027-03-28", "breaks": _breaks("5.01", "4.01")},
        {"sku": "RED", "valid_from": "2027-03-29", "breaks": _breaks("6.01", "5.01")},
        {"sku": "BLUE", "breaks": _breaks("5.00", "4.00")},
    ],
}
TIER = {
    "code": "GOLD",
    "kind": "tier",
    "scope": {"tiers": ["gold"]},
    "timezone": "Europe/Paris",
    "valid_from": "2027-03-29",
    "rounding": {"ending": "0.99", "mode": "down"},
    "entries": [{"sku": "RED", "breaks": [{"min_quantity": "1", "value": "3.50"}]}],
}


def test_list_terms_are_stored_as_written_and_priced_from_the_store(store: Store) -> None:
    ingest(store, EntityType.PRODUCT, "RED", {"sku": "RED", "cost": "3.00", "break_group": "paint"})
    ingest(store, EntityType.PRODUCT, "BLUE", {"sku": "BLUE", "break_group": "paint"})
    ingest(store, EntityType.CUSTOMER, "ACME", {"account_number": "ACME", "tier": "gold"})
    ingest(store, EntityType.PRICE_LIST, "BASE", BASE)
    ingest(store, EntityType.PRICE_LIST, "GOLD", TIER)
    stored = next(iter(store.records.iter(EntityType.PRICE_LIST)))
    assert stored.data["entries"][0]["valid_to"] == "2027-03-28"  # a day, as written
    assert stored.data["rounding"]["increment"] == "0.05"
    service = PricingService(store, PricingConfig(margin_floor_percent=D(10)))
    # Paris, 28 March 2027 (summer time starts that night): the first RED entry, rounded up
    # to 0.05; RED and BLUE pool as one family to reach the 10 break
    last_day = datetime(2027, 3, 28, 21, 59, 59, tzinfo=UTC)
    red, blue = lines(service, last_day, ("RED", "6"), ("BLUE", "4"))
    assert (red.unit_price, blue.unit_price) == (D("4.05"), D("4.00"))
    # from midnight on the 29th in Paris (22:00 UTC): the second RED entry, and the tier list
    # (3.50 down to 2.99), which still wins and is raised to the floor (3.30 -> 3.99)
    first_day = datetime(2027, 3, 28, 22, 0, tzinfo=UTC)
    red, blue = lines(service, first_day, ("RED", "6"), ("BLUE", "4"))
    assert (red.unit_price, red.rule.list_code) == (D("3.99"), "GOLD")
    assert "raised from 2.99 to 3.99" in (red.rule.detail or "")
    assert {c.list_code: c.unit_price for c in red.candidates or []}["BASE"] == D("5.05")
    assert [c.outcome.value for c in blue.candidates or [] if c.kind.value == "margin_floor"] == [
        "no_cost"
    ]
    # a fresh service (another node) loads the same from the store
    again = PricingService(store, PricingConfig(margin_floor_percent=D(10)))
    assert [x.unit_price for x in lines(again, first_day, ("RED", "6"), ("BLUE", "4"))] == [
        D("3.99"),
        D("4.00"),
    ]


def test_an_overlapping_entry_or_a_naive_date_time_is_a_business_exception(store: Store) -> None:
    overlap = {"sku": "BLUE", "valid_from": "2027-01-01", "breaks": _breaks("1", "1")}
    bad = dict(BASE, entries=[*BASE["entries"], overlap])
    naive = dict(TIER, valid_from="2027-03-29T00:00:00")
    for data in (bad, naive):
        report = Ingestor(store, HUB).ingest(
            [Change(system="erp", entity_type=EntityType.PRICE_LIST, native_id="X", data=data)]
        )
        assert report.exceptions == 1
    reasons = [e.reason for e in store.exceptions.page()]
    assert any("entries.2 and entries.3" in r for r in reasons), reasons
    assert any("UTC offset" in r for r in reasons), reasons
    assert not list(store.records.iter(EntityType.PRICE_LIST))  # nothing half-written
