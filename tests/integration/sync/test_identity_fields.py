"""Identity fields are never withheld by ownership: naming a record is not owning it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, NonOwnerPolicy, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    config = HubConfig(
        systems=[SystemConfig(name="erp", kind="files"), SystemConfig(name="portal", kind="files")],
        ownership={
            EntityType.PRODUCT: EntityOwnership(
                owner="erp", fields={"channels": "portal"}, non_owner=NonOwnerPolicy.REJECT
            )
        },
    )
    h = Hub(config, Store.open(store_url))
    yield h
    h.close()


def test_a_portal_listing_names_its_product_and_the_erp_completes_it(hub: Hub) -> None:
    portal = Change(
        system="portal",
        entity_type=EntityType.PRODUCT,
        native_id="Y",
        data={"sku": "Y", "channels": ["web"]},
    )
    report = hub.ingest([portal])
    assert report.exceptions == 0, [e.reason for e in hub.store.exceptions.page()]
    erp = Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id="Y-1",
        data={"sku": "Y", "description": "Widget", "channels": ["edi"]},
    )
    assert hub.ingest([erp]).exceptions == 1  # the ERP does not own channels: refused
    (record,) = hub.store.records.page(EntityType.PRODUCT)
    assert record.data["sku"] == "Y" and record.data["description"] == "Widget"
    assert record.data["channels"] == ["web"]  # the portal's, which it owns
    assert hub.store.crosswalk.resolve("erp", EntityType.PRODUCT, "Y-1") == record.id


def test_a_non_owner_cannot_rename_a_record_its_owner_named(hub: Hub) -> None:
    def change(system: str, native: str, data: dict[str, object]) -> Change:
        return Change(system=system, entity_type=EntityType.PRODUCT, native_id=native, data=data)

    hub.ingest([change("erp", "1", {"sku": "A"})])
    hub.ingest([change("portal", "P1", {"sku": "A", "channels": ["web"]})])  # links P1 to A
    report = hub.ingest([change("portal", "P1", {"sku": "B"})])
    assert report.exceptions == 1
    (record,) = hub.store.records.page(EntityType.PRODUCT)
    assert record.data["sku"] == "A"
    (problem,) = hub.store.exceptions.page()
    assert problem.code == "ownership_conflict" and problem.field == "sku"
