"""Backorders on SQLite and PostgreSQL: where the channel allows them, a line short now keeps
what it could reserve and is promised for the date inbound stock covers the rest."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.services.availability import ErpSnapshot
from crossdock.store.order_rows import OrderState

from .seed import customer, line, order, reserved, seeded

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
BACKORDER = {"channels": {"default": {"stock": {"allow_backorder": True, "allow_split": True}}}}
TODAY = datetime.now(UTC).date()


def expect(app: Application, sku: str, on_hand: str, *inbound: tuple[str, str, int]) -> None:
    """The ERP says ``sku`` has ``on_hand`` at W1 and these receipts (ref, qty, days) coming."""
    app.availability.feeds.apply_erp_snapshot(
        ErpSnapshot.model_validate(
            {
                "as_of": datetime.now(UTC).isoformat(),
                "items": [
                    {
                        "sku": sku,
                        "location": "W1",
                        "on_hand": on_hand,
                        "inbound": [
                            {
                                "reference": ref,
                                "quantity": qty,
                                "eta": (TODAY + timedelta(days=days)).isoformat(),
                            }
                            for ref, qty, days in inbound
                        ],
                    }
                ],
            }
        )
    )


def backordering(url: str, orders: dict[str, Any] | None = BACKORDER) -> Application:
    app = seeded(url, orders)
    customer(app.hub.store, credit_limit="100000")
    return app


def test_a_short_line_is_promised_from_inbound(store_url: str) -> None:
    app = backordering(store_url)
    try:
        expect(app, "W-1", "100", ("PO-7", "50", 5), ("PO-8", "500", 20))
        done = app.orders.submit("portal", order("A", line(1, qty="130"), line(2, qty="25"))).order
        assert (done.status, done.holds) == (OrderState.ACCEPTED, [])
        first, second = app.hub.store.orders.lines(done.id)
        # line 1 keeps the 100 on hand and its 30 more come with PO-7; the 20 left of PO-7
        # do not cover line 2, which waits for PO-8
        assert (first.backordered, first.promise_date) == (D(30), TODAY + timedelta(days=5))
        assert (second.backordered, second.promise_date) == (D(25), TODAY + timedelta(days=20))
        assert reserved(app) == D(100)
        steps = app.hub.store.orders.timeline(done.id)
        (res,) = [s for s in steps if s.kind == "reservation"]
        assert res.detail["backorders"] == [
            {"line": "1", "quantity": "30", "promise_date": str(TODAY + timedelta(days=5))},
            {"line": "2", "quantity": "25", "promise_date": str(TODAY + timedelta(days=20))},
        ]
        stock = next(r for r in done.rules if r["rule"] == "stock")
        assert stock["action"] == "passed" and "30 backordered" in stock["detail"]
    finally:
        app.close()


def test_nothing_expected_is_still_a_stock_hold(store_url: str) -> None:
    app = backordering(store_url)
    try:
        done = app.orders.submit("portal", order("A", line(1, qty="130"))).order
        assert (done.status, done.holds) == (OrderState.ON_HOLD, ["stock"])
        assert reserved(app) == D(0)
        assert all(ln.backordered == 0 for ln in app.hub.store.orders.lines(done.id))
    finally:
        app.close()


def test_without_backorders_a_short_line_holds(store_url: str) -> None:
    app = backordering(store_url, None)
    try:
        expect(app, "W-1", "100", ("PO-7", "50", 5))
        done = app.orders.submit("portal", order("A", line(1, qty="130"))).order
        assert done.holds == ["stock"] and reserved(app) == D(0)
    finally:
        app.close()


def test_the_api_shows_the_promise(store_url: str) -> None:
    app = backordering(store_url)
    try:
        expect(app, "W-1", "100", ("PO-7", "50", 5))
        key = create_api_key(app.hub.store, "portal", [], system="portal")
        headers = {"Authorization": f"Bearer {key}"}
        with TestClient(create_app(app)) as client:
            body: dict[str, Any] = {
                "order_number": "A",
                "customer": "ACME",
                "ship_to": "S1",
                "lines": [line(1, qty="120")],
            }
            o = client.post("/v1/orders", json=body, headers=headers).json()
            assert o["status"] == "accepted"
            (ln,) = o["lines"]
            assert (ln["backordered"], ln["promise_date"]) == (
                "20",
                str(TODAY + timedelta(days=5)),
            )
            got = client.get(f"/v1/orders/{o['id']}", headers=headers).json()
            assert got["lines"] == o["lines"]
            tl = client.get(f"/v1/orders/{o['id']}/timeline", headers=headers).json()
            (res,) = [s for s in tl["steps"] if s["kind"] == "reservation"]
            assert res["detail"]["backorders"][0]["quantity"] == "20"
    finally:
        app.close()


def test_a_retry_after_a_crash_keeps_the_promise(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = backordering(store_url)
    try:
        expect(app, "W-1", "100", ("PO-7", "50", 5))
        orders = app.hub.store.orders
        real = orders.decide

        def crash(*_a: Any, **_k: Any) -> Any:
            raise RuntimeError("killed before the decision")

        monkeypatch.setattr(orders, "decide", crash)
        with pytest.raises(RuntimeError):
            app.orders.submit("portal", order("A", line(1, qty="120")))
        monkeypatch.setattr(orders, "decide", real)
        done = app.orders.submit("portal", order("A", line(1, qty="120"))).order
        assert done.status is OrderState.ACCEPTED and reserved(app) == D(100)
        (ln,) = orders.lines(done.id)
        assert (ln.backordered, ln.promise_date) == (D(20), TODAY + timedelta(days=5))
        res = [s for s in orders.timeline(done.id) if s.kind == "reservation"][-1]
        assert res.detail["backorders"][0]["quantity"] == "20"
    finally:
        app.close()
