"""The Medusa connector without a server: mapping, the secret key as Basic auth, error mapping
(400 → park with Medusa's message, 401 → retryable 'unauthorized', 5xx and no answer → retry)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.base import Delivery, DeliveryStatus
from crossdock.connectors.medusa import MedusaClient, MedusaDestination, MedusaSettings
from crossdock.connectors.medusa.mapper import (
    create_payload,
    handle_for,
    product_view,
    stocked_quantity,
    wanted_view,
)
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

SETTINGS = MedusaSettings(url="http://medusa.test", api_key_env="MEDUSA_API_KEY")
PRODUCT = {
    "sku": "HEX-10001",
    "description": "Hex Bolt 1/4in",
    "base_uom": "EA",
    "units": [{"code": "EA", "factor": "1"}, {"code": "CS", "factor": "12", "gtin": None}],
    "identifiers": {"gtin": "00012345678905"},
    "status": "active",
    "list_price": "1.35",
}


def client(handler: Callable[[httpx.Request], httpx.Response]) -> MedusaClient:
    return MedusaClient(
        "http://medusa.test",
        "sk_test",
        key_env="MEDUSA_API_KEY",
        transport=httpx.MockTransport(handler),
    )


def delivery(data: dict[str, Any]) -> Delivery:
    return Delivery(
        "d1", "r", EntityType.PRODUCT, "prd_1", 1, ChangeOp.UPSERT, data, None, datetime.now(UTC)
    )


def test_create_payload_has_a_variant_per_unit_priced_by_factor_on_one_inventory_item() -> None:
    body = create_payload("prd_1", PRODUCT, SETTINGS, "iitem_1", "sc_1")
    assert body["handle"] == "hex-10001" and body["status"] == "published"
    assert body["options"] == [{"title": "Unit", "values": ["EA", "CS"]}]
    ea, cs = body["variants"]
    assert (ea["sku"], cs["sku"]) == ("HEX-10001", "HEX-10001-CS")
    assert ea["prices"] == [{"currency_code": "usd", "amount": Decimal("1.35")}]
    assert cs["prices"][0]["amount"] == Decimal("16.20")
    assert cs["inventory_items"] == [{"inventory_item_id": "iitem_1", "required_quantity": 12}]
    assert ea["barcode"] == "00012345678905" and body["sales_channels"] == [{"id": "sc_1"}]


def test_a_product_medusa_holds_reads_back_as_what_the_hub_wanted() -> None:
    body = create_payload("prd_1", PRODUCT, SETTINGS, "iitem_1", None)
    held = {
        "handle": body["handle"],
        "title": body["title"],
        "status": body["status"],
        "variants": [
            {
                **v,
                "prices": [
                    {**p, "amount": float(p["amount"]), "price_rules": []} for p in v["prices"]
                ],
            }
            for v in body["variants"]
        ],
    }
    assert product_view(held, "usd") == wanted_view(PRODUCT, SETTINGS)


@given(st.text(min_size=1, max_size=40))
def test_handles_are_url_safe(sku: str) -> None:
    h = handle_for(sku)
    assert h and all(c.isascii() and (c.isalnum() or c == "-") for c in h) and h == h.lower()


def test_stocked_quantity_is_the_channels_atp_in_whole_units_never_negative() -> None:
    assert (
        stocked_quantity({"available_by_channel": {"web": "12.7"}, "available": 99}, SETTINGS) == 12
    )
    assert stocked_quantity({"available": "5"}, SETTINGS) == 5
    assert stocked_quantity({"on_hand": "-3"}, SETTINGS) == 0


def test_the_secret_key_goes_as_basic_auth_and_decimals_as_numbers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": 1.5})

    c = client(handler)
    assert c.post("/admin/x", {"amount": Decimal("16.20"), "n": Decimal(12)}, action="t") == {
        "ok": Decimal("1.5")
    }
    auth = seen[0].headers["authorization"]
    assert auth == "Basic " + base64.b64encode(b"sk_test:").decode()
    assert json.loads(seen[0].content) == {"amount": 16.2, "n": 12}


def _push(status: int, body: dict[str, Any]) -> list[Any]:
    dest = MedusaDestination(client(lambda r: httpx.Response(status, json=body)), SETTINGS, "shop")
    return dest.push([delivery(PRODUCT)])


def test_a_400_parks_the_record_with_medusas_message() -> None:
    [r] = _push(400, {"type": "invalid_data", "message": "Product with handle: x, already exists."})
    assert r.status is DeliveryStatus.FAILED and r.code is ErrorCode.VALIDATION_FAILED
    assert "Product with handle: x, already exists." in (r.error or "")


def test_a_401_raises_retryable_unauthorized_naming_the_key_variable() -> None:
    with pytest.raises(RetryableError) as e:
        _push(401, {"message": "Unauthorized"})
    assert e.value.code is ErrorCode.UNAUTHORIZED and "$MEDUSA_API_KEY" in e.value.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_retried(status: int) -> None:
    with pytest.raises(RetryableError) as e:
        _push(status, {"message": "boom"})
    assert e.value.code is ErrorCode.DESTINATION_UNAVAILABLE


def test_no_answer_is_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    dest = MedusaDestination(client(refuse), SETTINGS, "shop")
    with pytest.raises(RetryableError):
        dest.push([delivery(PRODUCT)])


def test_the_shipped_example_hub_file_loads_and_builds_the_connector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", "sk_example")
    from pathlib import Path

    import crossdock.connectors.medusa as pkg
    from crossdock.connectors.medusa import MedusaConnector
    from crossdock.connectors.registry import connector_class
    from crossdock.sync.runtime import parse_checked

    hub = parse_checked((Path(pkg.__file__).parent / "example.yaml").read_text())
    system = next(s for s in hub.systems if s.name == "shop")
    cls = connector_class("medusa")
    assert cls is MedusaConnector
    settings = MedusaConnector.Settings.model_validate(system.settings)
    conn = MedusaConnector(system, settings, hub, environ={"MEDUSA_API_KEY": "sk_example"})
    assert isinstance(conn, MedusaConnector) and conn.settings.locations["DAL"] == "Dallas"
    conn.close()
