"""Property: no quote or price book request, however malformed, gets a 5xx; errors are problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.model.change import Change

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["\x00", "W-1", "ACME", "CS", "EA", "", "1e999999", "-0", "NaN", "1E+30"])
)
_quantity = (
    st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.sampled_from(["1e30", "1e-30", "0.0000001", "99999999999999999999999999999"])
    | _leaf
)
_line = st.fixed_dictionaries(
    {},
    optional={
        "sku": st.sampled_from(["W-1", "W-2", "NOPE"]) | _leaf,
        "quantity": _quantity,
        "unit": st.sampled_from(["EA", "CS", "PAL"]) | _leaf,
        "extra": _leaf,
    },
)
_body = st.fixed_dictionaries(
    {},
    optional={
        "customer": st.sampled_from(["ACME", "WHO"]) | _leaf,
        "ship_to": st.sampled_from(["DAL", "NYC"]) | _leaf,
        "channel": _leaf,
        "currency": st.sampled_from(["USD", "CAD", "usd"]) | _leaf,
        "at": st.sampled_from(["2026-06-01T00:00:00Z", "2026-06-01", "yesterday"]) | _leaf,
        "date": st.sampled_from(["2026-06-01", "2026-13-01"]) | _leaf,
        "lines": st.lists(_line, max_size=4) | _leaf,
    },
)


@pytest.fixture(scope="module")
def fuzz(
    tmp_path_factory: pytest.TempPathFactory, hub_opener: Any
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    hub = hub_opener(Path(tmp_path_factory.mktemp("pricing-fuzz")))
    hub.ingestor.ingest(
        [
            Change("erp", EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "1",
                   "units": [{"code": "CS", "factor": "12"}]}),
            Change("erp", EntityType.PRODUCT, "W-2", {"sku": "W-2", "list_price": "99999999"}),
            Change("erp", EntityType.CUSTOMER, "ACME", {"account_number": "ACME",
                   "sites": [{"code": "DAL", "roles": ["ship_to"]}]}),
            Change("erp", EntityType.PRICE_LIST, "BASE", {"code": "BASE", "entries": [
                {"sku": "W-1", "breaks": [{"min_quantity": "1", "value": "123456789.99"}]}]}),
        ]
    )  # fmt: skip
    key = create_api_key(hub.store, "fuzzer", ["read"])
    with TestClient(create_app(Application(hub))) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    hub.close()


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["code"]


@FUZZ
@given(body=_body, explain=st.booleans())
def test_any_quote_body(fuzz: tuple[TestClient, dict[str, str]], body: Any, explain: bool) -> None:
    client, auth = fuzz
    r = client.post(
        f"/v1/prices/quote?explain={str(explain).lower()}",
        content=json.dumps(body, allow_nan=True).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    _check(r)
    if r.status_code == 200:
        doc = r.json()
        assert doc["priced"] + doc["problems"] == len(doc["lines"])


@FUZZ
@given(
    customer=st.text(min_size=1, max_size=70),
    params=st.dictionaries(
        st.sampled_from(["channel", "ship_to", "currency", "format"]), st.text(max_size=6)
    ),
)
def test_any_price_book_request(
    fuzz: tuple[TestClient, dict[str, str]], customer: str, params: dict[str, str]
) -> None:
    client, auth = fuzz
    r = client.get(f"/v1/prices/book/{quote(customer, safe='')}", params=params, headers=auth)
    _check(r)
