"""The Tryton connector without a server: codec, error translation, mapping, settings, hub file."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import SourceError
from crossdock.connectors.registry import connector_class
from crossdock.connectors.tryton import TrytonConnector, TrytonSettings
from crossdock.connectors.tryton.client import TrytonClient, decode, encode
from crossdock.connectors.tryton.destination import owned_fields
from crossdock.connectors.tryton.errors import TrytonUserError, from_rpc_error
from crossdock.connectors.tryton.mapper import (
    customer_change,
    order_status,
    price_list_change,
    product_change,
)
from crossdock.errors import ErrorCode, InvalidInput, PermanentError, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import parse_checked

EXAMPLE = Path(__file__).parents[3] / "src/crossdock/connectors/tryton/example.yaml"
SETTINGS = TrytonSettings(url="http://127.0.0.1:8000", database="erp", password_env="TP")
TS = dt.datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def test_codec_round_trips_decimals_dates_and_datetimes() -> None:
    value = {"price": Decimal("8.50"), "day": dt.date(2026, 12, 1), "at": TS, "n": [1, "x"]}
    wire = json.dumps(encode(value))
    assert '"__class__": "Decimal", "decimal": "8.50"' in wire
    assert decode(wire) == value


def test_naive_tryton_datetimes_are_utc() -> None:
    raw = {
        "__class__": "datetime",
        "year": 2026,
        "month": 1,
        "day": 2,
        "hour": 3,
        "minute": 4,
        "second": 5,
        "microsecond": 6,
    }
    assert decode(json.dumps(raw)).tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("error", "kind", "code", "keeps"),
    [
        (
            ["ConcurrencyException", "Records were modified in the meanwhile"],
            RetryableError,
            ErrorCode.CONFLICT,
            "modified in the meanwhile",
        ),
        (
            ["UserError", ["You are not allowed to read records of Sale.", "", None]],
            PermanentError,
            ErrorCode.FORBIDDEN,
            "not allowed to read records of Sale",
        ),
        (
            ["UserError", ['A value is required for field "Party".', "", None]],
            TrytonUserError,
            ErrorCode.VALIDATION_FAILED,
            'required for field "Party"',
        ),
        (
            ["UserWarning", ["credit", "Credit limit exceeded", ""]],
            PermanentError,
            ErrorCode.REJECTED_BY_DESTINATION,
            "Credit limit exceeded",
        ),
        (
            ["LoginException", ["password", "Password", "password"]],
            PermanentError,
            ErrorCode.UNAUTHORIZED,
            "login",
        ),
        (
            ["database is locked", "Traceback ..."],
            RetryableError,
            ErrorCode.TRANSIENT,
            "database is locked",
        ),
    ],
)
def test_rpc_errors_are_translated_keeping_the_message(
    error: list[object], kind: type[Exception], code: ErrorCode, keeps: str
) -> None:
    exc = from_rpc_error("model.sale.sale.create", error)
    assert isinstance(exc, kind)
    assert exc.code is code
    assert keeps in exc.message


def _client(handler: object) -> TrytonClient:
    return TrytonClient(
        "http://tryton.test",
        "erp",
        "admin",
        "pw",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )


def test_client_logs_in_again_when_the_session_expired() -> None:
    logins = []
    state = {"expired": True}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "common.db.login":
            logins.append(1)
            return httpx.Response(200, json={"id": body["id"], "result": [1, f"tok{len(logins)}"]})
        if body["method"] == "model.res.user.get_preferences":
            return httpx.Response(200, json={"id": body["id"], "result": {"company": 1}})
        if state["expired"]:
            state["expired"] = False
            return httpx.Response(401)
        assert body["params"][-1] == {"company": 1}  # the user context goes last
        return httpx.Response(200, json={"id": body["id"], "result": [7]})

    client = _client(handler)
    assert client.search("party.party", []) == [7]
    assert len(logins) == 2
    client.close()


def test_unreachable_server_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = _client(handler)
    with pytest.raises(RetryableError) as err:
        client.login()
    assert err.value.code is ErrorCode.DESTINATION_UNAVAILABLE
    client.close()


def test_party_maps_to_a_customer_with_sites_and_terms() -> None:
    party = {
        "id": 2,
        "code": "C-100",
        "name": "Acme",
        "active": True,
        "customer_payment_term": 10,
        "credit_limit_amount": Decimal("5000"),
        "sale_price_list": 3,
    }
    addrs = [
        {
            "id": 5,
            "street": "1 Main St\nSuite 2",
            "city": "Dallas",
            "country": 1,
            "invoice": True,
            "delivery": True,
            "active": True,
        },
        {"id": 6, "street": "old", "active": False},
    ]
    mechs = [{"id": 1, "type": "email", "value": "a@b.example", "active": True}]
    ch = customer_change(
        "tryton",
        SETTINGS,
        party,
        addrs,
        mechs,
        countries={1: "US"},
        terms={10: "Net 30"},
        price_lists={3: "Wholesale"},
        ts=TS,
    )
    assert isinstance(ch, Change)
    assert ch.data["sites"] == [
        {
            "code": "addr-5",
            "roles": ["ship_to", "bill_to"],
            "default": True,
            "address": {
                "line1": "1 Main St",
                "line2": "Suite 2",
                "city": "Dallas",
                "country": "US",
            },
        }
    ]
    assert ch.data["payment_terms"] == "Net 30"
    assert ch.data["credit_limit"] == "5000"
    assert ch.data["price_lists"] == ["Wholesale"]
    assert ch.source_ts == TS


def test_party_without_code_is_a_source_error() -> None:
    out = customer_change(
        "tryton",
        SETTINGS,
        {"id": 9, "name": "X"},
        [],
        [],
        countries={},
        terms={},
        price_lists={},
        ts=None,
    )
    assert isinstance(out, SourceError)
    assert out.field == "code"


def test_product_units_from_tryton_factors() -> None:
    uoms = {
        1: {"symbol": "u", "factor": 1.0, "category": 1},
        36: {"symbol": "dz", "factor": 12.0, "category": 1},
    }
    ch = product_change(
        "tryton",
        SETTINGS,
        {"id": 3, "code": "GAD-1", "cost_price": Decimal("15.0000")},
        {"name": "Gadget", "default_uom": 1, "sale_uom": 36, "list_price": Decimal("25.50")},
        uoms,
        ts=TS,
    )
    assert isinstance(ch, Change)
    assert ch.data["base_uom"] == "EA"
    assert ch.data["units"] == [{"code": "DZ", "factor": "12"}]
    assert ch.data["list_price"] == "25.50"


def test_price_list_formulas_map_to_methods() -> None:
    lines = [
        {"id": 2, "product": 1, "quantity": None, "formula": "Decimal('9.00')", "sequence": 2},
        {"id": 1, "product": 1, "quantity": 100.0, "formula": "8.5", "sequence": 1},
        # After the line for any quantity, Tryton never reaches this one: left out.
        {"id": 7, "product": 1, "quantity": 50.0, "formula": "7", "sequence": 3},
        {"id": 3, "category": 4, "formula": "unit_price * Decimal('0.9')"},
        {"id": 4, "category": 5, "formula": "cost_price * 1.25"},
        {"id": 5, "product": 1, "formula": "unit_price - 1"},
        {"id": 6, "formula": "unit_price"},
    ]
    out = price_list_change(
        "tryton",
        SETTINGS,
        {"id": 1, "name": "W"},
        lines,
        skus={1: "WID-1"},
        categories={4: "Tools", 5: "Bolts"},
        ts=TS,
    )
    change, *errors = out
    assert isinstance(change, Change)
    by = {e.get("sku") or e.get("category"): e for e in change.data["entries"]}
    assert by["WID-1"] == {
        "sku": "WID-1",
        "method": "fixed",
        "breaks": [{"min_quantity": "1", "value": "9.00"}, {"min_quantity": "100", "value": "8.5"}],
    }
    assert by["Tools"]["method"] == "percent_off" and by["Tools"]["breaks"][0]["value"] == "10.0"
    assert by["Bolts"]["method"] == "markup_on_cost"
    assert by["Bolts"]["breaks"][0]["value"] == "25.00"
    assert [e.ref for e in errors] == [
        "tryton:product.price_list.line/5",
        "tryton:product.price_list.line/6",
    ]


@pytest.mark.parametrize(
    ("state", "shipment", "invoice", "status"),
    [
        ("draft", "none", "none", "draft"),
        ("quotation", "none", "none", "submitted"),
        ("confirmed", "none", "none", "confirmed"),
        ("processing", "waiting", "pending", "confirmed"),
        ("processing", "partially shipped", "pending", "partially_shipped"),
        ("processing", "sent", "pending", "shipped"),
        ("processing", "sent", "paid", "invoiced"),
        ("done", "sent", "paid", "closed"),
        ("cancelled", "none", "none", "cancelled"),
    ],
)
def test_sale_states_map_to_order_status(
    state: str, shipment: str, invoice: str, status: str
) -> None:
    assert (
        order_status({"state": state, "shipment_state": shipment, "invoice_state": invoice})
        == status
    )


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="http"):
        TrytonSettings(url="ftp://x", database="erp", password_env="TP")
    with pytest.raises(ValueError, match="write_batch"):
        TrytonSettings(url="http://x", database="erp", password_env="TP", write_batch=500)


def test_missing_password_names_the_variable() -> None:
    system = SystemConfig(
        name="tryton",
        kind="tryton",
        settings={"url": "http://x", "database": "erp", "password_env": "TP"},
    )
    with pytest.raises(InvalidInput) as err:
        TrytonConnector(system, SETTINGS, HubConfig(systems=[system]), environ={})
    assert err.value.code is ErrorCode.CONFIG_INVALID
    assert "TP" in err.value.message


def test_registered_by_entry_point() -> None:
    assert connector_class("tryton") is TrytonConnector


def test_example_hub_file_loads_and_gives_tryton_the_erp_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", "x")
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    hub = parse_checked(EXAMPLE.read_text(), str(EXAMPLE))
    assert hub.system("tryton").kind == "tryton"
    owned = owned_fields(hub, "tryton", EntityType.CUSTOMER)
    assert {"credit_limit", "payment_terms", "status", "price_lists"} <= owned
    assert not {"name", "sites", "contacts", "account_number"} & owned
    assert hub.ownership[EntityType.PRODUCT].owner == "tryton"  # cost, list price
    assert hub.ownership[EntityType.ORDER].fields["status"] == "tryton"


def test_public_face() -> None:
    import crossdock.connectors.tryton as pkg

    assert sorted(pkg.__all__) == ["PullKind", "TrytonClient", "TrytonConnector", "TrytonSettings"]


def test_owned_fields_follow_the_one_ownership_rule() -> None:
    """The most specific glob wins, as in the merge; the longest glob used to win here."""
    from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
    from crossdock.config.ownership import OwnershipMatrix
    from crossdock.connectors.tryton.destination import owned_fields
    from crossdock.model.base import EntityType

    hub = HubConfig(
        systems=[SystemConfig(name="erp", kind="files"), SystemConfig(name="portal", kind="files")],
        ownership={
            EntityType.CUSTOMER: EntityOwnership(
                owner="erp",
                # longer, but only 8 literal characters: less specific than the exact name
                fields={"credit_limit": "erp", "c*r*e*d*i*t*_*l*": "portal"},
            )
        },
    )
    matrix = OwnershipMatrix(hub.ownership)
    assert matrix.owner(EntityType.CUSTOMER, "credit_limit") == "erp"
    assert "credit_limit" in owned_fields(hub, "erp", EntityType.CUSTOMER)
    assert "credit_limit" not in owned_fields(hub, "portal", EntityType.CUSTOMER)
