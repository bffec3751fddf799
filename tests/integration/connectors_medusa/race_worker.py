"""A hub process pushing customer prices to Medusa, for the race test to start twice at once.

Run as ``python race_worker.py <hub config JSON> <store URL> <go file> <sku> <account>...``:
it opens the hub like any worker (so its Medusa connector has the store's
leases), waits until the go file exists, then pushes each account's price for
the SKU as a process that remembers nothing would, and prints the statuses as JSON.
With ``RACE_WITHOUT_LEASE=1`` the connector leaves the store's lease out (only
to show by hand that the race is real without it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa import MedusaConnector
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import Store
from crossdock.sync.runtime import Hub


def main(config: str, store_url: str, go: str, sku: str, accounts: list[str]) -> None:
    hub = Hub(HubConfig.model_validate_json(Path(config).read_text()), Store.open(store_url))
    try:
        shop = hub.connector("shop")
        assert isinstance(shop, MedusaConnector)
        if os.environ.get("RACE_WITHOUT_LEASE") == "1":
            shop.medusa_destination.claims.store = None
        while not Path(go).exists():
            time.sleep(0.01)
        out = []
        for account in accounts:
            native = f"{account}|{sku}|*"
            data = {"customer": account, "sku": sku, "currency": "USD", "unit_price": "7.25"}
            d = Delivery(
                f"race:{native}", "race", EntityType.CUSTOMER_PRICE, native, 1,
                ChangeOp.UPSERT, data, None, datetime.now(UTC),
            )  # fmt: skip
            (result,) = shop.medusa_destination.push([d])
            out.append({"account": account, "status": result.status.value, "error": result.error})
        print(json.dumps(out))
    finally:
        hub.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
