"""Recorded webhooks are ingested once, even with two workers draining the inbox."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.webhook.signing import sign_request
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CONFIG = HubConfig(
    systems=[SystemConfig(name="portal", kind="webhook", settings={"secret_env": "PORTAL_S"})]
)


def record(hub: Hub, n: int) -> None:
    for i in range(n):
        body = json.dumps(
            {
                "entity_type": "customer",
                "native_id": f"c{i}",
                "data": {"account_number": f"A{i}", "name": f"N{i}"},
            }
        )
        hub.receive_webhook(
            "portal", sign_request(SECRET, f"m{i}", int(time.time()), body), body.encode()
        )


def test_two_workers_never_ingest_one_row_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_S", SECRET)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    a, b = Hub(CONFIG, Store.open(url)), Hub(CONFIG, Store.open(url))
    record(a, 40)
    reports = []
    threads = [
        threading.Thread(target=lambda h=h: reports.append(h.process_inbox())) for h in (a, b)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(r.created for r in reports) == 40
    assert sum(r.duplicates for r in reports) == 0, "no row was ingested by both workers"
    assert a.store.records.count() == {"customer": 40}
    a.close()
    b.close()


def test_a_dead_workers_claim_is_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_S", SECRET)
    hub = Hub(CONFIG, Store.open(f"sqlite:///{tmp_path}/h.sqlite"))
    record(hub, 1)
    with hub.store.write() as tx:  # a worker claimed the row, then died
        tx.conn.execute(
            update(t.inbox).values(
                status="processing", claimed_at=datetime.now(UTC) - timedelta(seconds=30)
            )
        )
    assert hub.process_inbox().created == 0, "a fresh claim is respected"
    with hub.store.write() as tx:
        tx.conn.execute(update(t.inbox).values(claimed_at=datetime.now(UTC) - timedelta(hours=1)))
    assert hub.process_inbox().created == 1
    assert hub.process_inbox().received == 0
    hub.close()
