"""The `crossdock` command, run in-process with Typer's runner against real files and SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.sync.runtime import load_checked

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_init_writes_an_example_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    hub = load_checked(tmp_path / "crossdock.yaml")
    assert {s.name for s in hub.systems} == {"erp", "portal", "wms"}
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2 and "--force" in again.output


def test_schema_prints_every_entity() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert {
        "customer",
        "product",
        "price_list",
        "inventory",
        "order",
        "shipment",
        "invoice",
    } <= set(doc)
    one = json.loads(runner.invoke(app, ["schema", "product"]).stdout)
    assert "sku" in one["required"]


def write_hub(tmp_path: Path) -> Path:
    (tmp_path / "drop").mkdir()
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
systems:
  - name: erp
    kind: files
    settings:
      inbox: {tmp_path / "drop"}
      mappings:
        - pattern: "items*.csv"
          entity: product
          id: ITEM
          columns: {{ITEM: sku, DESC: description, UOM: base_uom, COST: cost}}
          values: {{base_uom: {{EA: EA, EACH: EA}}}}
  - name: wms
    kind: files
    settings: {{export_dir: {tmp_path / "out"}}}
ownership:
  product: {{owner: erp}}
routes:
  - name: items-to-wms
    entities: [product]
    destination: wms
    fields: [sku, description, base_uom]
""",
        encoding="utf-8",
    )
    return cfg


def test_import_sync_status_and_exceptions(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    items = tmp_path / "items.csv"
    items.write_text(
        "ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.10\nA-2,Nut,BOX,0.05\nA-3,Washer,EACH,x\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(items), "-s", "erp", "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["created"] == 1 and report["exceptions"] == 2

    status = runner.invoke(app, ["status", "-c", str(cfg)])
    assert status.exit_code == 0, status.output
    assert "items-to-wms" in status.output and "open exceptions: 2" in status.output

    sync = runner.invoke(app, ["sync", "-c", str(cfg)])
    assert sync.exit_code == 0, sync.output
    exported = list((tmp_path / "out").rglob("*.jsonl"))
    assert exported, "the route exported a file"
    line = json.loads(exported[0].read_text(encoding="utf-8").splitlines()[0])
    assert line["data"] == {"sku": "A-1", "description": "Bolt", "base_uom": "EA"}

    listed = runner.invoke(app, ["exceptions", "list", "-c", str(cfg)])
    assert "unmapped_value" in listed.output or "BOX" in listed.output
    dismissed = runner.invoke(app, ["exceptions", "dismiss", "1", "-c", str(cfg), "--note", "ok"])
    assert dismissed.exit_code == 0, dismissed.output


def test_bad_hub_file_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text("systems:\n  - name: erp\n    kind: nosuchkind\n", encoding="utf-8")
    result = runner.invoke(app, ["status", "-c", str(cfg)])
    assert result.exit_code == 2
    assert "nosuchkind" in result.output and "Traceback" not in result.output


def test_demo_runs_end_to_end_and_exits(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--products",
            "60",
            "--customers",
            "12",
            "--exit-after-sync",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "summary: records_in=" in result.output
    summary = result.output[result.output.index("summary:") :].split()
    fields = dict(part.split("=") for part in summary[1:] if "=" in part)
    assert int(fields["deliveries"]) > 0 and int(fields["events"]) > 0


def test_proposals_list_and_approve(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from crossdock.model.base import EntityType
    from crossdock.model.change import Change

    cfg = write_hub(tmp_path)
    text = cfg.read_text(encoding="utf-8").replace(
        "product: {owner: erp}", "product: {owner: erp, non_owner: propose}"
    )
    cfg.write_text(text, encoding="utf-8")
    hub = load_checked(cfg)
    from crossdock.store import Store
    from crossdock.sync.ingest import Ingestor

    store = Store.open(hub.store.url)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    ing = Ingestor(store, hub)
    ing.ingest(
        [
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id="1",
                data={"sku": "A", "description": "old"},
                source_ts=t0,
            )
        ]
    )
    ing.ingest(
        [
            Change(
                system="wms",
                entity_type=EntityType.PRODUCT,
                native_id="w1",
                data={"sku": "A", "description": "new"},
                source_ts=t0 + timedelta(1),
            )
        ]
    )
    store.close()
    listed = runner.invoke(app, ["proposals", "list", "-c", str(cfg)])
    assert listed.exit_code == 0 and "description" in listed.output
    approved = runner.invoke(app, ["proposals", "approve", "1", "-c", str(cfg)])
    assert approved.exit_code == 0 and "v2" in approved.output, approved.output
    twice = runner.invoke(app, ["proposals", "approve", "1", "-c", str(cfg)])
    assert twice.exit_code == 2 and "not pending" in twice.output


def test_routes_replay_and_parked_commands(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    items = tmp_path / "items.csv"
    items.write_text("ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.10\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(items), "-s", "erp", "-c", str(cfg)]).exit_code == 0
    assert runner.invoke(app, ["sync", "-c", str(cfg)]).exit_code == 0
    replay = runner.invoke(
        app, ["routes", "replay", "items-to-wms", "--from-seq", "1", "-c", str(cfg)]
    )
    assert replay.exit_code == 0 and "cursor at 0" in replay.output, replay.output
    bad = runner.invoke(app, ["routes", "replay", "items-to-wms", "-c", str(cfg)])
    assert bad.exit_code == 2 and "exactly one" in bad.output
    listed = runner.invoke(app, ["parked", "list", "-c", str(cfg)])
    assert listed.exit_code == 0
    skipped = runner.invoke(app, ["parked", "skip", "items-to-wms", "prd_x", "-c", str(cfg)])
    # as the API answers 404: nothing of prd_x is parked
    assert skipped.exit_code == 2 and "nothing of 'prd_x' is parked" in skipped.output


def test_parked_retry_all_command(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    result = runner.invoke(app, ["parked", "retry-all", "items-to-wms", "-c", str(cfg)])
    assert result.exit_code == 0 and "delivered=0" in result.output


def test_reconcile_a_full_erp_export_and_heal_the_hub(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    items = tmp_path / "items.csv"
    items.write_text("ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.10\nA-2,Nut,EA,0.05\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(items), "-s", "erp", "-c", str(cfg)]).exit_code == 0
    same = tmp_path / "items-full.csv"
    same.write_text("ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.1\nA-2,Nut,EA,0.050\n", encoding="utf-8")
    agreed = runner.invoke(app, ["reconcile", "erp", "-f", str(same), "-c", str(cfg)])
    assert agreed.exit_code == 0, agreed.output
    assert json.loads(agreed.stdout)["in_sync"] is True

    drifted = tmp_path / "items-later.csv"
    drifted.write_text("ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.12\n", encoding="utf-8")
    result = runner.invoke(app, ["reconcile", "erp", "-f", str(drifted), "-c", str(cfg), "--heal"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["drifts_by_kind"] == {"different": 1, "missing_in_system": 1}
    cost = next(d for d in doc["drifts"] if d["kind"] == "different")
    assert (cost["field"], cost["system_value"], cost["hub_value"]) == ("cost", "0.12", "0.10")
    assert cost["remedy"] == "ingest" and doc["healed"]["changed"] == 1
    from crossdock.store import Store
    from crossdock.sync.reconcile_log import ReconcileLog

    store = Store.open(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    kept = ReconcileLog(store).get("erp")  # the console shows it: the last run, healed
    assert kept.drifts == 2 and kept.healed_by and kept.healed is not None
    assert kept.healed["changed"] == 1
    store.close()
    healed = runner.invoke(
        app, ["reconcile", "erp", "-f", str(drifted), "-c", str(cfg), "--partial"]
    )
    assert healed.exit_code == 0, healed.output


def test_reconcile_without_a_snapshot_says_what_to_give(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    result = runner.invoke(app, ["reconcile", "erp", "-c", str(cfg)])
    assert result.exit_code == 2 and "--file" in result.output


def test_import_with_workers_reports_as_one_process_does(tmp_path: Path) -> None:
    cfg = write_hub(tmp_path)
    items = tmp_path / "items.csv"
    items.write_text(
        "ITEM,DESC,UOM,COST\nA-1,Bolt,EA,0.10\nA-2,Nut,BOX,0.05\nA-3,Washer,EACH,x\n"
        "A-4,Screw,EA,0.20\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(items), "-s", "erp", "-c", str(cfg), "-w", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["created"], report["exceptions"]) == (2, 2)
    listed = runner.invoke(app, ["exceptions", "list", "-c", str(cfg)])
    assert listed.exit_code == 0, listed.output
    assert "items.csv:3" in listed.output and "items.csv:4" in listed.output
