"""After `crossdock demo`, every demo SKU's stock at every warehouse can be promised."""

from __future__ import annotations

import os
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.app import Application
from crossdock.cli import app
from crossdock.demo.config import SECRET_ENV
from crossdock.model.base import EntityType
from crossdock.sync.runtime import Hub, load_checked

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_demo_stock_is_available_and_reservable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    root = tmp_path / "demo"
    args = ["demo", "--dir", str(root), "--products", "40", "--customers", "6", "--exit-after-sync"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert os.environ.get(SECRET_ENV)
    hub = Hub.open(load_checked(root / "crossdock.yaml"))
    try:
        application = Application(hub)
        svc = application.availability
        records = [r.data for r in hub.store.records.page(EntityType.INVENTORY, limit=10_000)]
        assert records
        for rec in records:
            (found,) = svc.availability([rec["sku"]], locations=[rec["location"]])
            (loc,) = found.locations
            expected = Decimal(rec.get("on_hand", "0"))
            for bucket in ("allocated", "on_hold", "safety_stock"):
                expected -= Decimal(rec.get(bucket, "0"))
            assert loc.atp == max(expected, Decimal(0)), rec
        reservable = next(r for r in records if Decimal(r.get("on_hand", "0")) > 50)
        from crossdock.api import create_api_key, create_app

        key = create_api_key(hub.store, "t", ["write"])
        with TestClient(create_app(application)) as client:
            answer = client.post(
                "/v1/reservations",
                json={
                    "idempotency_key": "demo-order-1",
                    "sku": reservable["sku"],
                    "location": reservable["location"],
                    "quantity": "3",
                    "channel": "web",
                },
                headers={"Authorization": f"Bearer {key}"},
            )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "held"
    finally:
        hub.close()
