"""`GET /v1/metrics`: Prometheus text with engine counters and store gauges."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_need_a_key_and_report_lag_deliveries_and_exceptions(
    client: TestClient, keys: Any, hub: Hub
) -> None:
    assert client.get("/v1/metrics").status_code == 401
    auth = {"Authorization": f"Bearer {keys.read}"}
    write = {"Authorization": f"Bearer {keys.write}"}
    body = {
        "system": "erp",
        "changes": [
            {"entity_type": "product", "native_id": str(i), "data": {"sku": f"S-{i}"}}
            for i in range(3)
        ]
        + [{"entity_type": "product", "native_id": "bad", "data": {"cost": "x"}}],
    }
    assert client.post("/v1/changes", json=body, headers=write).status_code == 200

    before = samples(client.get("/v1/metrics", headers=auth).text)
    assert (
        before[("crossdock_route_lag_events", (("destination", "wms"), ("route", "to-wms")))] == 3
    )
    assert before[("crossdock_exceptions_open", ())] == 1

    hub.deliver()
    r = client.get("/v1/metrics", headers=auth)
    assert r.headers["content-type"].startswith("text/plain")
    after = samples(r.text)
    assert after[("crossdock_route_lag_events", (("destination", "wms"), ("route", "to-wms")))] == 0
    key = ("crossdock_deliveries_total", (("outcome", "delivered"), ("route", "to-wms")))
    assert after[key] >= 3
    assert after[("crossdock_delivery_latency_seconds_count", (("route", "to-wms"),))] >= 3
