"""Pull from a real Tryton: customers, products, price lists, stock; bookmark; price change."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.connectors.tryton import TrytonConnector
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub, parse_checked

from .conftest import TrytonServer, hub_yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]


def _hub(server: TrytonServer, tmp_path: Path, store_url: str | None = None) -> Hub:
    return Hub.open(parse_checked(hub_yaml(server, tmp_path)), store_url=store_url)


def _by(hub: Hub, et: EntityType, key: str) -> dict[str, dict]:
    return {r.data[key]: r.data for r in hub.store.records.page(et, limit=1000)}


def test_pull_customers_products_price_lists_stock(tryton: TrytonServer, tmp_path: Path) -> None:
    hub = _hub(tryton, tmp_path)
    try:
        summary = hub.pull(["tryton"])
        assert summary.ingest.exceptions == 1  # the catch-all price list line, reported
        customers = _by(hub, EntityType.CUSTOMER, "account_number")
        acme = customers["C-100"]
        assert acme["name"] == "Acme Hardware"
        assert acme["payment_terms"] == "Net 30"
        assert Decimal(acme["credit_limit"]) == Decimal("5000")
        roles = {tuple(s["roles"]) for s in acme["sites"]}
        assert roles == {("bill_to",), ("ship_to",)}
        products = _by(hub, EntityType.PRODUCT, "sku")
        assert set(products) == {"WID-1", "WID-2", "GAD-1"}
        assert products["WID-1"]["list_price"] == "10.00"
        assert products["WID-1"]["cost"] == "6.00"
        assert products["GAD-1"]["units"] == [{"code": "DZ", "factor": "12"}]
        lists = _by(hub, EntityType.PRICE_LIST, "code")
        entry = lists["Wholesale"]["entries"][0]
        assert entry["sku"] == "WID-1"
        assert entry["breaks"] == [
            {"min_quantity": "1", "value": "9.00"},
            {"min_quantity": "100", "value": "8.50"},
        ]
        stock = _by(hub, EntityType.INVENTORY, "sku")
        assert stock["WID-1"]["location"] == "DAL"
        assert Decimal(stock["WID-1"]["on_hand"]) == 40
        exc = hub.store.exceptions.page(limit=10)[0]
        assert "applies to every product" in exc.reason

        # Nothing changed: the next pull reads only the overlap and changes nothing.
        again = hub.pull(["tryton"])
        assert again.ingest.created == again.ingest.updated == 0
    finally:
        hub.close()


def test_bookmark_persists_and_price_change_reaches_a_route(
    tryton: TrytonServer, tmp_path: Path, store_url: str
) -> None:
    """On SQLite and PostgreSQL hub stores."""
    hub = _hub(tryton, tmp_path, store_url)
    try:
        hub.pull(["tryton"])
        conn = hub.connector("tryton")
        assert isinstance(conn, TrytonConnector)
        marks = conn.state.all() if conn.state else {}
        assert set(marks) >= {"since:customers", "since:products", "since:price_lists"}

        client = conn.client
        tpl = client.search("product.template", [["code", "=", "GAD"]])
        client.write("product.template", tpl, {"list_price": Decimal("27.25")})
        line = client.search("product.price_list.line", [["quantity", "=", 100]])
        client.write("product.price_list.line", line, {"formula": "Decimal('8.25')"})
    finally:
        hub.close()

    # A new hub process (same store) resumes from the persisted bookmark.
    hub = _hub(tryton, tmp_path, store_url)
    try:
        summary = hub.pull(["tryton"])
        assert summary.ingest.updated == 2  # GAD-1's list price, the Wholesale list
        assert summary.ingest.created == 0
        report = hub.deliver(["catalog"])["catalog"]
        assert report.parked == 0
        assert report.delivered > 0
        sent = [
            json.loads(x)
            for f in sorted((tmp_path / "catalog").rglob("*.jsonl"))
            for x in f.read_text().splitlines()
        ]
        gad = [x for x in sent if x["type"] == "product" and "GAD-1" in json.dumps(x)]
        assert gad and "27.25" in json.dumps(gad[-1])
        wholesale = [x for x in sent if "Wholesale" in json.dumps(x)]
        assert wholesale and "8.25" in json.dumps(wholesale[-1])
    finally:
        hub.close()


def test_snapshot_reads_everything_without_moving_bookmarks(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    """What reconciliation compares: every record Tryton holds now, deletions included."""
    hub = _hub(tryton, tmp_path)
    try:
        hub.pull(["tryton"])
        conn = hub.connector("tryton")
        assert isinstance(conn, TrytonConnector) and conn.state is not None
        marks = conn.state.all()
        client = conn.client
        client.call(
            "model.product.product.delete",
            client.search("product.product", [["code", "=", "WID-2"]]),
        )
        snap = [i for i in conn.tryton_source.snapshot() if isinstance(i, Change)]
        skus = {c.data["sku"] for c in snap if c.entity_type is EntityType.PRODUCT}
        assert skus == {"WID-1", "GAD-1"}
        # The hub still holds WID-2: the drift a reconciliation reports.
        held = set(_by(hub, EntityType.PRODUCT, "sku"))
        assert held - skus == {"WID-2"}
        assert {c.entity_type for c in snap} == {
            EntityType.CUSTOMER,
            EntityType.PRODUCT,
            EntityType.PRICE_LIST,
            EntityType.INVENTORY,
        }
        assert conn.state.all() == marks
        # Reconciled right after a pull: the deleted product and its stock are missing in
        # Tryton, and the contacts Tryton keeps are not the hub's (the portal owns contacts,
        # so the hub ignored Tryton's; the route to Tryton would send the hub's). All else
        # agrees field by field.
        report = hub.reconcile("tryton", conn.tryton_source.snapshot())
        drifts = sorted((d.kind.value, d.entity_type.value, d.field or "") for d in report.drifts)
        assert drifts == [
            ("different", "customer", "contacts"),
            ("missing_in_system", "inventory", ""),
            ("missing_in_system", "product", ""),
        ]
        assert report.agreeing == report.records - 1 > 0
    finally:
        hub.close()


def test_incremental_pull_follows_addresses_credit_and_stock(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    """A change in a row a record is made of (an address, a credit limit, a stock move)
    brings that record, and only that record, in the next pull."""
    hub = _hub(tryton, tmp_path)
    try:
        hub.pull(["tryton"])
        conn = hub.connector("tryton")
        assert isinstance(conn, TrytonConnector)
        c = conn.client
        (acme,) = c.search_read("party.party", [["code", "=", "C-100"]], ["addresses"])
        ship = next(
            a for a in c.read("party.address", acme["addresses"], ["delivery"]) if a["delivery"]
        )
        c.write("party.address", [ship["id"]], {"city": "Arlington"})
        c.write("party.party", [acme["id"]], {"credit_limit_amount": Decimal("7500")})
        (storage,) = c.search("stock.location", [["code", "=", "STO"]])
        (wid,) = c.search("product.product", [["code", "=", "WID-1"]])
        (inv,) = c.create(
            "stock.inventory",
            [{"location": storage, "lines": [["create", [{"product": wid, "quantity": 25.0}]]]}],
        )
        c.button("stock.inventory", "confirm", [inv])

        summary = hub.pull(["tryton"])
        assert summary.ingest.updated == 2  # Acme, WID-1 at DAL
        acme_rec = _by(hub, EntityType.CUSTOMER, "account_number")["C-100"]
        assert acme_rec["credit_limit"] == "7500"
        cities = {s["address"].get("city") for s in acme_rec["sites"]}
        assert "Arlington" in cities
        stock = _by(hub, EntityType.INVENTORY, "sku")
        assert Decimal(stock["WID-1"]["on_hand"]) == 25
    finally:
        hub.close()


def test_cli_lists_and_resets_bookmarks(tryton: TrytonServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crossdock.cli import app

    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(hub_yaml(tryton, tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["sync", "-c", str(hub_file)]).exit_code == 0
    listed = runner.invoke(app, ["bookmarks", "list", "-c", str(hub_file)])
    assert listed.exit_code == 0 and "since:products" in listed.output
    reset = runner.invoke(app, ["bookmarks", "reset", "tryton", "-c", str(hub_file)])
    assert reset.exit_code == 0 and "reset=4" in reset.output  # no sales yet: no bookmark
    unknown = runner.invoke(app, ["bookmarks", "reset", "nope", "-c", str(hub_file)])
    assert unknown.exit_code != 0 and "nope" in unknown.output
    hub = _hub(tryton, tmp_path)
    try:
        conn = hub.connector("tryton")
        assert isinstance(conn, TrytonConnector) and conn.state is not None
        assert conn.state.all() == {}
        # The next pull reads everything again; ingest finds nothing new.
        summary = hub.pull(["tryton"])
        assert summary.ingest.received > 0 and summary.ingest.created == 0
    finally:
        hub.close()
