"""Reconciling a system the hub only writes to: the engine hands the destination what each
route sends (projected, or withdrawn when outside the filter) and turns its mismatches into drift
with a re-send remedy (a record the hub never sent is left for a person)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Mismatch, ReadBack, Sent
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor
from crossdock.sync.readback import read_back, sent_to
from crossdock.sync.reconcile import DriftKind, Remedy

pytestmark = pytest.mark.integration


class FakeShop:
    """A destination that holds one product with one price edited."""

    def __init__(self) -> None:
        self.seen: list[Sent] = []

    def read_back(self, sent: Sequence[Sent]) -> ReadBack:
        self.seen = list(sent)
        product = next(s for s in sent if s.entity_type is EntityType.PRODUCT)
        return ReadBack(
            records=len(sent),
            agreeing=len(sent) - 2,  # two records of it differ
            mismatches=[
                Mismatch(
                    "different",
                    EntityType.PRODUCT,
                    "variant_1",
                    product.entity_id,
                    "variants[HEX-1-CS].price",
                    Decimal("99"),
                    Decimal("18"),
                    product.route,
                ),
                Mismatch("unknown_to_hub", EntityType.PRODUCT, "prod_x", None, None, {}, None),
            ],
        )


def test_the_engine_sends_what_each_route_sends_and_turns_mismatches_into_drift(
    store_url: str,
) -> None:
    hub = HubConfig.model_validate(
        {
            "systems": [
                {"name": "erp", "kind": "files", "settings": {}},
                {"name": "shop", "kind": "files", "settings": {}},
            ],
            "routes": [
                {
                    "name": "products-to-shop",
                    "entities": ["product"],
                    "destination": "shop",
                    "fields": ["sku", "list_price"],
                    "filter": {"status": ["active"]},
                }
            ],
        }
    )
    store = Store.open(store_url)
    try:
        Ingestor(store, hub).ingest(
            [
                Change(
                    system="erp",
                    entity_type=EntityType.PRODUCT,
                    native_id=sku,
                    data={"sku": sku, "description": "x", "list_price": "1.50", "status": status},
                )
                for sku, status in (("HEX-1", "active"), ("HEX-2", "active"), ("HEX-3", "inactive"))
            ]
        )
        Ingestor(store, hub).ingest(
            [
                Change(
                    system="erp",
                    entity_type=EntityType.PRODUCT,
                    native_id="HEX-2",
                    op=ChangeOp.DELETE,
                )
            ]
        )
        sent = {s.data.get("sku") or s.entity_id: s for s in sent_to(store, hub, "shop")}
        assert sent["HEX-1"].data == {"sku": "HEX-1", "list_price": "1.50"}
        # deleted in the hub, or outside the route's filter: withdrawn, with the last data
        assert {k for k, s in sent.items() if s.withdrawn} == {"HEX-2", "HEX-3"}
        assert sent["HEX-2"].data == {"sku": "HEX-2", "list_price": "1.50"}
        shop = FakeShop()
        report = read_back(store, hub, "shop", shop)
        assert report.records == 3 and report.agreeing == 1 and not report.in_sync
        price, unknown = report.drifts
        assert (price.kind, price.remedy, price.route) == (
            DriftKind.DIFFERENT,
            Remedy.RESEND,
            "products-to-shop",
        )
        assert (unknown.kind, unknown.remedy) == (DriftKind.UNKNOWN_TO_HUB, Remedy.REPORT)
    finally:
        store.close()
