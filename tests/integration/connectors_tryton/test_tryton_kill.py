"""Kill the hub between Tryton creating a sale and the hub recording its id: no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossdock.connectors.tryton.client import TrytonClient
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub, load_checked

from .conftest import PASSWORD, TrytonServer, hub_yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]
HERE = Path(__file__).parent


def test_kill_after_create_then_restart_makes_no_duplicate_sale(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    # Short leases: the restarted worker takes the dead one's route partition quickly.
    hub_file.write_text(hub_yaml(tryton, tmp_path) + "\ndelivery:\n  lease_seconds: 2\n")
    hub = Hub.open(load_checked(hub_file))
    hub.ingest(
        [
            Change(
                system="portal",
                entity_type=EntityType.ORDER,
                native_id="web-9001",
                data={
                    "order_number": "WEB-9001",
                    "customer_account": "C-100",
                    "lines": [
                        {
                            "line_number": 1,
                            "sku": "WID-1",
                            "quantity": "3",
                            "unit": "EA",
                            "unit_price": "9.00",
                        }
                    ],
                },
            )
        ]
    )
    (order,) = hub.store.list_records(EntityType.ORDER)
    hub.close()

    tryton_client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "push_worker.py"), str(hub_file)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Watch Tryton, not the worker: kill it as soon as the sale exists there.
        deadline = time.monotonic() + 120
        while not tryton_client.search("sale.sale", [["reference", "=", "WEB-9001"]]):
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            assert time.monotonic() < deadline, "the worker never created the sale"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if worker.stdout:
            worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL

    hub = Hub.open(load_checked(hub_file))
    try:
        # The dead worker never recorded the sale's id; the sale sits in Tryton as a draft.
        assert hub.store.native_ids_for(EntityType.ORDER, "tryton", [order.id]) == {}
        (draft,) = tryton_client.search_read(
            "sale.sale", [["reference", "=", "WEB-9001"]], ["state"]
        )
        assert draft["state"] == "draft"

        time.sleep(2.5)  # the dead worker's lease runs out
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.delivered == 1

        sales = tryton_client.search_read("sale.sale", [["reference", "=", "WEB-9001"]], ["state"])
        assert len(sales) == 1
        assert sales[0]["state"] == "processing"
        assert hub.store.native_ids_for(EntityType.ORDER, "tryton", [order.id]) == {
            order.id: str(sales[0]["id"])
        }
    finally:
        hub.close()
        tryton_client.close()
