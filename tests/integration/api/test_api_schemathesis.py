"""The whole OpenAPI document, fuzzed by schemathesis with each kind of key and none:
no 5xx, every answer as the document says (status, content type, headers, body schema),
and every protected operation refuses a request without the right key."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crossdock.api import create_api_key, create_app
from crossdock.api.keys import Scope
from crossdock.api.routers import ROUTERS
from crossdock.api.routing import required_scope
from crossdock.app import Application

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, hub_opener: Any
) -> Iterator[tuple[Any, dict[str, str]]]:
    hub = hub_opener(Path(tmp_path_factory.mktemp("schemathesis")))
    keys = {
        "system": create_api_key(hub.store, "erp", system="erp"),
        "read": create_api_key(hub.store, "reader", ["read"]),
        "admin": create_api_key(hub.store, "boss", ["admin"]),
    }
    yield create_app(Application(hub)), keys
    hub.close()


FUZZ = settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.mark.parametrize("who", ["system", "read", "admin", "none"])
def test_every_operation_answers_as_documented(
    who: str, served: tuple[Any, dict[str, str]]
) -> None:
    app, keys = served
    headers = {"Authorization": f"Bearer {keys[who]}"} if who != "none" else {}
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    failures: list[str] = []
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # gather every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)


def test_every_protected_operation_refuses_the_wrong_key(
    served: tuple[Any, dict[str, str]],
) -> None:
    app, keys = served
    needs = {
        (method, "/v1" + re.sub(r":\w+}", "}", route.path)): required_scope(route.dependant)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    with TestClient(app) as client:
        doc = client.get("/v1/openapi.json").json()
        protected = [
            (method, path)
            for path, item in doc["paths"].items()
            for method, op in item.items()
            if op.get("security")
        ]
        assert len(protected) > 20
        for method, path in protected:
            assert needs[(method.upper(), path)] is not None, (method, path)
            url = path.replace("{", "").replace("}", "")  # any value: the key is checked first
            r = client.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
            if needs[(method.upper(), path)] is not Scope.READ:
                # a read key is refused by all that writes, operates, approves or administers
                r = client.request(
                    method.upper(), url, headers={"Authorization": f"Bearer {keys['read']}"}
                )
                assert r.status_code == 403, (method, path, r.status_code, r.text)
