"""`crossdock orders show|holds|release|reject` over a hub file's store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.store import Store

from .seed import customer, line, order, seeded

pytestmark = pytest.mark.integration
runner = CliRunner()


def hub_file(tmp_path: Path) -> tuple[Path, str]:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "{url}"}}
systems:
  - {{name: erp, kind: files}}
  - {{name: portal, kind: files}}
ownership:
  product: {{owner: erp}}
  customer: {{owner: erp}}
availability: {{locations: [W1]}}
orders:
  channels:
    default: {{credit: {{on_fail: hold}}}}
    portal: {{price: {{policy: hold, tolerance: "1", tolerance_kind: percent}}}}
""",
        encoding="utf-8",
    )
    return cfg, url


def test_show_holds_release_reject(tmp_path: Path) -> None:
    cfg, url = hub_file(tmp_path)
    seed = seeded(url)
    try:
        customer(seed.hub.store, credit_limit="30")
        held = seed.orders.submit("portal", order("PO-1", line(1, qty="5"))).order
        other = seed.orders.submit("portal", order("PO-2", line(1, qty="1"))).order
    finally:
        seed.close()
    shown = runner.invoke(app, ["orders", "show", held.id, "--config", str(cfg)])
    assert shown.exit_code == 0, shown.output
    assert "on_hold" in shown.output and "credit" in shown.output and "timeline" in shown.output
    by_number = runner.invoke(
        app, ["orders", "show", "portal:PO-1", "--config", str(cfg), "--json"]
    )
    doc = json.loads(by_number.output)
    assert doc["id"] == held.id
    assert doc["lines"][0]["backordered"] == "0" and doc["lines"][0]["promise_date"] is None
    holds = runner.invoke(app, ["orders", "holds", "--config", str(cfg), "--json"])
    assert [i["id"] for i in json.loads(holds.output)["items"]] == [held.id]
    store = Store.open(url)
    try:
        customer(store, credit_limit="1000")
    finally:
        store.close()
    rel = runner.invoke(
        app, ["orders", "release", held.id, "--note", "limit raised", "--config", str(cfg)]
    )
    assert rel.exit_code == 0 and "accepted" in rel.output, rel.output
    rej = runner.invoke(app, ["orders", "reject", other.id, "--note", "dup", "--config", str(cfg)])
    assert rej.exit_code == 0 and "rejected" in rej.output, rej.output
    again = runner.invoke(app, ["orders", "reject", other.id, "--note", "x", "--config", str(cfg)])
    assert again.exit_code == 2 and "rejected" in again.output
    nope = runner.invoke(app, ["orders", "show", "ord_nope", "--config", str(cfg)])
    assert nope.exit_code == 2
    no_note = runner.invoke(app, ["orders", "release", held.id, "--config", str(cfg)])
    assert no_note.exit_code != 0


def test_cancel_and_status(tmp_path: Path) -> None:
    cfg, url = hub_file(tmp_path)
    seed = seeded(url)
    try:
        o = seed.orders.submit("portal", order("PO-1", line(1, qty="2"))).order
    finally:
        seed.close()
    done = runner.invoke(
        app, ["orders", "cancel", "portal:PO-1", "--note", "customer called", "--config", str(cfg)]
    )
    assert done.exit_code == 0, done.output
    assert f"{o.id}: cancelled" in done.output
    store = Store.open(url)
    try:
        assert all(r.released for r in store.orders.reservations(o.id, held_only=False))
        (audit,) = [a for a in store.audit.page(limit=50) if a.action == "order.cancel"]
        assert audit.detail["note"] == "customer called"
    finally:
        store.close()
    status = runner.invoke(app, ["status", "--config", str(cfg), "--json"])
    assert status.exit_code == 0, status.output
    orders = json.loads(status.output)["orders"]
    assert orders == {"by_status": {"cancelled": 1}, "stuck": 0, "with_problem": 0}
