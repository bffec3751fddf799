"""Broker settings refuse what cannot work; subjects are filled safely (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.connectors.base import Delivery
from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.mapper import render_subject, to_message
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp


def _d(sku: str) -> Delivery:
    return Delivery(
        delivery_id="r:product:p1:v3",
        route="r",
        entity_type=EntityType.PRODUCT,
        entity_id="p1",
        version=3,
        op=ChangeOp.DELETE,
        data={"sku": sku},
        native_id="N-1",
        event_time=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"url": "http://x"}, "url"),
        ({"url": "amqp://h/"}, "exchange"),
        ({"url": "nats://h", "consume": {"map": {"entity": "product", "id": ["sku"]}}}, "durable"),
        ({"url": "nats://h:4222", "exchange": "x"}, "exchange"),
        ({"url": "amqp://h/", "exchange": "x", "stream": "S"}, "stream"),
        ({"url": "nats://h:4222", "subject": "a.{sku!r}"}, "subject"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        BrokerSettings.model_validate(settings)


def test_the_broker_follows_the_url_scheme() -> None:
    assert BrokerSettings(url="nats://h:4222").broker == "nats"
    assert BrokerSettings(url="amqps://h/", exchange="x").broker == "rabbitmq"
    assert BrokerSettings(url="nats://h", subject="cd.{sku}").subjects_of_stream() == ["cd.>"]


@given(st.text(min_size=1, max_size=30))
def test_a_field_value_is_always_one_subject_token(sku: str) -> None:
    subject = render_subject("crossdock.{entity_type}.{sku}", _d(sku))
    tokens = subject.split(".")
    assert tokens[:2] == ["crossdock", "product"] and len(tokens) == 3
    assert tokens[2] and not set(tokens[2]) & set(" *>#\t\n")


def test_a_missing_template_field_names_it() -> None:
    with pytest.raises(KeyError, match="colour"):
        render_subject("x.{colour}", _d("s"))


def test_a_delete_is_a_deleted_event_with_its_native_id() -> None:
    m = to_message(_d("s"), "x.{native_id}", "binary")
    assert m.subject == "x.N-1" and m.msg_id == "r:product:p1:v3"
    assert m.headers["ce-type"] == "dev.crossdock.product.deleted"
    assert m.headers["ce-entityversion"] == "3" and m.headers["ce-nativeid"] == "N-1"
