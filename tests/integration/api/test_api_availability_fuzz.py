"""Property: no request to the availability routes, however malformed, gets a 5xx."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_text = st.text(max_size=12) | st.sampled_from(["A", "B", "W1", "W2", "web", "\x00", " "])
_number = (
    st.integers(-(2**70), 2**70)
    | st.sampled_from(["1", "-1", "0", "1.5", "1e30", "1e-30", "NaN", "1.0000001", "x"])
    | st.floats(allow_nan=False, allow_infinity=False)
)
_time = st.sampled_from(
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
        "x",
    ]
)
_leaf = st.none() | st.booleans() | _number | _text
_json = st.recursive(
    _leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(_text, c, max_size=3), max_leaves=8
)
_event = st.fixed_dictionaries(
    {
        "idempotency_key": _text,
        "kind": st.sampled_from(["receipt", "pick", "adjustment", "cycle_count", "transfer_out"])
        | _text,
        "sku": _text,
        "location": _text,
        "quantity": _number,
    },
    optional={"occurred_at": _time, "reference": _text | st.none()},
)
_inbound = st.fixed_dictionaries(
    {
        "reference": _text,
        "quantity": _number,
        "eta": st.sampled_from(["2027-01-01", "0001-01-01", "x"]),
    }
)
_item = st.fixed_dictionaries(
    {"sku": _text, "location": _text, "on_hand": _number},
    optional={"on_hold": _number, "inbound": st.lists(_inbound, max_size=3)},
)
_bodies = {
    "/v1/availability/events": st.fixed_dictionaries({"events": st.lists(_event, max_size=4)})
    | _json,
    "/v1/availability/snapshots": st.fixed_dictionaries(
        {"as_of": _time, "items": st.lists(_item, max_size=3)}
    )
    | _json,
    "/v1/availability/source": st.fixed_dictionaries(
        {
            "lines": st.lists(
                st.fixed_dictionaries({"sku": _text, "quantity": _number}), max_size=3
            ),
        },
        optional={"ship_to": st.fixed_dictionaries({"region": _text}), "channel": _text},
    )
    | _json,
    "/v1/reservations": st.fixed_dictionaries(
        {"idempotency_key": _text, "sku": _text, "location": _text, "quantity": _number},
        optional={"channel": _text, "ttl_seconds": _number},
    )
    | _json,
}


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    path = tmp_path_factory.mktemp("avfuzz") / "h.sqlite"
    cfg = AvailabilityConfig.model_validate(
        {"locations": ["W1", "W2"], "channels": [{"name": "web", "ring_fence_units": "2"}]}
    )
    hub = Hub(HubConfig(availability=cfg), Store.open(f"sqlite:///{path}"))
    key = create_api_key(hub.store, "fuzzer", ["admin"])
    with TestClient(create_app(Application(hub))) as client:
        auth = {"Authorization": f"Bearer {key}"}
        client.post(
            "/v1/availability/events",
            headers=auth,
            json={
                "events": [
                    {
                        "idempotency_key": "seed",
                        "kind": "receipt",
                        "sku": "A",
                        "location": "W1",
                        "quantity": 5,
                    }
                ]
            },
        )
        yield client, auth
    hub.close()


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["status"] == response.status_code


@FUZZ
@given(data=st.data(), url=st.sampled_from(sorted(_bodies)))
def test_posting_anything_to_availability(
    fuzz: tuple[TestClient, dict[str, str]], data: st.DataObject, url: str
) -> None:
    client, auth = fuzz
    body = data.draw(_bodies[url])
    raw = json.dumps(body, allow_nan=True).encode()
    _check(client.post(url, headers={**auth, "Content-Type": "application/json"}, content=raw))


@FUZZ
@given(
    query=st.lists(
        st.tuples(st.sampled_from(["sku", "location", "channel", "date", "limit"]), _text),
        max_size=5,
    ),
    url=st.sampled_from(
        ["/v1/availability", "/v1/availability/drift", "/v1/availability/freshness"]
    ),
)
def test_getting_any_availability_query(
    fuzz: tuple[TestClient, dict[str, str]], query: list[tuple[str, str]], url: str
) -> None:
    client, auth = fuzz
    _check(client.get(url, headers=auth, params=query))


@FUZZ
@given(rid=_text, verb=st.sampled_from(["get", "delete", "confirm"]))
def test_any_reservation_id(fuzz: tuple[TestClient, dict[str, str]], rid: str, verb: str) -> None:
    from urllib.parse import quote

    client, auth = fuzz
    path = f"/v1/reservations/{quote(rid, safe='')}"
    if verb == "confirm":
        _check(client.post(path + "/confirm", headers=auth))
    else:
        _check(client.request(verb.upper(), path, headers=auth))
