"""Property: no request, however malformed, gets a 5xx or an error that is not problem+json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.model.base import EntityType

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "a\udfffb", "\x00", "ABC-1", "EA", "", " "])
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
_number = (
    st.integers(min_value=-5, max_value=10**6)
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _leaf
)
_units = st.lists(
    st.fixed_dictionaries(
        {"code": st.sampled_from(["EA", "CS", "PAL"]) | _leaf, "factor": _number},
        optional={"gtin": st.sampled_from(["12345678", "012345678905"]) | _leaf},
    ),
    max_size=3,
)
_product = st.fixed_dictionaries(
    {},
    optional={
        "sku": st.text(max_size=12) | _leaf,
        "description": st.text(max_size=20) | _json,
        "base_uom": st.sampled_from(["EA", "CS", "PAL"]) | st.text(max_size=4) | _leaf,
        "identifiers": st.fixed_dictionaries(
            {},
            optional={
                "gtin": st.sampled_from(["12345678", "012345678905", "1"]) | _leaf,
                "channel_ids": st.dictionaries(st.text(max_size=5), _leaf, max_size=2),
            },
        )
        | _json,
        "units": _units | _json,
        "weight": st.fixed_dictionaries({"value": _number}, optional={"unit": _leaf}) | _json,
        "list_price": _number,
        "currency": st.sampled_from(["USD", "usd", "EURO"]) | _leaf,
        "status": _leaf,
        "dimensions": _json,
    },
)
_timestamp = (
    st.datetimes(timezones=st.none() | st.just(UTC)).map(lambda d: d.isoformat())
    | st.text(max_size=30)
    | st.integers()
)
_change = st.fixed_dictionaries(
    {
        "entity_type": st.sampled_from([e.value for e in EntityType]) | st.text(max_size=10),
        "native_id": st.text(max_size=20) | st.integers() | _leaf,
    },
    optional={
        "op": st.sampled_from(["upsert", "delete"]) | st.text(max_size=6),
        "data": _product | _json,
        "source_ts": _timestamp,
        "idempotency_key": st.text(max_size=10) | st.none() | _leaf,
    },
)
_body = (
    st.fixed_dictionaries(
        {
            "system": st.sampled_from(["erp", "wms"]) | st.text(max_size=8),
            "changes": st.lists(_change, max_size=5),
        }
    )
    | _json
)
_segment = (
    st.text(max_size=24)
    | st.integers().map(str)
    | st.sampled_from(
        ["product", "erp", "to-wms", "-1", "0", "1", "9223372036854775808", "..", "%", "a/b"]
    )
)


@pytest.fixture(scope="module")
def fuzz(
    tmp_path_factory: pytest.TempPathFactory, hub_opener: Any
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    hub = hub_opener(Path(tmp_path_factory.mktemp("fuzz")))
    key = create_api_key(hub.store, "fuzzer", ["admin"])
    with TestClient(create_app(Application(hub))) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    hub.close()


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
        body = response.json()
        assert body["status"] == response.status_code
        assert body["code"]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@FUZZ
@given(body=_body)
def test_posting_any_json_to_changes(fuzz: tuple[TestClient, dict[str, str]], body: Any) -> None:
    client, auth = fuzz
    headers = {**auth, "Content-Type": "application/json"}
    _check(client.post("/v1/changes", headers=headers, content=_json_bytes(body)))


@FUZZ
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "", "x/y"]))
def test_posting_any_bytes_to_changes(
    fuzz: tuple[TestClient, dict[str, str]], raw: bytes, content_type: str
) -> None:
    client, auth = fuzz
    headers = {**auth, "Content-Type": content_type} if content_type else auth
    _check(client.post("/v1/changes", headers=headers, content=raw))


_GET_TEMPLATES = [
    "/v1/records/{0}",
    "/v1/records/{0}/{1}",
    "/v1/records/product/{0}",
    "/v1/records/{0}/by-native/{1}/{2}",
    "/v1/records/product/by-native/erp/{0}",
    "/v1/exceptions/{0}",
    "/v1/routes/{0}/parked",
    "/v1/{0}",
    "/{0}/{1}",
]


@FUZZ
@given(
    template=st.sampled_from(_GET_TEMPLATES),
    parts=st.lists(_segment, min_size=3, max_size=3),
    query=st.dictionaries(
        st.sampled_from(["after", "limit", "type", "status", "system"]), _segment, max_size=4
    ),
)
def test_getting_any_path(
    fuzz: tuple[TestClient, dict[str, str]],
    template: str,
    parts: list[str],
    query: dict[str, str],
) -> None:
    client, auth = fuzz
    path = template.format(*(quote(p, safe="") for p in parts))
    _check(client.get(f"{path}?{urlencode(query)}", headers=auth))


@FUZZ
@given(
    url=st.sampled_from(["/v1/events", "/v1/exceptions", "/v1/proposals", "/v1/records/product"]),
    query=st.lists(
        st.tuples(st.sampled_from(["after", "limit", "type", "status", "system"]), _segment),
        max_size=5,
    ),
)
def test_getting_any_query(
    fuzz: tuple[TestClient, dict[str, str]], url: str, query: list[tuple[str, str]]
) -> None:
    client, auth = fuzz
    _check(client.get(url, headers=auth, params=query))


@FUZZ
@given(
    template=st.sampled_from(
        [
            "/v1/exceptions/{0}/retry",
            "/v1/exceptions/{0}/dismiss",
            "/v1/routes/{0}/parked/{1}/retry",
            "/v1/webhooks/{0}",
        ]
    ),
    parts=st.lists(_segment, min_size=2, max_size=2),
    body=_json,
    sign_it=st.booleans(),
)
def test_posting_anywhere(
    fuzz: tuple[TestClient, dict[str, str]],
    sign: Any,
    template: str,
    parts: list[str],
    body: Any,
    sign_it: bool,
) -> None:
    client, auth = fuzz
    path = template.format(*(quote(p, safe="") for p in parts))
    if sign_it:
        content, headers = sign(body)
    else:
        content, headers = _json_bytes(body), {"Content-Type": "application/json"}
    _check(client.post(path, headers={**auth, **headers}, content=content))
