"""Two hub processes pushing one account's prices at once make one Medusa price list.

Medusa has no unique key for a price list, so two processes that both find
none would both make one. Two real worker processes, started together on one
hub store (SQLite file and PostgreSQL), push the same accounts' prices for the
same SKU into the real Medusa: each account ends with one list, one group and
one price, and both processes report their push delivered.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

from .hubs import shop_system
from .medusa_server import MedusaPeer
from .test_medusa_prices import list_prices, lists_of

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
WORKER = Path(__file__).with_name("race_worker.py")


def test_two_hub_processes_racing_make_one_price_list_per_account(
    medusa: MedusaPeer, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    tag = secrets.token_hex(3).upper()
    sku, accounts = f"RACE-{tag}", [f"RACE-{tag}-{n}" for n in range(1, 4)]
    config = HubConfig(
        systems=[SystemConfig(name="erp", kind="files"), shop_system(medusa)],
        ownership={EntityType.PRODUCT: EntityOwnership(owner="erp")},
        routes=[
            RouteConfig(name="products-to-shop", entities=[EntityType.PRODUCT], destination="shop")
        ],
    )
    hub = Hub(config, Store.open(store_url))
    try:
        data = {"sku": sku, "description": "Race", "base_uom": "EA", "status": "active"}
        hub.ingest(
            [
                Change(
                    system="erp",
                    entity_type=EntityType.PRODUCT,
                    native_id=sku,
                    data={**data, "list_price": "9.00"},
                    source_ts=datetime.now(UTC),
                )
            ]
        )
        assert hub.deliver(["products-to-shop"])["products-to-shop"].parked == 0
    finally:
        hub.close()
    path, go = tmp_path / "hub.json", tmp_path / "go"
    path.write_text(config.model_dump_json())
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(path), store_url, str(go), sku, *accounts],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()  # both are waiting on it: they start within milliseconds of each other
    answers = [w.communicate(timeout=300) for w in workers]
    for w, (out, err) in zip(workers, answers, strict=True):
        assert w.returncode == 0, err
        assert {r["status"] for r in json.loads(out.strip().splitlines()[-1])} == {"delivered"}
    with medusa.admin() as admin:
        for account in accounts:
            [plist] = lists_of(medusa, account)
            [price] = list_prices(medusa, plist["id"])
            assert price["amount"] == 7.25
            groups = admin.get("/admin/customer-groups", params={"name": account}).json()
            assert groups["count"] == 1, groups
