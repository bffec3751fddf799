"""POST /v1/orders fuzzed, on SQLite and PostgreSQL: schemathesis's bodies (fitting the
schema and not) and near-valid orders built from the seeded customer and items, mixed with
wrong values: never a 5xx, every 422 a problem naming fields, every 201/200 a whole order."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from crossdock.api import create_api_key, create_app
from crossdock.app import Application

from .seed import seeded

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture
def served(store_url: str) -> Iterator[tuple[Application, Any, dict[str, str]]]:
    app = seeded(store_url)
    headers = {
        "Authorization": "Bearer " + create_api_key(app.hub.store, "portal", [], system="portal")
    }
    yield app, create_app(app), headers
    app.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_bodies_never_break_intake(
    served: tuple[Application, Any, dict[str, str]], mode: GenerationMode
) -> None:
    _app, api, headers = served
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", api)
    operation = schema.find_operation_by_label("POST /v1/orders")
    assert operation is not None

    @FUZZ
    @given(case=operation.as_strategy(mode))
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def _wrong() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )


_QTY = st.one_of(
    st.sampled_from(["1", "2.5", "0", "-1", "1e3", "0.0000001", "NaN", "1" * 40, "12", ""]),
    st.decimals(allow_nan=False, places=4, min_value=-5, max_value=500).map(str),
    _wrong(),
)
_LINE = st.fixed_dictionaries(
    {
        "line_number": st.one_of(st.integers(min_value=-1, max_value=4), _wrong()),
        "sku": st.one_of(st.sampled_from(["W-1", "W-2", "W-3", "NOPE", ""]), _wrong()),
        "quantity": _QTY,
    },
    optional={
        "unit": st.one_of(st.sampled_from(["EA", "CS", "PAL", "ea"]), _wrong()),
        "unit_price": st.one_of(st.sampled_from(["10.00", "9", "-1", "abc"]), _wrong()),
        "colour": st.just("red"),
    },
)
_BODY = st.fixed_dictionaries(
    {
        "order_number": st.one_of(st.sampled_from(["F-1", "F-2", "F\x00"]), _wrong()),
        "lines": st.one_of(st.lists(_LINE, min_size=0, max_size=4), _wrong()),
    },
    optional={
        "customer": st.one_of(st.sampled_from(["ACME", "NOPE"]), _wrong()),
        "channel_customer_id": st.one_of(st.sampled_from(["C-1"]), _wrong()),
        "ship_to": st.one_of(st.sampled_from(["S1", "B1", "S9"]), _wrong()),
        "bill_to": st.one_of(st.sampled_from(["B1", "S1"]), _wrong()),
        "customer_po": st.one_of(st.sampled_from(["X", ""]), _wrong()),
        "currency": st.one_of(st.sampled_from(["USD", "usd", "EURO"]), _wrong()),
    },
)


def test_near_valid_orders_never_break_intake(
    served: tuple[Application, Any, dict[str, str]],
) -> None:
    app, api, headers = served
    with TestClient(api) as client:

        @settings(FUZZ, max_examples=150)
        @given(body=_BODY)
        def fuzz(body: dict[str, Any]) -> None:
            before = app.hub.store.orders.count_by_status()
            r = client.post("/v1/orders", json=body, headers=headers)
            assert r.status_code in (200, 201, 409, 422), (r.status_code, r.text)
            if r.status_code == 422:
                problem = r.json()
                assert r.headers["content-type"].startswith("application/problem+json")
                assert problem["errors"] and all(e["field"] for e in problem["errors"]), problem
                assert app.hub.store.orders.count_by_status() == before  # nothing written
            elif r.status_code in (200, 201):
                o = r.json()
                assert o["status"] in ("accepted", "on_hold", "rejected"), o
                assert len(o["lines"]) == len(body["lines"])

        fuzz()
