"""The order engine against the real Tryton: accepted → one confirmed sale with its number;
refused by Tryton → on hold ``erp_rejected`` with the units back and no draft sale left;
cancelled."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.connectors.base import ErpOrderState
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.connectors.tryton.connector import TrytonConnector
from crossdock.connectors.tryton.errors import TrytonUserError
from crossdock.store.order_rows import OrderRow, OrderState

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app, order, seed

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("hub_env")]


@pytest.fixture
def client(tryton: TrytonServer) -> Iterator[TrytonClient]:
    c = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    yield c
    c.close()


def make_app(tryton: TrytonServer, tmp_path: Path, **kw: bool) -> Application:
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


def buckets(app: Application, sku: str) -> tuple[Decimal, Decimal]:
    (item,) = app.availability.availability([sku])
    b = item.locations[0].buckets
    return b.reserved, b.allocated


def test_an_accepted_order_becomes_one_confirmed_sale_with_its_number(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient
) -> None:
    app = make_app(tryton, tmp_path)
    try:
        o = app.orders.submit("portal", order("WEB-1", qty="3")).order
        assert o.status is OrderState.ACCEPTED
        passes(app)
        done = now(app, o)
        assert done.status is OrderState.CONFIRMED, app.hub.store.orders.timeline(o.id)
        (sale,) = client.search_read(
            "sale.sale", [["reference", "=", "WEB-1"]], ["state", "number", "lines"]
        )
        assert done.erp_id == str(sale["id"]) and done.erp_number == sale["number"]
        assert sale["state"] == "processing" and len(sale["lines"]) == 1
        assert buckets(app, "WID-1") == (Decimal(0), Decimal(3))
    finally:
        app.close()


def test_a_sale_tryton_refuses_holds_the_order_and_gives_the_units_back(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient
) -> None:
    app = make_app(tryton, tmp_path)
    try:
        o = app.orders.submit("portal", order("WEB-2", sku="NOPE-1", qty="4")).order
        assert o.status is OrderState.ACCEPTED
        passes(app)
        held = now(app, o)
        assert held.status is OrderState.ON_HOLD and held.holds == ["erp_rejected"]
        (step,) = [
            s
            for s in app.hub.store.orders.timeline(o.id)
            if (s.kind, s.outcome) == ("erp", "rejected")
        ]
        assert "is not a Tryton product code" in step.detail["error"]
        assert buckets(app, "NOPE-1") == (Decimal(0), Decimal(0))
        assert not client.search("sale.sale", [["reference", "=", "WEB-2"]])
    finally:
        app.close()


def test_cancel_of_a_draft_sale_cancels_it_in_tryton(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient
) -> None:
    app = make_app(tryton, tmp_path, confirm_sales=False)
    try:
        o = app.orders.submit("portal", order("WEB-3")).order
        passes(app)
        assert now(app, o).status is OrderState.CONFIRMED
        app.orders.cancel(o.id, actor="ops", note="customer called")
        passes(app)
        (sale,) = client.search_read("sale.sale", [["reference", "=", "WEB-3"]], ["state"])
        assert sale["state"] == "cancelled"
        done = now(app, o)
        assert done.status is OrderState.CANCELLED and done.problem is None
        assert buckets(app, "WID-1") == (Decimal(0), Decimal(0))
    finally:
        app.close()


def test_a_sale_processed_after_the_cancel_check_is_a_visible_problem(
    tryton: TrytonServer, tmp_path: Path, client: TrytonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the hub asked while the sale was still confirmed; Tryton processed it since.

    (Asked while processing, the cancel is refused up front: test_tryton_order_amend.)
    """
    app = make_app(tryton, tmp_path)
    try:
        o = app.orders.submit("portal", order("WEB-4")).order
        passes(app)
        stale = ErpOrderState(str(now(app, o).erp_id), "confirmed", True, True)
        monkeypatch.setattr(app.orders, "erp", lambda _cid: stale)
        app.orders.cancel(o.id, actor="ops", note="too late")
        passes(app)
        done = now(app, o)
        assert done.status is OrderState.CANCELLED
        assert done.problem is not None and "processing" in done.problem
        (sale,) = client.search_read("sale.sale", [["reference", "=", "WEB-4"]], ["state"])
        assert sale["state"] == "processing"  # Tryton's word: it stands
    finally:
        app.close()


def _refuse_confirm(app: Application, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tryton refuses to confirm (as its credit-limit warning or a module rule would)."""
    conn = app.hub.connector("tryton")
    assert isinstance(conn, TrytonConnector)
    real = conn.client.button

    def button(model: str, name: str, ids: Sequence[int]) -> Any:
        if (model, name) == ("sale.sale", "confirm"):
            raise TrytonUserError("model.sale.sale.confirm", "The sale cannot be confirmed", "")
        return real(model, name, ids)

    monkeypatch.setattr(conn.client, "button", button)


def _refused(
    app: Application, monkeypatch: pytest.MonkeyPatch, client: TrytonClient, number: str
) -> OrderRow:
    """An order whose sale Tryton refused to confirm: on hold, and no draft left in Tryton."""
    _refuse_confirm(app, monkeypatch)
    o = app.orders.submit("portal", order(number, qty="2")).order
    passes(app)
    held = now(app, o)
    assert held.status is OrderState.ON_HOLD and held.holds == ["erp_rejected"]
    # the draft Tryton made before refusing is gone: no orphan
    assert not client.search("sale.sale", [["reference", "=", number]])
    return o


@pytest.mark.parametrize("then", ["release", "reject"])
def test_a_sale_tryton_refuses_to_confirm_leaves_no_draft_whatever_a_person_does(
    tryton: TrytonServer,
    tmp_path: Path,
    client: TrytonClient,
    monkeypatch: pytest.MonkeyPatch,
    then: str,
) -> None:
    """Released: sent afresh as one sale. Rejected: nothing left in Tryton."""
    app = make_app(tryton, tmp_path)
    number = f"WEB-5-{then}"
    try:
        o = _refused(app, monkeypatch, client, number)
        monkeypatch.undo()
        sales = [["reference", "=", number]]
        if then == "release":
            app.orders.release(o.id, actor="ops", note="credit sorted in Tryton")
            passes(app)
            assert now(app, o).status is OrderState.CONFIRMED
            (sale,) = client.search_read("sale.sale", sales, ["state"])
            assert sale["state"] == "processing"
        else:
            app.orders.reject(o.id, actor="ops", note="customer gone")
            passes(app)
            assert now(app, o).status is OrderState.REJECTED
            assert not client.search("sale.sale", sales)
            assert buckets(app, "WID-1") == (Decimal(0), Decimal(0))
    finally:
        app.close()
