"""Push to a real Tryton: orders become confirmed sales (never twice), customers become parties,
sale states come back as order status, Tryton's errors park records with its message."""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.connectors.tryton import TrytonConnector
from crossdock.connectors.tryton.mapper import SALE_MARKER
from crossdock.connectors.webhook import sign_request
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub, parse_checked

from .conftest import TrytonServer, hub_yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]


def _hub(server: TrytonServer, tmp_path: Path) -> Hub:
    return Hub.open(parse_checked(hub_yaml(server, tmp_path)))


def order(number: str, *lines: dict[str, Any], account: str = "C-100") -> Change:
    return Change(
        system="portal",
        entity_type=EntityType.ORDER,
        native_id=f"web-{number}",
        data={
            "order_number": number,
            "customer_account": account,
            "channel": "portal",
            "status": "submitted",
            "lines": list(lines),
        },
        idempotency_key=f"web-{number}",
    )


def line(n: int, sku: str, qty: str, unit: str | None = None, price: str | None = None) -> dict:
    out: dict[str, Any] = {"line_number": n, "sku": sku, "quantity": qty}
    if unit:
        out["unit"] = unit
    if price:
        out["unit_price"] = price
    return out


def tryton_of(hub: Hub) -> TrytonConnector:
    conn = hub.connector("tryton")
    assert isinstance(conn, TrytonConnector)
    return conn


def sales_for(conn: TrytonConnector, number: str) -> list[dict[str, Any]]:
    c = conn.client
    ids = c.search("sale.sale", [["reference", "=", number]])
    return c.read("sale.sale", ids, ["state", "comment", "lines", "party", "shipment_address"])


def test_order_becomes_a_confirmed_sale_and_its_state_comes_back(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        # The portal sends the order as a signed webhook.
        placed = order(
            "WEB-1001",
            line(1, "WID-1", "5", "EA", "9.00"),
            line(2, "GAD-1", "2", "DZ"),  # no price: Tryton's own (list price)
        )
        body = json.dumps(
            {"entity_type": "order", "native_id": placed.native_id, "data": placed.data}
        )
        secret = os.environ["PORTAL_WEBHOOK_SECRET"]
        headers = sign_request(secret, "msg_1001", int(time.time()), body)
        hub.receive_webhook("portal", headers, body.encode())
        assert hub.process_inbox().created == 1
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert (report.delivered, report.parked) == (1, 0)
        conn = tryton_of(hub)
        (sale,) = sales_for(conn, "WEB-1001")
        assert sale["state"] == "processing"  # quoted, confirmed, processed
        ord_rec = hub.store.records.page(EntityType.ORDER)[0]
        native = hub.store.crosswalk.native_ids_for(EntityType.ORDER, "tryton", [ord_rec.id])
        assert native == {ord_rec.id: str(sale["id"])}
        assert sale["comment"].startswith(f"{SALE_MARKER}{ord_rec.id}")
        lines = conn.client.read(
            "sale.line", sale["lines"], ["product", "quantity", "unit", "unit_price"]
        )
        prices = sorted(ln["unit_price"] for ln in lines)
        assert prices == [Decimal("9.00"), Decimal("306.0000")]  # 25.50 a unit, 12 a dozen
        # The ship-to is the customer's delivery address.
        addr = conn.client.read("party.address", [sale["shipment_address"]], ["delivery"])
        assert addr[0]["delivery"]

        # Delivering again (a replay) finds the sale and makes no second one.
        hub.replay("orders-to-tryton", from_seq=1, actor="test")
        hub.deliver(["orders-to-tryton"])
        assert len(sales_for(conn, "WEB-1001")) == 1

        # The state comes back: pulled from Tryton, the order is confirmed in the hub.
        hub.pull(["tryton"])
        rec = hub.store.records.get(EntityType.ORDER, ord_rec.id)
        assert rec is not None and rec.data["status"] == "confirmed"

        # The shipment goes out in Tryton: the order becomes shipped.
        c = conn.client
        (shipment,) = c.search("stock.shipment.out", [])
        for step in ("wait", "assign_force", "pick", "pack", "do"):
            c.button("stock.shipment.out", step, [shipment])
        hub.pull(["tryton"])
        rec = hub.store.records.get(EntityType.ORDER, ord_rec.id)
        assert rec is not None and rec.data["status"] == "shipped"
        assert hub.deliver(["orders-to-tryton"])["orders-to-tryton"].delivered == 0  # no echo
    finally:
        hub.close()


class _DropAnswer(httpx.BaseTransport):
    """Forwards every request; for the first sale create it drops the answer (a timeout)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.dropped = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if b'"model.sale.sale.create"' in request.content and not self.dropped:
            response.read()
            self.dropped += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retry_after_a_timeout_makes_no_second_sale(tryton: TrytonServer, tmp_path: Path) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        transport = _DropAnswer()
        cfg = hub.config.system("tryton")
        conn = TrytonConnector(
            cfg,
            TrytonConnector.Settings.model_validate(cfg.settings),
            hub.config,
            transport=transport,
        )
        conn.bind_store(hub.store)
        hub._connectors["tryton"] = conn
        hub.ingest([order("WEB-2001", line(1, "WID-1", "1", "EA", "9.00"))])
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert transport.dropped == 1
        assert report.retries >= 1 and report.delivered == 1
        (sale,) = sales_for(conn, "WEB-2001")
        assert sale["state"] == "processing"
    finally:
        hub.close()


def test_tryton_errors_park_with_a_reason(tryton: TrytonServer, tmp_path: Path) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        hub.ingest(
            [
                order("WEB-3001", line(1, "NOPE-1", "1", "EA", "1.00")),
                order("WEB-3002", line(1, "WID-1", "1", "BOX", "1.00")),
                order("WEB-3003", line(1, "WID-1", "1000", "EA", "9.00")),  # over credit
                order("WEB-3004", line(1, "WID-1", "1", "EA", "9.00"), account="C-404"),
            ]
        )
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.parked == 4
        parked = {
            p.payload["data"]["order_number"]: p for p in hub.store.parked.page("orders-to-tryton")
        }
        assert "'NOPE-1' is not a Tryton product code" in parked["WEB-3001"].error
        assert parked["WEB-3002"].code == "unknown_unit"
        assert "credit limit" in parked["WEB-3003"].error.lower()
        assert "C-404" in parked["WEB-3004"].error
        assert "retries exhausted" in parked["WEB-3004"].error
    finally:
        hub.close()


def test_portal_customer_is_created_in_tryton_without_tryton_fields(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        hub.pull(["tryton"])  # Tryton's customers are known
        new = Change(
            system="portal",
            entity_type=EntityType.CUSTOMER,
            native_id="portal-77",
            data={
                "account_number": "C-777",
                "name": "Bolt Supply",
                "credit_limit": "999999",  # not the portal's to say: Tryton owns credit
                "sites": [
                    {
                        "code": "MAIN",
                        "roles": ["ship_to", "bill_to"],
                        "address": {"line1": "5 Elm St", "city": "Austin", "country": "US"},
                    }
                ],
                "contacts": [{"name": "Ann", "email": "ann@bolt.example"}],
            },
            idempotency_key="portal-77",
        )
        hub.ingest([new])
        report = hub.deliver(["customers-to-tryton"])["customers-to-tryton"]
        assert report.parked == 0
        c = tryton_of(hub).client
        (party,) = c.search_read(
            "party.party",
            [["code", "=", "C-777"]],
            ["name", "credit_limit_amount", "addresses", "contact_mechanisms"],
        )
        assert party["name"] == "Bolt Supply"
        assert party["credit_limit_amount"] is None
        assert len(party["addresses"]) == 1 and len(party["contact_mechanisms"]) == 1
        # Pushing again (replay) finds the party by its code: still one.
        hub.replay("customers-to-tryton", from_seq=1, actor="test")
        hub.deliver(["customers-to-tryton"])
        assert len(c.search("party.party", [["code", "=", "C-777"]])) == 1
        # Tryton's own customer went out too, but its credit limit was not written back.
        (acme,) = c.search_read("party.party", [["code", "=", "C-100"]], ["credit_limit_amount"])
        assert acme["credit_limit_amount"] == Decimal("5000")
    finally:
        hub.close()


def test_errors_are_translated_with_trytons_message(tryton: TrytonServer) -> None:
    from crossdock.connectors.tryton.client import TrytonClient
    from crossdock.errors import ErrorCode, InvalidInput, PermanentError, RetryableError

    admin = TrytonClient(tryton.url, tryton.database, "admin", "admin-password-1")
    clerk = TrytonClient(tryton.url, tryton.database, "clerk", "clerk-password-1")
    wrong = TrytonClient(tryton.url, tryton.database, "admin", "not-the-password")
    try:
        with pytest.raises(PermanentError) as denied:
            clerk.search("sale.sale", [])
        assert denied.value.code is ErrorCode.FORBIDDEN
        assert "not allowed" in denied.value.message.lower()
        with pytest.raises(InvalidInput) as invalid:
            admin.create("party.address", [{"street": "x"}])  # no party: a required field
        assert "party" in invalid.value.message.lower()
        (pid,) = admin.search("party.party", [["code", "=", "C-100"]])
        with pytest.raises(RetryableError) as stale:
            admin.call(
                "model.party.party.write",
                [pid],
                {"name": "Acme"},
                context={"_timestamp": {f"party.party,{pid}": "0"}},
            )
        assert stale.value.code is ErrorCode.CONFLICT
        with pytest.raises(PermanentError) as login:
            wrong.login()
        assert login.value.code is ErrorCode.UNAUTHORIZED
        # An expired session is renewed transparently.
        admin._auth = admin._auth and admin._auth[:-4] + "AAAA"
        assert admin.search("party.party", [["code", "=", "C-100"]]) == [pid]
    finally:
        admin.close()
        clerk.close()
        wrong.close()


def test_a_long_order_goes_in_batches_and_a_cut_short_push_is_completed(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    """120 lines exceed what SQLite takes in one create; a push cut after the first batch
    leaves a draft sale with 50 lines, which the next push completes (no line twice)."""
    hub = _hub(tryton, tmp_path)
    try:
        many = [line(n, "WID-1", "1", "EA", "9.00") for n in range(1, 121)]
        hub.ingest([order("WEB-4001", *many)])
        (rec,) = hub.store.records.page(EntityType.ORDER)
        conn = tryton_of(hub)
        dest = conn.destination()
        assert dest is not None
        from crossdock.connectors.base import Delivery
        from crossdock.model.change import ChangeOp

        d = Delivery(
            "x",
            "orders-to-tryton",
            EntityType.ORDER,
            rec.id,
            1,
            ChangeOp.UPSERT,
            rec.data,
            None,
            rec.updated_at,
        )
        sale, lines = dest.sale_values(d)  # type: ignore[attr-defined]
        dest.create_sale(sale, lines[:50])  # type: ignore[attr-defined]  # then the "crash"

        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.delivered == 1
        (got,) = sales_for(conn, "WEB-4001")
        assert got["state"] == "processing"
        seqs = [r["sequence"] for r in conn.client.read("sale.line", got["lines"], ["sequence"])]
        assert sorted(seqs) == list(range(1, 121))
    finally:
        hub.close()


def test_a_withdrawn_order_cancels_its_draft_sale(tryton: TrytonServer, tmp_path: Path) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        hub.ingest([order("WEB-5001", line(1, "WID-1", "1", "EA", "9.00"))])
        conn = tryton_of(hub)
        (rec,) = hub.store.records.page(EntityType.ORDER)
        from crossdock.connectors.base import Delivery
        from crossdock.model.change import ChangeOp

        d = Delivery(
            "x",
            "orders-to-tryton",
            EntityType.ORDER,
            rec.id,
            1,
            ChangeOp.UPSERT,
            rec.data,
            None,
            rec.updated_at,
        )
        dest = conn.destination()
        sale, lines = dest.sale_values(d)  # type: ignore[union-attr]
        dest.create_sale(sale, lines)  # type: ignore[union-attr]  # a draft, as confirm_sales: false
        hub.ingest(
            [
                Change(
                    system="portal",
                    entity_type=EntityType.ORDER,
                    native_id="web-WEB-5001",
                    op=ChangeOp.DELETE,
                    idempotency_key="del-5001",
                )
            ]
        )
        report = hub.deliver(["orders-to-tryton"])["orders-to-tryton"]
        assert report.parked == 0
        (got,) = sales_for(conn, "WEB-5001")
        assert got["state"] == "cancelled"
    finally:
        hub.close()


def test_unpriced_lines_take_the_customers_tryton_price_list(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        c = tryton_of(hub).client
        (pl,) = c.search("product.price_list", [["name", "=", "Wholesale"]])
        (acme,) = c.search("party.party", [["code", "=", "C-100"]])
        c.write("party.party", [acme], {"sale_price_list": pl})
        hub.ingest([order("WEB-6001", line(1, "WID-1", "100", "EA"), line(2, "WID-1", "2", "EA"))])
        assert hub.deliver(["orders-to-tryton"])["orders-to-tryton"].delivered == 1
        (sale,) = sales_for(tryton_of(hub), "WEB-6001")
        got = c.read("sale.line", sale["lines"], ["quantity", "unit_price"])
        by_qty = {Decimal(str(ln["quantity"])): ln["unit_price"] for ln in got}
        assert by_qty == {Decimal("100"): Decimal("8.50"), Decimal("2"): Decimal("9.00")}
    finally:
        hub.close()
