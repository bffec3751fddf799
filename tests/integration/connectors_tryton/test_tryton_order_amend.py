"""Amending and cancelling an order the real Tryton already has (hub on SQLite and PostgreSQL).

Tryton's sale module lets a sale's lines change only in draft, and takes a
quotation or a confirmed (not yet processed) sale back to draft; a processing
sale never goes back. So: a draft sale's lines follow the amendment (changed,
added, removed, never doubled); a processing sale refuses it with 409 naming
its state and nothing in the hub changes; a sale that moved on between the
hub's question and the push is compensated (units back, hold ``erp_rejected``).
A partly shipped order's rest cancelled in the hub cancels Tryton's backorder and
settles the sale's shipment exception by ignoring the cancelled moves. An
amendment held for stock reaches the sale only once the stock comes and the
hold releases itself; cancelled while held, it cancels the sale, its units
given back once.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.errors import ConflictError, ErrorCode, RetryableError
from crossdock.services.availability import WmsEvent
from crossdock.store.order_rows import Opened, OrderRow, OrderState

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app, order_of, seed

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("hub_env")]

FIRST = {1: ("WID-1", "2"), 2: ("WID-2", "1")}
AMENDED = {1: ("WID-1", "5"), 3: ("WID-2", "4")}  # line 1 more, line 2 gone, line 3 new


@pytest.fixture
def client(tryton: TrytonServer) -> Iterator[TrytonClient]:
    c = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    yield c
    c.close()


def make_app(tryton: TrytonServer, tmp_path: Path, **kw: Any) -> Application:
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite", **kw))
    app = open_app(hub_file)
    seed(app)
    return app


def passes(app: Application, n: int = 3) -> None:
    for _ in range(n):
        app.hub.sync_once()


def now(app: Application, o: OrderRow) -> OrderRow:
    found = app.hub.store.orders.get(o.id)
    assert found is not None
    return found


def held(app: Application, sku: str) -> Decimal:
    """Units of ``sku`` reserved or allocated to orders."""
    (item,) = app.availability.availability([sku])
    b = item.locations[0].buckets
    return b.reserved + b.allocated


def sale_lines(client: TrytonClient, number: str) -> dict[int, tuple[str, Decimal]]:
    """The Tryton sale's lines by sequence: (product code, quantity); one sale asserted."""
    (sale,) = client.search_read("sale.sale", [["reference", "=", number]], ["lines", "state"])
    rows = client.read("sale.line", sale["lines"], ["sequence", "product", "quantity"])
    codes = {
        p["id"]: p["code"]
        for p in client.read("product.product", [r["product"] for r in rows], ["code"])
    }
    seqs = [int(r["sequence"]) for r in rows]
    assert len(seqs) == len(set(seqs)), rows  # never a line twice
    return {int(r["sequence"]): (codes[r["product"]], Decimal(str(r["quantity"]))) for r in rows}


def sale_state(client: TrytonClient, number: str) -> Any:
    (sale,) = client.search_read("sale.sale", [["reference", "=", number]], ["state"])
    return sale["state"]


def test_an_amendment_of_a_draft_sale_changes_its_lines_in_tryton(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app = make_app(tryton, tmp_path, store_url=store_url, confirm_sales=False)
    try:
        o = app.orders.submit("portal", order_of("AM-1", FIRST)).order
        passes(app)
        first = now(app, o)
        assert first.status is OrderState.CONFIRMED and first.erp_id
        assert sale_lines(client, "AM-1") == {1: ("WID-1", 2), 2: ("WID-2", 1)}

        amended = app.orders.submit("portal", order_of("AM-1", AMENDED))
        assert amended.opened is Opened.AMENDED
        assert amended.order.status is OrderState.ACCEPTED  # validated and reserved again
        assert (held(app, "WID-1"), held(app, "WID-2")) == (5, 4)
        again = app.orders.submit("portal", order_of("AM-1", AMENDED))  # a retry
        assert again.opened is Opened.SAME
        passes(app)
        done = now(app, o)
        assert done.status is OrderState.CONFIRMED and done.problem is None
        assert (done.erp_id, done.revision) == (first.erp_id, 2)  # the same sale, amended
        assert sale_lines(client, "AM-1") == {1: ("WID-1", 5), 3: ("WID-2", 4)}
        assert sale_state(client, "AM-1") == "draft"
        passes(app)  # nothing more to do: still one line per hub line
        assert sale_lines(client, "AM-1") == {1: ("WID-1", 5), 3: ("WID-2", 4)}
        assert (held(app, "WID-1"), held(app, "WID-2")) == (5, 4)
    finally:
        app.close()


def test_an_amendment_of_a_processing_sale_is_refused_naming_its_state(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app = make_app(tryton, tmp_path, store_url=store_url)  # confirmed in Tryton: processed at once
    try:
        o = app.orders.submit("portal", order_of("AM-2", FIRST)).order
        passes(app)
        before = now(app, o)
        assert before.status is OrderState.CONFIRMED
        assert sale_state(client, "AM-2") == "processing"
        with pytest.raises(ConflictError, match="state there is processing"):
            app.orders.submit("portal", order_of("AM-2", AMENDED))
        after = now(app, o)
        assert (after.status, after.revision, after.body_hash) == (
            OrderState.CONFIRMED,
            before.revision,
            before.body_hash,
        )
        assert [ln.quantity for ln in app.hub.store.orders.lines(o.id)] == [2, 1]
        assert (held(app, "WID-1"), held(app, "WID-2")) == (2, 1)
        passes(app)
        assert sale_lines(client, "AM-2") == {1: ("WID-1", 2), 2: ("WID-2", 1)}
        refused = [s for s in app.hub.store.orders.timeline(o.id) if s.kind == "amend"]
        assert [s.outcome for s in refused] == ["refused"]
    finally:
        app.close()


def test_a_sale_processed_after_the_check_refuses_the_lines_and_the_order_is_compensated(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    """The race: Tryton processes the sale between the hub's question and the push."""
    app = make_app(tryton, tmp_path, store_url=store_url, confirm_sales=False)
    try:
        o = app.orders.submit("portal", order_of("AM-3", FIRST)).order
        passes(app)
        app.orders.submit("portal", order_of("AM-3", AMENDED))
        (sale_id,) = client.search("sale.sale", [["reference", "=", "AM-3"]])
        client.button("sale.sale", "quote", [sale_id])
        client.button("sale.sale", "confirm", [sale_id])  # a person in Tryton, just then
        assert sale_state(client, "AM-3") == "processing"
        passes(app)
        done = now(app, o)
        assert done.status is OrderState.ON_HOLD and done.holds == ["erp_rejected"]
        (step,) = [
            s
            for s in app.hub.store.orders.timeline(o.id)
            if (s.kind, s.outcome) == ("erp", "rejected")
        ]
        assert "is processing" in step.detail["error"]
        assert (held(app, "WID-1"), held(app, "WID-2")) == (0, 0)  # units back
        assert sale_lines(client, "AM-3") == {1: ("WID-1", 2), 2: ("WID-2", 1)}  # untouched
    finally:
        app.close()


def test_cancel_of_a_processing_sale_is_refused_and_nothing_changes(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app = make_app(tryton, tmp_path, store_url=store_url)
    try:
        o = app.orders.submit("portal", order_of("AM-4", FIRST)).order
        passes(app)
        with pytest.raises(ConflictError, match="is processing and cannot be cancelled"):
            app.orders.cancel(o.id, actor="ops", note="too late")
        assert now(app, o).status is OrderState.CONFIRMED
        assert (held(app, "WID-1"), held(app, "WID-2")) == (2, 1)
        passes(app)
        assert sale_state(client, "AM-4") == "processing"
    finally:
        app.close()


def test_cancel_of_an_amended_draft_sale_cancels_it_and_releases_once(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app = make_app(tryton, tmp_path, store_url=store_url, confirm_sales=False)
    try:
        o = app.orders.submit("portal", order_of("AM-5", FIRST)).order
        passes(app)
        app.orders.submit("portal", order_of("AM-5", AMENDED))
        passes(app)
        app.orders.cancel(o.id, actor="ops", note="customer called")
        app.orders.cancel(o.id, actor="ops", note="customer called")  # a retry: nothing more
        passes(app)
        assert sale_state(client, "AM-5") == "cancelled"
        done = now(app, o)
        assert done.status is OrderState.CANCELLED and done.problem is None
        assert (held(app, "WID-1"), held(app, "WID-2")) == (0, 0)
        links = app.hub.store.orders.reservations(o.id, held_only=False)
        assert all(ln.released for ln in links)
    finally:
        app.close()


def _partly_shipped(app: Application, client: TrytonClient, number: str) -> tuple[OrderRow, int]:
    """5 ordered, 2 shipped in Tryton and pulled back: Tryton keeps a backorder of 3."""
    o = app.orders.submit("portal", order_of(number, {1: ("WID-1", "5")})).order
    passes(app)
    (sale,) = client.search_read("sale.sale", [["reference", "=", number]], ["shipments"])
    (shipment,) = sale["shipments"]
    client.button("stock.shipment.out", "wait", [shipment])
    (moves,) = client.read("stock.shipment.out", [shipment], ["inventory_moves"])
    client.write("stock.move", moves["inventory_moves"], {"quantity": 2.0})
    for step in ("assign_force", "pick", "pack", "do"):
        client.button("stock.shipment.out", step, [shipment])
    passes(app)
    assert now(app, o).status is OrderState.PARTIALLY_SHIPPED
    (rest,) = client.search("stock.shipment.out", [["state", "=", "waiting"]])
    return o, rest


def _rest_withdrawn(app: Application, client: TrytonClient, o: OrderRow, rest: int) -> None:
    done = now(app, o)
    assert done.status is OrderState.SHIPPED and done.problem is None, done
    (book,) = app.hub.store.fulfilment.lines(o.id)
    assert (book.shipped, book.released, book.reserved) == (2, 3, 0)  # shipped + released = 5
    assert held(app, "WID-1") == 2  # the shipped units, allocated until the pick is reported
    (shipment,) = client.read("stock.shipment.out", [rest], ["state"])
    assert shipment["state"] == "cancelled"
    (sale,) = client.read("sale.sale", [int(str(done.erp_id))], ["shipment_state", "shipments"])
    assert sale["shipment_state"] == "sent"  # the cancelled moves ignored, Tryton's way
    assert len(sale["shipments"]) == 2  # nothing recreated


def test_cancelling_a_partly_shipped_rest_cancels_tryton_backorder(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app = make_app(tryton, tmp_path, store_url=store_url, pull=("shipments",))
    try:
        o, rest = _partly_shipped(app, client, "AM-6")
        app.orders.cancel(o.id, actor="ops", note="customer takes what came")
        _rest_withdrawn(app, client, o, rest)
        steps = [(s.kind, s.outcome) for s in app.hub.store.orders.timeline(o.id)]
        assert steps[-2:] == [("cancel", "erp_rest_open"), ("cancel", "erp_rest_cancelled")]
        passes(app)  # the pulls that follow change nothing
        _rest_withdrawn(app, client, o, rest)
    finally:
        app.close()


def test_a_rest_tryton_did_not_cancel_stays_a_problem_until_cancelled_again(
    tryton: TrytonServer,
    tmp_path: Path,
    client: TrytonClient,
    monkeypatch: pytest.MonkeyPatch,
    store_url: str,
) -> None:
    """The hub's part committed, the ERP unreachable (or the process killed) before its part."""
    app = make_app(tryton, tmp_path, store_url=store_url, pull=("shipments",))
    try:
        o, rest = _partly_shipped(app, client, "AM-7")
        real = app.orders.erp_withdraw_rest

        def down(_cid: str) -> None:
            raise RetryableError("Tryton did not answer", code=ErrorCode.DESTINATION_UNAVAILABLE)

        monkeypatch.setattr(app.orders, "erp_withdraw_rest", down)
        app.orders.cancel(o.id, actor="ops", note="customer takes what came")
        cut = now(app, o)
        assert cut.status is OrderState.SHIPPED
        assert cut.problem is not None and "Tryton did not answer" in cut.problem
        (shipment,) = client.read("stock.shipment.out", [rest], ["state"])
        assert shipment["state"] == "waiting"
        monkeypatch.setattr(app.orders, "erp_withdraw_rest", real)
        app.orders.cancel(o.id, actor="ops", note="again")
        _rest_withdrawn(app, client, o, rest)
    finally:
        app.close()


def _amended_on_hold(
    tryton: TrytonServer, tmp_path: Path, store_url: str, number: str
) -> tuple[Application, OrderRow]:
    """A draft sale in Tryton whose amendment waits on a stock hold (3 of each on hand)."""
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(
        engine_yaml(
            tryton.url, tryton.database, tmp_path / "hub.sqlite",
            store_url=store_url, confirm_sales=False, recheck_seconds=0.001,
        )
    )  # fmt: skip
    app = open_app(hub_file)
    seed(app, stock="3")
    o = app.orders.submit("portal", order_of(number, FIRST)).order
    passes(app)
    assert now(app, o).status is OrderState.CONFIRMED
    held_now = app.orders.submit("portal", order_of(number, AMENDED)).order
    assert held_now.status is OrderState.ON_HOLD and held_now.holds == ["stock"]
    assert (held(app, "WID-1"), held(app, "WID-2")) == (0, 0)  # nothing held for a hold
    passes(app)
    return app, o


def test_an_amendment_held_for_stock_reaches_the_sale_once_the_stock_comes(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app, o = _amended_on_hold(tryton, tmp_path, store_url, "AM-9")
    try:
        assert sale_lines(client, "AM-9") == {1: ("WID-1", 2), 2: ("WID-2", 1)}  # waits
        for sku in ("WID-1", "WID-2"):
            app.availability.feeds.apply_wms_event(
                WmsEvent(
                    idempotency_key=f"more-{sku}",
                    kind="receipt",
                    sku=sku,
                    location="DAL",
                    quantity=Decimal(10),
                )
            )
        passes(app, 4)  # the hold sweep releases it; the engine pushes the amendment
        done = now(app, o)
        assert done.status is OrderState.CONFIRMED and done.holds == [] and done.revision == 2
        assert sale_lines(client, "AM-9") == {1: ("WID-1", 5), 3: ("WID-2", 4)}
        assert (held(app, "WID-1"), held(app, "WID-2")) == (5, 4)
    finally:
        app.close()


def test_an_amendment_held_then_cancelled_cancels_the_sale_and_releases_once(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, store_url: str
) -> None:
    app, o = _amended_on_hold(tryton, tmp_path, store_url, "AM-10")
    try:
        app.orders.cancel(o.id, actor="ops", note="customer called")
        app.orders.cancel(o.id, actor="ops", note="customer called")  # a retry
        passes(app)
        assert sale_state(client, "AM-10") == "cancelled"
        done = now(app, o)
        assert done.status is OrderState.CANCELLED and done.problem is None
        assert (held(app, "WID-1"), held(app, "WID-2")) == (0, 0)
        assert all(ln.released for ln in app.hub.store.orders.reservations(o.id, held_only=False))
    finally:
        app.close()
