"""One source carrying several entity types: the header or field that picks the map."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from pydantic import ValidationError

from crossdock.connectors.base import SourceError
from crossdock.connectors.broker.config import BrokerSettings, ConsumeSettings
from crossdock.connectors.broker.consumer import Received
from crossdock.connectors.broker.source import BrokerSource
from crossdock.model.base import EntityType
from crossdock.model.change import Change

PRODUCT = {"entity": "product", "id": ["sku"], "columns": {"sku": "sku"}}
CUSTOMER = {"entity": "customer", "id": ["acct"], "columns": {"acct": "account_number"}}


def _source(**consume: Any) -> BrokerSource:
    settings = ConsumeSettings.model_validate({"queue": "q", **consume})
    return BrokerSource(
        "wms", settings, cast(Any, None), cast(Any, None), timeout=1, where="rabbitmq test"
    )


def _msg(body: dict[str, Any], **headers: str) -> Received:
    raw = json.dumps(body).encode()
    return Received(raw, dict(headers), "m-1", "q#1", None, 1, None)


def test_a_header_picks_the_map_and_an_unlisted_type_takes_the_default() -> None:
    src = _source(by={"header": "ce-type"}, maps={"acct": CUSTOMER}, map=PRODUCT)
    customer = src.item(_msg({"acct": "C1"}, **{"ce-type": "acct"}))
    assert isinstance(customer, Change) and customer.entity_type is EntityType.CUSTOMER
    assert customer.native_id == "C1" and customer.data == {"account_number": "C1"}
    product = src.item(_msg({"sku": "A"}, **{"ce-type": "other"}))
    assert isinstance(product, Change) and product.entity_type is EntityType.PRODUCT


def test_an_unlisted_type_without_a_default_is_a_business_exception() -> None:
    src = _source(by={"header": "ce-type"}, maps={"acct": CUSTOMER})
    bad = src.item(_msg({"acct": "C1"}))
    assert isinstance(bad, SourceError)
    assert bad.reason == "header 'ce-type' is None, not a type this source maps (acct)"


@pytest.mark.parametrize(
    "consume",
    [
        {},  # no map at all
        {"maps": {"acct": CUSTOMER}},  # maps without by
        {"by": {"field": "kind"}, "map": PRODUCT},  # by without maps
        {"by": {"field": "kind", "header": "t"}, "maps": {"acct": CUSTOMER}},
    ],
)
def test_selectors_that_cannot_work_are_refused(consume: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ConsumeSettings.model_validate({"queue": "q", **consume})


def test_the_docs_source_examples_are_valid_settings() -> None:
    doc = (Path(__file__).parents[3] / "docs/connectors/broker.md").read_text()
    source = doc.split("## As a source", 1)[1]
    (block,) = re.findall(r"```yaml\n(.*?)```", source, re.S)[:1]
    systems = yaml.safe_load(block)
    assert [s["name"] for s in systems] == ["wms", "shop", "erp_bus"]
    for s in systems:
        BrokerSettings.model_validate(s["settings"])
