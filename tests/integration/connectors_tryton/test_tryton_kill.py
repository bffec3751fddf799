"""Kill the hub between Tryton creating a sale and the hub recording its id: no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossdock.clock import ManualClock
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
    # The restarted hub's clock is a manual one, so the lease can be long enough that a
    # loaded machine never lets it run out on its own before the test looks.
    hub_file.write_text(hub_yaml(tryton, tmp_path) + "\ndelivery:\n  lease_seconds: 60\n")
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
    (order,) = hub.store.records.page(EntityType.ORDER)
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

    clock = ManualClock()  # the restarted hub's: its time passes when the test says so
    hub = Hub.open(load_checked(hub_file), clock=clock)
    try:
        # The dead worker never recorded the sale's id; the sale sits in Tryton as a draft.
        assert hub.store.crosswalk.native_ids_for(EntityType.ORDER, "tryton", [order.id]) == {}
        (draft,) = tryton_client.search_read(
            "sale.sale", [["reference", "=", "WEB-9001"]], ["state"]
        )
        assert draft["state"] == "draft"

        # While the dead worker's lease runs, nobody may take its partition ...
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.delivered == 0
        clock.advance(61)  # ... and once it has run out, the restarted hub takes over
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.delivered == 1

        sales = tryton_client.search_read("sale.sale", [["reference", "=", "WEB-9001"]], ["state"])
        assert len(sales) == 1
        assert sales[0]["state"] == "processing"
        assert hub.store.crosswalk.native_ids_for(EntityType.ORDER, "tryton", [order.id]) == {
            order.id: str(sales[0]["id"])
        }
    finally:
        hub.close()
        tryton_client.close()


def test_real_worker_killed_mid_push_then_restarted_makes_no_duplicate_sale(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    """The same with an unmodified ``crossdock sync`` process, killed the moment the sale
    shows in Tryton. Its window (quote and confirm before the id is recorded) is short: a
    round where the worker got through anyway proves nothing and is repeated."""
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(hub_yaml(tryton, tmp_path) + "\ndelivery:\n  lease_seconds: 1\n")
    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    crossdock = [sys.executable, "-m", "crossdock.cli", "sync", "--config", str(hub_file)]
    caught = None
    try:
        for attempt in range(1, 6):
            number = f"WEB-95{attempt:02d}"
            hub = Hub.open(load_checked(hub_file))
            hub.ingest(
                [
                    Change(
                        system="portal",
                        entity_type=EntityType.ORDER,
                        native_id=f"web-{number}",
                        data={
                            "order_number": number,
                            "customer_account": "C-100",
                            "lines": [
                                {
                                    "line_number": n,
                                    "sku": "WID-1",
                                    "quantity": "1",
                                    "unit": "EA",
                                    "unit_price": "9.00",
                                }
                                for n in range(1, 31)
                            ],
                        },
                    )
                ]
            )
            (order,) = [
                r
                for r in hub.store.records.page(EntityType.ORDER, limit=100)
                if r.data["order_number"] == number
            ]
            hub.close()
            time.sleep(1.2)  # a previous round's lease runs out
            worker = subprocess.Popen(
                crossdock,
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while worker.poll() is None:
                    if client.search("sale.sale", [["reference", "=", number]]):
                        worker.send_signal(signal.SIGKILL)
                        break
                worker.wait(timeout=60)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            hub = Hub.open(load_checked(hub_file))
            try:
                recorded = hub.store.crosswalk.native_ids_for(
                    EntityType.ORDER, "tryton", [order.id]
                )
            finally:
                hub.close()
            if worker.returncode == -signal.SIGKILL and not recorded:
                caught = (number, order.id)
                print(f"kill landed on attempt {attempt}")
                break
        assert caught is not None, "the kill never landed between create and record"
        number, order_id = caught
        time.sleep(1.2)
        done = subprocess.run(crossdock, env=os.environ.copy(), capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        sales = client.search_read("sale.sale", [["reference", "=", number]], ["state", "lines"])
        assert len(sales) == 1
        assert sales[0]["state"] == "processing" and len(sales[0]["lines"]) == 30
        hub = Hub.open(load_checked(hub_file))
        try:
            assert hub.store.crosswalk.native_ids_for(EntityType.ORDER, "tryton", [order_id]) == {
                order_id: str(sales[0]["id"])
            }
        finally:
            hub.close()
    finally:
        client.close()
