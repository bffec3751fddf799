"""Kill the hub while it pushes a few thousand variants to a real Medusa, restart it: nothing twice.

The worker (``push_worker.py``, the hub's normal delivery path) is SIGKILLed
as soon as Medusa shows part of the catalog, while the batch it is in has not
been recorded: Medusa holds products the hub has no crosswalk row for. The
restarted hub finds them by handle instead of making them again, completes
whatever the kill cut short (a variant not yet tied to its inventory item),
and ends with every product once, every variant once and a complete crosswalk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crossdock.config.hub import HubConfig
from crossdock.connectors.medusa.mapper import handle_for
from crossdock.model.base import EntityType
from crossdock.sync.runtime import Hub

from .catalog import LOCATIONS, catalog, new_shop, write_hub
from .medusa_server import MedusaPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
HERE = Path(__file__).parent
PRODUCTS = 1000  # x 3 units: 3,000 variants
UNITS = 3


def _count(medusa: MedusaPeer, channel_id: str) -> int:
    with medusa.admin() as admin:
        page = admin.get(
            "/admin/products",
            params={"sales_channel_id": channel_id, "limit": 1, "fields": "id"},
        ).json()
    return int(page["count"])


def test_hub_killed_mid_push_then_restarted_makes_no_duplicate_and_completes_the_crosswalk(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    shop = new_shop(medusa, tmp_path, "kill", store_url)
    tag, channel_id, doc = shop.tag, shop.channel_id, shop.doc
    doc["delivery"] = {"lease_seconds": 1}  # the dead worker's partitions free up soon
    cfg = write_hub(tmp_path, doc)
    hub = Hub.open(HubConfig.model_validate(doc))
    try:
        hub.ingest(catalog(f"KL{tag}", PRODUCTS))
        ids = [p.id for p in hub.store.records.iter(EntityType.PRODUCT)]
    finally:
        hub.close()
    assert len(ids) == PRODUCTS

    worker = subprocess.Popen(
        [sys.executable, str(HERE / "push_worker.py"), str(cfg)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Watch Medusa, not the worker: kill it once part of the first batch is there.
        deadline = time.monotonic() + 300
        while (made := _count(medusa, channel_id)) < 150:
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            assert time.monotonic() < deadline, "the worker never created a product"
            time.sleep(0.1)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if worker.stdout:
            worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL

    time.sleep(1.2)  # the dead worker's lease runs out
    hub = Hub.open(HubConfig.model_validate(doc))
    try:
        recorded = hub.store.crosswalk.native_ids_for(EntityType.PRODUCT, "shop", ids)
        # the kill landed in the window: Medusa made products the hub never recorded
        assert len(recorded) < made <= _count(medusa, channel_id) < PRODUCTS
        assert hub.deliver(["products-to-shop"])["products-to-shop"].parked == 0
        stock = hub.deliver(["stock-to-shop"])["stock-to-shop"]
        assert stock.parked == 0 and stock.delivered == PRODUCTS * len(LOCATIONS)

        # every product once, every variant once, each SKU's inventory item once
        with medusa.admin() as admin:
            products: list[dict[str, Any]] = []
            while len(products) < PRODUCTS + 1:
                page = admin.get(
                    "/admin/products",
                    params={
                        "sales_channel_id": channel_id,
                        "fields": "id,handle,*variants",
                        "limit": 200,
                        "offset": len(products),
                    },
                ).json()
                products += page["products"]
                if len(products) >= page["count"]:
                    break
            items = admin.get(
                "/admin/inventory-items",
                params={"q": f"KL{tag}", "fields": "id,sku", "limit": 5 * PRODUCTS},
            ).json()["inventory_items"]
        handles = Counter(p["handle"] for p in products)
        skus = Counter(v["sku"] for p in products for v in p["variants"])
        assert len(handles) == PRODUCTS and set(handles.values()) == {1}
        assert len(skus) == PRODUCTS * UNITS and set(skus.values()) == {1}
        assert sorted(i["sku"] for i in items) == sorted(
            f"KL{tag}-{n:05d}" for n in range(PRODUCTS)
        )

        # the crosswalk is complete and names the one product Medusa holds for each
        by_handle = {p["handle"]: p["id"] for p in products}
        records = hub.store.records.get_many(EntityType.PRODUCT, ids)
        crosswalk = hub.store.crosswalk.native_ids_for(EntityType.PRODUCT, "shop", ids)
        assert crosswalk == {i: by_handle[handle_for(records[i].data["sku"])] for i in ids}

        # and what Medusa holds is what the hub sent: prices, units tied to one item, stock
        report = hub.read_back("shop")
        assert report is not None
        assert report.drifts == [] and report.records == PRODUCTS * (1 + len(LOCATIONS))
    finally:
        hub.close()
