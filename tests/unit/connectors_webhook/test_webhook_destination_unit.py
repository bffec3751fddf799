"""Outbound webhooks without a network: body shape, ids, answers (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus, Destination
from crossdock.connectors.kit.http import parse_retry_after
from crossdock.connectors.webhook import WebhookConnector, WebhookSettings
from crossdock.connectors.webhook.mapper import batch_id
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

Handler = Callable[[httpx.Request], httpx.Response]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def delivery(n: int, **data: Any) -> Delivery:
    return Delivery(
        delivery_id=f"to-portal:product:prd_{n}:3",
        route="to-portal",
        entity_type=EntityType.PRODUCT,
        entity_id=f"prd_{n}",
        version=3,
        op=ChangeOp.UPSERT,
        data=data or {"sku": f"S-{n}", "price": "12.50"},
        native_id=None if n % 2 else f"N-{n}",
        event_time=T0,
    )


@pytest.fixture
def push(secret: str) -> Iterator[Callable[..., tuple[Destination, list[httpx.Request]]]]:
    made: list[WebhookConnector] = []

    def make(handler: Handler, **settings: Any) -> tuple[Destination, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        raw = {
            "secret_env": "PORTAL_WEBHOOK_SECRET",
            "url": "https://portal.example/hooks",
            **settings,
        }
        system = SystemConfig(name="portal", kind="webhook", settings=raw)
        connector = WebhookConnector(
            system,
            WebhookSettings.model_validate(raw),
            HubConfig(systems=[system]),
            transport=httpx.MockTransport(record),
        )
        made.append(connector)
        dest = connector.destination()
        assert dest is not None
        return dest, seen

    yield make
    for c in made:
        c.close()


def statuses(results: list[DeliveryResult]) -> list[DeliveryStatus]:
    return [r.status for r in results]


def test_batch_post_shape_and_headers(push: Any, secret: str) -> None:
    dest, seen = push(lambda r: httpx.Response(200))
    batch = [delivery(1), delivery(2)]
    assert statuses(dest.push(batch)) == [DeliveryStatus.DELIVERED] * 2
    [req] = seen
    msg_id = req.headers["webhook-id"]
    assert msg_id == batch_id([d.delivery_id for d in batch])
    assert msg_id.startswith("batch_")
    assert len(msg_id) == 6 + 32
    assert req.headers["idempotency-key"] == msg_id
    assert req.headers["content-type"] == "application/json"
    body = Webhook(secret).verify(req.content, dict(req.headers))
    assert body["type"] == "crossdock.deliveries"
    assert body["deliveries"][0] == {
        "id": "to-portal:product:prd_1:3",
        "route": "to-portal",
        "entity_type": "product",
        "entity_id": "prd_1",
        "version": 3,
        "op": "upsert",
        "native_id": None,
        "time": "2024-05-01T12:00:00+00:00",
        "data": {"sku": "S-1", "price": "12.50"},
    }
    assert body["deliveries"][1]["native_id"] == "N-2"


def test_batch_id_is_stable_and_order_free() -> None:
    ids = ["a:1", "b:2", "c:3"]
    assert batch_id(ids) == batch_id(list(reversed(ids)))
    assert batch_id(ids) != batch_id(ids[:2])


def test_single_mode_posts_each_delivery_under_its_own_id(push: Any) -> None:
    dest, seen = push(lambda r: httpx.Response(202), batch=False)
    dest.push([delivery(1), delivery(2)])
    assert [r.headers["webhook-id"] for r in seen] == [
        "to-portal:product:prd_1:3",
        "to-portal:product:prd_2:3",
    ]
    assert json.loads(seen[0].content)["id"] == "to-portal:product:prd_1:3"


def test_single_mode_keeps_what_was_delivered_when_a_later_post_fails(push: Any) -> None:
    answers = iter([httpx.Response(200), httpx.Response(503, headers={"Retry-After": "3"})])
    dest, seen = push(lambda r: next(answers), batch=False)
    results = dest.push([delivery(1), delivery(2), delivery(3)])
    assert statuses(results) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.RETRY,
        DeliveryStatus.RETRY,
    ]
    assert results[1].retry_after == 3
    assert results[2].code is ErrorCode.DESTINATION_UNAVAILABLE
    assert len(seen) == 2


def test_single_mode_first_failure_fails_the_batch(push: Any) -> None:
    dest, _ = push(lambda r: httpx.Response(502), batch=False)
    with pytest.raises(RetryableError):
        dest.push([delivery(1), delivery(2)])


def test_unencodable_delivery_fails_alone(push: Any) -> None:
    dest, seen = push(lambda r: httpx.Response(200))
    results = dest.push([delivery(1), delivery(2, weight=float("nan"))])
    assert statuses(results) == [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
    assert results[1].code is ErrorCode.MAPPING_FAILED
    assert len(json.loads(seen[0].content)["deliveries"]) == 1


def test_per_delivery_results(push: Any) -> None:
    batch = [delivery(1), delivery(2), delivery(3), delivery(4), delivery(5)]
    answer = {
        "results": [
            {"id": batch[0].delivery_id, "status": "ok", "native_id": 901},
            {"id": batch[1].delivery_id, "status": "failed", "error": {"sku": "unknown"}},
            {"id": batch[2].delivery_id, "status": "retry"},
            {"id": batch[3].delivery_id, "status": "maybe"},
            {"id": "someone-else", "status": "failed"},
        ]
    }
    dest, _ = push(lambda r: httpx.Response(200, json=answer, headers={"Retry-After": "4"}))
    r = dest.push(batch)
    assert statuses(r) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.RETRY,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
    ]
    assert r[0].native_id == "901"
    assert r[1].error == '{"sku": "unknown"}'
    assert r[1].code is ErrorCode.REJECTED_BY_DESTINATION
    assert r[2].retry_after == 4
    assert "unknown result status 'maybe'" in (r[3].error or "")


@pytest.mark.parametrize("status", [301, 400, 404, 422])
def test_rejections_fail_every_delivery(push: Any, status: int) -> None:
    dest, _ = push(lambda r: httpx.Response(status, text="x" * 800))
    results = dest.push([delivery(1), delivery(2)])
    assert statuses(results) == [DeliveryStatus.FAILED] * 2
    assert results[0].code is ErrorCode.REJECTED_BY_DESTINATION
    assert (results[0].error or "").startswith(f"HTTP {status} ")
    assert (results[0].error or "").endswith(": " + "x" * 500)


@pytest.mark.parametrize(
    ("status", "code"), [(429, ErrorCode.RATE_LIMITED), (408, None), (500, None), (503, None)]
)
def test_throttling_and_server_errors_retry_the_batch(
    push: Any, status: int, code: ErrorCode | None
) -> None:
    dest, _ = push(lambda r: httpx.Response(status))
    with pytest.raises(RetryableError) as info:
        dest.push([delivery(1)])
    assert info.value.code is (code or ErrorCode.DESTINATION_UNAVAILABLE)


def test_transport_errors_retry_the_batch(push: Any) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    dest, _ = push(boom)
    with pytest.raises(RetryableError) as info:
        dest.push([delivery(1)])
    assert "portal.example/hooks" in info.value.message


def test_retry_after_forms() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after(" 1.5 ") == 1.5
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None


def test_static_headers_resolve_from_environment(
    push: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_TOKEN", "t0k3n")
    dest, seen = push(
        lambda r: httpx.Response(204),
        headers={"Authorization": "Bearer ${PORTAL_TOKEN}", "X-Tenant": "north"},
    )
    dest.push([delivery(1)])
    assert seen[0].headers["authorization"] == "Bearer t0k3n"
    assert seen[0].headers["x-tenant"] == "north"
    assert seen[0].headers["user-agent"].startswith("crossdock-webhook/")


def test_empty_batch_sends_nothing(push: Any) -> None:
    dest, seen = push(lambda r: httpx.Response(200))
    assert dest.push([]) == []
    assert seen == []
