"""Inbound webhooks: verification first, then body shape, then change by change."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crossdock.connectors.base import SourceError, WebhookReceiver
from crossdock.connectors.webhook import WebhookConnector, sign_request
from crossdock.errors import ErrorCode, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp

BuildConnector = Callable[..., WebhookConnector]
SECRET_ENV = "PORTAL_WEBHOOK_SECRET"


def _receiver(build: BuildConnector, **settings: Any) -> WebhookReceiver:
    receiver = build(**settings).webhook_receiver()
    assert receiver is not None
    return receiver


def _signed(
    payload: Any, *, msg_id: str = "msg_abc", ts: datetime | None = None
) -> tuple[dict[str, str], bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    when = ts or datetime.now(UTC).replace(microsecond=0)
    return sign_request(os.environ[SECRET_ENV], msg_id, when, body), body


GOOD = {"entity_type": "product", "native_id": "P-1", "data": {"sku": "P-1", "name": "Bolt"}}


def test_single_change_maps_with_defaults(build: BuildConnector) -> None:
    ts = datetime.now(UTC).replace(microsecond=0)
    headers, body = _signed(GOOD, ts=ts)
    [item] = _receiver(build).receive(headers, body)
    assert isinstance(item, Change)
    assert item.system == "portal"
    assert item.entity_type is EntityType.PRODUCT
    assert item.native_id == "P-1"
    assert item.op is ChangeOp.UPSERT
    assert item.data == {"sku": "P-1", "name": "Bolt"}
    assert item.source_ts == ts
    assert item.idempotency_key == "msg_abc:0"
    assert item.ref == "webhook:msg_abc#0"


def test_batch_maps_each_change_with_its_index(build: BuildConnector) -> None:
    changes = [
        GOOD,
        {
            "entity_type": "customer",
            "native_id": 42,
            "op": "delete",
            "source_ts": "2024-05-01T10:00:00+02:00",
            "idempotency_key": "k-7",
        },
    ]
    headers, body = _signed({"changes": changes})
    first, second = _receiver(build).receive(headers, body)
    assert isinstance(first, Change)
    assert isinstance(second, Change)
    assert first.idempotency_key == "msg_abc:0"
    assert second.native_id == "42"
    assert second.op is ChangeOp.DELETE
    assert second.data == {}
    assert second.source_ts == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert second.idempotency_key == "k-7"
    assert second.ref == "webhook:msg_abc#1"


def test_json_numbers_keep_their_exact_decimal_text(build: BuildConnector) -> None:
    change = {"entity_type": "price_list", "native_id": "PL", "data": {"price": 12.50, "qty": 3}}
    headers, body = _signed(json.dumps(change).replace("12.5", "12.50").encode())
    [item] = _receiver(build).receive(headers, body)
    assert isinstance(item, Change)
    assert item.data == {"price": "12.50", "qty": 3}


def test_one_bad_change_among_good_ones_becomes_a_source_error(build: BuildConnector) -> None:
    changes = [GOOD, GOOD, GOOD, {"entity_type": "widget", "native_id": "W-1"}, GOOD]
    headers, body = _signed({"changes": changes})
    items = _receiver(build).receive(headers, body)
    assert [type(i).__name__ for i in items] == ["Change"] * 3 + ["SourceError", "Change"]
    bad = items[3]
    assert isinstance(bad, SourceError)
    assert bad.field == "changes[3].entity_type"
    assert bad.code is ErrorCode.VALIDATION_FAILED
    assert "'widget' is not an entity type" in bad.reason
    assert bad.raw == {"entity_type": "widget", "native_id": "W-1"}
    assert bad.ref == "webhook:msg_abc#3"
    assert bad.native_id == "W-1"
    last = items[4]
    assert isinstance(last, Change)
    assert last.idempotency_key == "msg_abc:4"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entity_type": "product", "data": {}}, "changes[0].native_id"),
        ({"entity_type": "product", "native_id": ""}, "changes[0].native_id"),
        ({"entity_type": "product", "native_id": "P", "data": [1]}, "changes[0].data"),
        ({"entity_type": "product", "native_id": "P", "op": "merge"}, "changes[0].op"),
        ({"entity_type": "product", "native_id": "P", "source_ts": "noon"}, "changes[0].source_ts"),
        ({"entity_type": "product", "native_id": "P", "source_ts": 17}, "changes[0].source_ts"),
        (
            {"entity_type": "product", "native_id": "P", "source_ts": "0001-01-01T00:00:00+14:00"},
            "changes[0].source_ts",
        ),
        (
            {"entity_type": "product", "native_id": "P", "idempotency_key": 5},
            "changes[0].idempotency_key",
        ),
        ({"entity_type": "product", "native_id": "P", "nativeId": "x"}, "changes[0].nativeId"),
        ("just a string", "changes[0]"),
    ],
)
def test_each_malformed_field_is_named(build: BuildConnector, change: Any, field: str) -> None:
    headers, body = _signed({"changes": [change]})
    [item] = _receiver(build).receive(headers, body)
    assert isinstance(item, SourceError)
    assert item.field == field
    assert item.reason.startswith(f"{field}: ")


def test_single_object_body_names_the_bare_field(build: BuildConnector) -> None:
    headers, body = _signed({"entity_type": "product"})
    [item] = _receiver(build).receive(headers, body)
    assert isinstance(item, SourceError)
    assert item.field == "native_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b'"a string"', "body"),
        (b'{"x": NaN}', "body"),
        (b'{"changes": {"entity_type": "product"}}', "changes"),
        (b'{"entity_type": "product", "native_id": "\\ud800"}', "body"),
        (b"\xff\xfe", "body"),
    ],
)
def test_malformed_body_is_rejected_whole(build: BuildConnector, body: bytes, field: str) -> None:
    headers = {
        "webhook-id": "msg_abc",
        "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
        "webhook-signature": "v1,AAAA",
    }
    if body != b"\xff\xfe":
        headers, body = _signed(body)
    with pytest.raises(InvalidInput) as info:
        _receiver(build).receive(headers, body)
    assert info.value.code is ErrorCode.VALIDATION_FAILED
    assert info.value.field == field


def test_empty_changes_list_is_nothing(build: BuildConnector) -> None:
    headers, body = _signed({"changes": []})
    assert _receiver(build).receive(headers, body) == []


def test_bad_signature_is_checked_before_the_body(build: BuildConnector) -> None:
    headers, _ = _signed(GOOD)
    with pytest.raises(InvalidInput) as info:
        _receiver(build).receive(headers, b"{not json")
    assert info.value.code is ErrorCode.BAD_SIGNATURE


def test_stale_request_uses_the_configured_tolerance(build: BuildConnector) -> None:
    headers, body = _signed(GOOD, ts=datetime.now(UTC) - timedelta(seconds=90))
    with pytest.raises(InvalidInput) as info:
        _receiver(build, tolerance_seconds=60).receive(headers, body)
    assert info.value.field == "webhook-timestamp"
    assert _receiver(build).receive(headers, body)


def test_missing_headers_are_rejected(build: BuildConnector) -> None:
    _, body = _signed(GOOD)
    with pytest.raises(InvalidInput) as info:
        _receiver(build).receive({}, body)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == "webhook-id"
