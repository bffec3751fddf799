"""`crossdock edi show FILE` and `crossdock edi gaps`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.store import Store
from crossdock.store.edi_rows import ControlKind

pytestmark = pytest.mark.integration
runner = CliRunner()
SAMPLES = Path(__file__).parents[2] / "unit" / "connectors_edi" / "samples"


def test_show_names_segments_elements_codes_and_the_order() -> None:
    result = runner.invoke(app, ["edi", "show", str(SAMPLES / "bigbox_two_orders_crlf.x12")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "BEG  Beginning Segment for Purchase Order" in out
    assert "BEG03 Purchase Order Number (324): 4500012345" in out
    assert "PO106 Product/Service ID Qualifier (235): VP  [Vendor's (Seller's) Part Number]" in out
    assert "Set 850 0001: AK5 A" in out
    assert (
        "=> order 4500012345" in out and "line 1: 12 CA at 18.50 [VP W-100, UP 012345678905]" in out
    )


def test_show_marks_what_is_wrong() -> None:
    result = runner.invoke(app, ["edi", "show", str(SAMPLES / "broken_bad_qualifier.x12")])
    assert result.exit_code == 0, result.output
    assert "! PO1 (segment 5) PO106: Invalid code value 'XX' (AK304 8)" in result.stdout


def test_show_refuses_what_is_not_x12(tmp_path: Path) -> None:
    bad = tmp_path / "x.x12"
    bad.write_text("hello")
    result = runner.invoke(app, ["edi", "show", str(bad)])
    assert result.exit_code != 0
    assert "ISA" in result.output and "Traceback" not in result.output


def test_gaps_lists_numbers_no_file_carries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(f'store: {{url: "{url}"}}\n', encoding="utf-8")
    store = Store.open(url)
    store.edi.allocate("bigbox", {ControlKind.ISA: 1}, "ack:abc")
    store.close()
    result = runner.invoke(app, ["edi", "gaps", "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["system"], row["kind"], row["number"], row["state"]) == (
        "bigbox",
        "isa",
        1,
        "allocated",
    )
    status = runner.invoke(app, ["status", "-c", str(cfg), "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["edi_control_gaps"] == 1
    text = runner.invoke(app, ["status", "-c", str(cfg)])
    assert "no written file carries: 1" in text.stdout


def _late_group(url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from crossdock.store.edi_rows import SentGroup

    store = Store.open(url)
    then = datetime.now(UTC) - timedelta(hours=30)
    with store.write() as tx:
        store.edi.record_sent(
            tx,
            SentGroup("bigbox", 7, 7, "IN", {"0007": "810 ivc1"}, "out:invoice:ivc1",
                      "810-000000007.x12", then, then + timedelta(hours=24), None, None, None),
        )  # fmt: skip
    store.close()


def test_a_group_without_its_997_past_the_deadline_is_an_alert(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(f'store: {{url: "{url}"}}\n', encoding="utf-8")
    _late_group(url)
    status = runner.invoke(app, ["status", "-c", str(cfg), "--json"])
    assert status.exit_code == 0, status.output
    (late,) = json.loads(status.stdout)["edi_unacknowledged"]
    assert (late["partner"], late["group"], late["file"]) == ("bigbox", 7, "810-000000007.x12")
    text = runner.invoke(app, ["status", "-c", str(cfg)])
    assert "ALERT EDI bigbox: group 7 (810-000000007.x12)" in text.stdout
    listed = runner.invoke(app, ["edi", "sent", "bigbox", "-c", str(cfg), "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["group"], row["ack"], row["sets"]) == (7, None, {"0007": "810 ivc1"})


def test_the_metrics_gauge_counts_late_groups_per_partner() -> None:
    from crossdock.observability import StoreGauges, render

    gauges = StoreGauges(routes=list, open_exceptions=lambda: 0, edi_overdue=lambda: {"bigbox": 2})
    text = render(gauges).decode()
    assert 'crossdock_edi_groups_unacknowledged{partner="bigbox"} 2.0' in text


def test_show_gives_the_values_of_an_outbound_document(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from crossdock.connectors.edi_x12 import doc856
    from crossdock.connectors.edi_x12.outfmt import PartnerCodes
    from crossdock.connectors.edi_x12.writer import Envelope, OutGroup, OutSet, Writer

    shipment = {
        "shipment_number": "SH-1", "order_number": "SO-1", "carrier": "UPSN",
        "tracking_numbers": ["1Z999"], "shipped_at": "2026-12-04T10:15:00+00:00",
        "lines": [{"order_line_number": 1, "sku": "W-100", "quantity": "2", "unit": "CS",
                   "sscc": "000123450000000017"}],
    }  # fmt: skip
    now = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    body = doc856.body(shipment, PartnerCodes({}), now)
    env = Envelope("ZZ", "CROSSDOCKHUB", "01", "123456789", "HUB", "BIGBOX")
    text = Writer(env).interchange(3, [OutGroup("SH", 3, [OutSet("856", "0003", body)])], now)
    f = tmp_path / "856.x12"
    f.write_text(text)
    result = runner.invoke(app, ["edi", "show", str(f)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert (
        "MAN  Marks and Numbers" in out and "HL03 Hierarchical Level Code (735): P  [Pack]" in out
    )
    assert "=> shipment SH-1 for order SO-1 shipped 2026-12-04 10:15Z by UPSN" in out
    assert "line 1 W-100: 2 CS in carton 000123450000000017" in out
