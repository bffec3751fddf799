"""Property: the real ``webhook`` connector behind ``POST /v1/webhooks/{system}`` never
turns a request, signed or not, into a 5xx or a non-problem error."""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from crossdock.api import create_app
from crossdock.app import Application
from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

ENV = "CROSSDOCK_API_FUZZ_WEBHOOK_SECRET"
SECRET = "whsec_" + "ZnV6ei1mdXp6LWZ1enotZnV6ei1mdXp6LWZ1eno="
PROBLEM = "application/problem+json"

_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["\ud800", "ABC-1", "EA", "2024-01-01T00:00:00Z"])
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_change = st.fixed_dictionaries(
    {
        "entity_type": st.sampled_from([e.value for e in EntityType]) | st.text(max_size=8),
        "native_id": st.text(max_size=12) | _leaf,
    },
    optional={
        "op": st.sampled_from(["upsert", "delete"]) | _leaf,
        "data": st.fixed_dictionaries(
            {}, optional={"sku": _leaf, "description": _leaf, "base_uom": _leaf}
        )
        | _json,
        "source_ts": _leaf,
        "idempotency_key": _leaf,
    },
)
_body = st.fixed_dictionaries({"changes": st.lists(_change, max_size=4)}) | _change | _json


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    pytest.importorskip("crossdock.connectors.webhook")
    previous = os.environ.get(ENV)
    os.environ[ENV] = SECRET
    path = Path(tmp_path_factory.mktemp("hookfuzz"))
    config = HubConfig(
        systems=[SystemConfig(name="portal", kind="webhook", settings={"secret_env": ENV})]
    )
    hub = Hub(config, Store.open(f"sqlite:///{path / 'hub.sqlite'}"))
    try:
        with TestClient(create_app(Application(hub))) as c:
            yield c
    finally:
        hub.close()
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=_body,
    raw=st.none() | st.binary(max_size=64),
    skew=st.sampled_from([0, 0, 0, -3600, 3600]),
    tamper=st.sampled_from([None, None, "webhook-id", "webhook-timestamp", "webhook-signature"]),
    msg_id=st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=12),
)
def test_any_webhook_request(
    client: TestClient, body: Any, raw: bytes | None, skew: int, tamper: str | None, msg_id: str
) -> None:
    text = json.dumps(body) if raw is None else raw.decode("latin-1")
    content = text.encode() if raw is None else raw
    when = datetime.now(UTC) + timedelta(seconds=skew)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, when, text),
        "content-type": "application/json",
    }
    if tamper is not None:
        headers[tamper] = "x" if tamper != "webhook-signature" else "v1,AAAA"
    r = client.post("/v1/webhooks/portal", content=content, headers=headers)
    assert r.status_code < 500, r.text
    assert "Traceback" not in r.text
    if r.status_code >= 400:
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["status"] == r.status_code
    else:
        assert r.status_code == 202
        assert r.json()["accepted"] is True
