"""Pure pieces of the API: error mapping, field names, keys, CloudEvents, JSON checks."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from crossdock.api.cloudevents import CloudEvent, to_cloudevent
from crossdock.api.handlers import field_name, validation_problem
from crossdock.api.jsonvalues import MAX_DEPTH, check_json
from crossdock.api.keys import Scope, effective_scopes, generate_key, hash_key, parse_key
from crossdock.api.problems import from_crossdock_error, retry_after_header
from crossdock.errors import (
    BadSignature,
    ConfigInvalid,
    ConflictError,
    CrossdockError,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermanentError,
    RetryableError,
)
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import EventRow


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("bad", field="sku"), 422, "invalid_input"),
        (BadSignature("sig"), 401, "bad_signature"),
        (ConfigInvalid("store.url: not a URL"), 500, "config_invalid"),
        # a code alone decides nothing: the class does
        (InvalidInput("x", code=ErrorCode.CONFIG_INVALID), 422, "config_invalid"),
        (NotFound("nope"), 404, "not_found"),
        (ConflictError("clash"), 409, "conflict"),
        (ConflictError("v", code=ErrorCode.VERSION_CONFLICT), 409, "version_conflict"),
        (RetryableError("later", retry_after=2.2), 503, "transient"),
        (PermanentError("never"), 422, "permanent"),
        (CrossdockError("boom"), 500, "internal"),
    ],
)
def test_error_tree_maps_to_statuses(exc: CrossdockError, status: int, code: str) -> None:
    problem = from_crossdock_error(exc)
    assert (problem.status, problem.code.value) == (status, code)


def test_invalid_input_names_its_field() -> None:
    problem = from_crossdock_error(InvalidInput("sku is empty", field="sku", reason="empty"))
    assert problem.errors is not None
    assert [(e.field, e.reason) for e in problem.errors] == [("sku", "empty")]


def test_problem_document_shape() -> None:
    response = from_crossdock_error(NotFound("no such thing")).response("/v1/x")
    assert response.media_type == "application/problem+json"
    assert response.body.startswith(b"{")
    assert b'"type":"https://crossdock.dev/problems/not_found"' in response.body
    assert b'"instance":"/v1/x"' in response.body


def test_retryable_sets_retry_after() -> None:
    assert from_crossdock_error(RetryableError("x", retry_after=2.2)).headers == {
        "Retry-After": "3"
    }
    assert retry_after_header(None) == {"Retry-After": "5"}
    assert retry_after_header(float("nan")) == {"Retry-After": "5"}
    assert retry_after_header(1e12) == {"Retry-After": "86400"}


@pytest.mark.parametrize(
    ("loc", "name"),
    [
        (("body", "changes", 3, "entity_type"), "changes.3.entity_type"),
        (("query", "limit"), "limit"),
        (("path", "entity_type"), "entity_type"),
        (("body",), "body"),
        ((), "body"),
    ],
)
def test_field_names(loc: tuple[object, ...], name: str) -> None:
    assert field_name(loc) == name


def test_json_decode_error_is_400() -> None:
    problem = validation_problem(
        [{"type": "json_invalid", "loc": ("body", 7), "msg": "x", "ctx": {"error": "oops"}}]
    )
    assert problem.status == 400
    assert "position 7" in problem.detail


def test_keys_round_trip() -> None:
    key, prefix = generate_key()
    assert re.fullmatch(r"cdk_[a-z0-9]{8}_[A-Za-z0-9_-]{32}", key)
    assert parse_key(key) == prefix
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    assert parse_key(key + "x") is None
    assert parse_key("cdk_short_secret") is None
    assert generate_key()[0] != key


def test_scopes_imply_each_other() -> None:
    assert effective_scopes(["admin"]) == set(Scope)
    assert effective_scopes(["write"]) == {Scope.READ, Scope.WRITE}
    assert effective_scopes(["operate"]) == {Scope.READ, Scope.OPERATE}
    assert effective_scopes(["approve"]) == {Scope.READ, Scope.APPROVE}
    assert effective_scopes(["read", "bogus"]) == {Scope.READ}


def _event(op: ChangeOp = ChangeOp.UPSERT, source: str | None = "erp") -> EventRow:
    return EventRow(
        seq=42,
        event_id="e1",
        entity_type=EntityType.PRODUCT,
        entity_id="prd_1",
        version=3,
        op=op,
        source_system=source,
        changed=["description", "sku"],
        data={"sku": "A"},
        time=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    )


def test_cloudevent_shape() -> None:
    ce = to_cloudevent(_event())
    assert ce == {
        "specversion": "1.0",
        "id": "e1",
        "source": "crossdock://erp",
        "type": "dev.crossdock.product.upserted",
        "subject": "prd_1",
        "time": "2024-05-06T07:08:09.123456Z",
        "datacontenttype": "application/json",
        "data": {"sku": "A"},
        "sequence": "42",
        "entityversion": 3,
        "changed": "description,sku",
    }
    for name in ce:  # CloudEvents attribute names: lowercase letters and digits
        assert re.fullmatch(r"[a-z0-9]{1,20}", name)
    CloudEvent.model_validate(ce)


def test_cloudevent_of_a_delete_from_the_hub() -> None:
    ce = to_cloudevent(_event(ChangeOp.DELETE, source=None))
    assert ce["type"] == "dev.crossdock.product.deleted"
    assert ce["source"] == "crossdock://crossdock"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": float("nan")}, "finite"),
        ({"a": [1, {"b": float("inf")}]}, "at a.1.b"),
        ({"a": "\ud800"}, "surrogate"),
        ({"\udfff": 1}, "keys"),
        ({"a": {1, 2}}, "unsupported"),
    ],
)
def test_check_json_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_json(value)


def test_check_json_depth() -> None:
    deep: object = 1
    for _ in range(MAX_DEPTH + 1):
        deep = {"x": deep}
    with pytest.raises(ValueError, match="deeper"):
        check_json(deep)
    check_json({"ok": [1, 2.5, "x", None, True, {"y": {}}]})


def test_every_error_class_carries_its_code_and_status() -> None:
    import inspect

    import crossdock.errors as errors

    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, errors.CrossdockError)
    ]
    assert len(classes) >= 9
    for cls in classes:
        assert isinstance(cls.code, errors.ErrorCode), cls
        assert 400 <= cls.http_status <= 599, cls
    codes = [c.code for c in classes if c is not errors.CrossdockError]
    assert len(codes) == len(set(codes)), "each class has its own code"
