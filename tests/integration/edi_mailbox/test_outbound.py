"""Outbound documents through the partner's route destination, and its 997s matched to them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import Delivery, DeliveryStatus
from crossdock.connectors.edi_x12 import ack997
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.codes import GroupAck, SetAck, SetCode
from crossdock.connectors.edi_x12.destination import EdiDestination
from crossdock.connectors.edi_x12.envelope import read
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.validate import validate_set
from crossdock.connectors.edi_x12.writer import Envelope, OutGroup, OutSet, Writer
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import Store
from crossdock.store.edi_rows import ControlKind, ControlState
from crossdock.store.order_rows import Move, NewOrder, OrderRow, OrderState
from crossdock.sync.runtime import Hub

from .conftest import drop, partner

pytestmark = pytest.mark.integration

SHIPMENT = {
    "shipment_number": "SH-1",
    "order_number": "SO-1",
    "carrier": "UPSN",
    "tracking_numbers": ["1Z999"],
    "status": "shipped",
    "shipped_at": "2026-12-04T10:15:00+00:00",
    "lines": [
        {"order_line_number": 1, "sku": "W-200", "quantity": "3", "unit": "EA",
         "sscc": "000123450000000017"},
    ],
}  # fmt: skip
INVOICE = {
    "invoice_number": "INV-1",
    "order_number": "SO-1",
    "status": "open",
    "invoice_date": "2026-12-04",
    "lines": [{"line_number": 1, "sku": "W-100", "quantity": "2", "unit": "CS",
               "unit_price": "18.60", "extended_price": "37.20"}],
}  # fmt: skip
ORDER = {
    "order_number": "SO-1",
    "channel": "bigbox",
    "customer_po": "PO-77",
    "status": "confirmed",
    "lines": [{"line_number": 1, "sku": "W-200", "quantity": "5", "status": "backordered",
               "requested_date": "2026-12-20"}],
}  # fmt: skip
STOCK = {"sku": "W-200", "location": "W1", "available": "40",
         "available_by_channel": {"bigbox": "25"}}  # fmt: skip


def delivery(etype: EntityType, eid: str, data: dict[str, Any], version: int = 1) -> Delivery:
    return Delivery(
        f"d-{eid}-{version}", "to-bigbox", etype, eid, version, ChangeOp.UPSERT, data, None,
        datetime.now(UTC),
    )  # fmt: skip


def destination(app: Application) -> EdiDestination:
    dest = app.hub.connector("bigbox").destination()
    assert isinstance(dest, EdiDestination)
    return dest


def outbound(mailbox: Path) -> list[str]:
    return sorted(p.name for p in (mailbox / "outbound").iterdir())


def test_each_document_goes_out_once_with_its_own_numbers(app: Application, mailbox: Path) -> None:
    batch = [
        delivery(EntityType.SHIPMENT, "shp1", SHIPMENT),
        delivery(EntityType.INVOICE, "ivc1", INVOICE),
        delivery(EntityType.ORDER, "ord1", ORDER),
        delivery(EntityType.INVENTORY, "inv1", STOCK),
    ]
    results = destination(app).push(batch)
    assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 4
    files = outbound(mailbox)
    assert [f[:3] for f in files] == ["810", "846", "855", "856"]
    isas = set()
    for name in files:
        (ic,) = read((mailbox / "outbound" / name).read_bytes())
        assert ic.problems == [] and ic.sender == ("ZZ", "CROSSDOCKHUB")
        isas.add(ic.control)
        (tset,) = ic.groups[0].sets
        assert validate_set(tset).ack is SetAck.ACCEPTED
    assert len(isas) == 4
    text = (mailbox / "outbound" / next(f for f in files if f.startswith("846"))).read_text()
    assert "LIN**VP*W-200*BP*BB-55~" in text and "QTY*33*25*EA~" in text  # partner's part, ATP
    # A later version of the same shipment, or the same batch again: nothing new is written.
    again = destination(app).push([delivery(EntityType.SHIPMENT, "shp1", SHIPMENT, 2), *batch])
    assert all(r.status is DeliveryStatus.DELIVERED for r in again)
    assert outbound(mailbox) == files
    edi = app.hub.store.edi
    assert edi.gaps("bigbox") == []
    assert len(edi.sent_groups("bigbox")) == 4


def test_an_order_still_undecided_sends_no_855(app: Application, mailbox: Path) -> None:
    (r,) = destination(app).push(
        [delivery(EntityType.ORDER, "o", {**ORDER, "status": "submitted"})]
    )
    assert r.status is DeliveryStatus.DELIVERED and outbound(mailbox) == []


def test_a_crash_before_the_file_voids_the_numbers_and_sends_under_new_ones(
    app: Application, mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = Mailbox.put

    def crash(self: Mailbox, name: str, text: str) -> Path:
        raise KeyboardInterrupt(name)

    monkeypatch.setattr(Mailbox, "put", crash)
    with pytest.raises(KeyboardInterrupt):
        destination(app).push([delivery(EntityType.INVOICE, "ivc1", INVOICE)])
    monkeypatch.setattr(Mailbox, "put", real_put)
    destination(app).push([delivery(EntityType.INVOICE, "ivc1", INVOICE)])
    assert outbound(mailbox) == ["810-000000002.x12"]
    edi = app.hub.store.edi
    assert {(r.kind, r.number, r.state) for r in edi.gaps("bigbox")} == {
        (ControlKind.ISA, 1, ControlState.VOID),
        (ControlKind.GS, 1, ControlState.VOID),
        (ControlKind.ST, 1, ControlState.VOID),
    }


def test_a_crash_after_the_file_records_it_without_a_second(
    app: Application, mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: EdiDestination, *args: object) -> int:
        raise KeyboardInterrupt("after the write")

    monkeypatch.setattr(EdiDestination, "_record", crash)
    with pytest.raises(KeyboardInterrupt):
        destination(app).push([delivery(EntityType.INVOICE, "ivc1", INVOICE)])
    monkeypatch.undo()
    destination(app).push([delivery(EntityType.INVOICE, "ivc1", INVOICE)])
    assert outbound(mailbox) == ["810-000000001.x12"]
    assert app.hub.store.edi.gaps("bigbox") == []
    (group,) = app.hub.store.edi.sent_groups("bigbox")
    assert (group.isa_control, group.gs_control) == (1, 1)


# -- 997s from the partner ------------------------------------------------------------------
def _from_partner(mailbox: Path, name: str, ack: ack997.FunctionalAck, isa: int = 900) -> None:
    seps = Separators("*", ">", "~")
    env = Envelope("01", "123456789", "ZZ", "CROSSDOCKHUB", "BIGBOX", "CROSSDOCKHUB")
    body = [list(f) for f in ack997.body(ack, seps)]
    text = Writer(env).interchange(
        isa, [OutGroup("FA", isa, [OutSet("997", "0001", body)])], datetime.now(UTC)
    )
    inbound = mailbox / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / name).write_text(text)


def _exchange(app: Application) -> None:
    documents = app.hub.connector("bigbox").documents()
    assert documents is not None
    documents.exchange(app.take_order)


def test_997s_are_matched_to_the_groups_sent(app: Application, mailbox: Path) -> None:
    destination(app).push(
        [
            delivery(EntityType.INVOICE, "ivc1", INVOICE),
            delivery(EntityType.SHIPMENT, "s", SHIPMENT),
        ]
    )
    edi = app.hub.store.edi
    assert [g.ref for g in edi.sent_groups("bigbox")] == ["out:invoice:ivc1", "out:shipment:s"]
    late = datetime.now(UTC) + timedelta(hours=25)
    assert [g.gs_control for g in edi.overdue(late)] == [1, 2]  # both overdue, no 997 yet
    accepted = ack997.FunctionalAck(
        "IN",
        "1",
        GroupAck.ACCEPTED,
        1,
        1,
        1,
        sets=(ack997.SetNote("810", "0001", SetAck.ACCEPTED),),
    )
    rejected = ack997.FunctionalAck(
        "SH", "2", GroupAck.REJECTED, 1, 1, 0,
        sets=(ack997.SetNote("856", "0002", SetAck.REJECTED, (SetCode.SEGMENTS_IN_ERROR,)),),
    )  # fmt: skip
    _from_partner(mailbox, "a.x12", accepted, 900)
    _from_partner(mailbox, "b.x12", rejected, 901)
    exceptions_before = app.hub.store.exceptions.count()
    _exchange(app)
    by_gs = {g.gs_control: g for g in edi.sent_groups("bigbox")}
    assert by_gs[1].ack == "A" and by_gs[2].ack == "R"
    assert edi.overdue(late) == []
    assert app.hub.store.exceptions.count() == exceptions_before + 1
    assert not [f for f in outbound(mailbox) if f.startswith("997")]  # a 997 is not answered
    reasons = [e.reason for e in app.hub.store.exceptions.page(system="bigbox")]
    assert any("rejected group 2" in r and "set 0002" in r for r in reasons), reasons
    # The same 997 dropped again is a duplicate file: recorded once, no second exception.
    _from_partner(mailbox, "b-again.x12", rejected, 901)
    _exchange(app)
    assert app.hub.store.exceptions.count() == exceptions_before + 1


def test_a_997_for_a_group_never_sent_is_an_exception(app: Application, mailbox: Path) -> None:
    _from_partner(mailbox, "x.x12", ack997.FunctionalAck("IN", "77", GroupAck.ACCEPTED, 1, 1, 1))
    _exchange(app)
    reasons = [e.reason for e in app.hub.store.exceptions.page(system="bigbox")]
    assert any("group 77, which the hub never sent" in r for r in reasons), reasons


def test_a_route_to_the_partner_delivers_an_invoice_as_an_810(
    store_url: str, mailbox: Path
) -> None:
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(name="bigbox", kind="edi_x12", settings=partner(mailbox)),
        ],
        ownership={EntityType.INVOICE: EntityOwnership(owner="erp")},
        routes=[
            RouteConfig(
                name="invoices-to-bigbox",
                entities=[EntityType.INVOICE],
                destination="bigbox",
                filter={"customer_account": ["BIGBOX"]},
            )
        ],
    )
    app = Application(Hub(config, Store.open(store_url)))
    try:
        data = {**INVOICE, "customer_account": "BIGBOX"}
        change = Change(system="erp", entity_type=EntityType.INVOICE, native_id="INV-1", data=data)
        assert not app.hub.ingest([change]).exceptions
        report = app.hub.deliver(["invoices-to-bigbox"])["invoices-to-bigbox"]
        assert report.delivered == 1, report
        (name,) = outbound(mailbox)
        (ic,) = read((mailbox / "outbound" / name).read_bytes())
        (tset,) = ic.groups[0].sets
        assert tset.code == "810" and ["BIG", "20261204", "INV-1", "", "SO-1"] in tset.segments
        assert app.hub.deliver(["invoices-to-bigbox"])["invoices-to-bigbox"].delivered == 0
    finally:
        app.close()


def test_another_customers_records_become_no_document(app: Application, mailbox: Path) -> None:
    other = {**INVOICE, "customer_account": "ACME"}
    order = {**ORDER, "channel": "web", "customer_account": "ACME"}
    results = destination(app).push(
        [delivery(EntityType.INVOICE, "i", other), delivery(EntityType.ORDER, "o", order)]
    )
    assert all(r.status is DeliveryStatus.DELIVERED for r in results)
    assert outbound(mailbox) == []


def test_an_order_taken_from_an_850_is_acknowledged_from_the_services_decision(
    app: Application, mailbox: Path
) -> None:
    drop(mailbox, "bigbox_two_orders.x12")
    _exchange(app)
    held = app.hub.store.orders.find("bigbox", "4500012346")
    assert held is not None
    record = {"order_number": "4500012346", "channel": "bigbox", "status": "confirmed"}
    destination(app).push([delivery(EntityType.ORDER, held.id, record)])
    (name,) = [f for f in outbound(mailbox) if f.startswith("855")]
    (ic,) = read((mailbox / "outbound" / name).read_bytes())
    (tset,) = ic.groups[0].sets
    assert validate_set(tset).ack is SetAck.ACCEPTED
    lines = app.hub.store.orders.lines(held.id)
    acks = [s for s in tset.segments if s[0] == "ACK"]
    assert len(acks) == len(lines) and {s[1] for s in acks} <= {"IA", "IP"}  # stock for all
    po1 = [s for s in tset.segments if s[0] == "PO1"]
    assert [int(s[1]) for s in po1] == [ln.line_number for ln in lines]
    assert po1[0][3] == "CA"  # the hub's CS written in the partner's code


def _decided(app: Application, mailbox: Path) -> OrderRow:
    """Order 4500012346 (W-100, 3 CS) read from the partner's 850 and confirmed by the ERP."""
    drop(mailbox, "bigbox_two_orders.x12")
    app.attach_steps()
    app.hub.run_steps()
    orders = app.hub.store.orders
    order = orders.find("bigbox", "4500012346")
    assert order is not None and order.status is OrderState.ACCEPTED
    done = orders.transition(
        order.id, {order.status}, Move(OrderState.CONFIRMED, erp_id="SO-9", erp_number="SO-9")
    )
    assert done is not None
    return done


def _amend(app: Application, order: OrderRow, quantity: int) -> OrderRow:
    """A new revision of the order, as the order service opens it for an 860, then confirmed."""
    orders = app.hub.store.orders
    (line,) = orders.lines(order.id)
    base = line.base_quantity * quantity / line.quantity
    new = NewOrder(
        order.channel, order.order_number, order.customer_id, order.customer_account,
        order.ship_to, order.customer_po, order.currency, f"body-{quantity}",
        [replace(line, quantity=Decimal(quantity), base_quantity=base)],
    )  # fmt: skip
    amended, _ = orders.open(new, may_amend=lambda found: True)
    assert amended.revision == order.revision + 1 and amended.status is OrderState.RECEIVED
    return amended


def _acks855(mailbox: Path) -> list[list[str]]:
    """Each 855 written, oldest first: its BAK and its ACK segments."""
    out = []
    for path in sorted((mailbox / "outbound").glob("855-*.x12")):
        (ic,) = read(path.read_bytes())
        (tset,) = ic.groups[0].sets
        out.append([s for s in tset.segments if s[0] in ("BAK", "ACK")])
    return out


def test_an_amended_then_cancelled_order_gets_replacement_855s(
    app: Application, mailbox: Path
) -> None:
    order = _decided(app, mailbox)
    data = {"order_number": order.order_number, "channel": "bigbox", "status": "confirmed"}
    destination(app).push([delivery(EntityType.ORDER, order.id, data)])
    destination(app).push([delivery(EntityType.ORDER, order.id, data, 2)])  # a later version
    [first] = _acks855(mailbox)
    assert first[0][1] == "00" and first[1][1] in ("IA", "IP") and first[1][2] == "3"

    amended = _amend(app, order, 6)
    (r,) = destination(app).push([delivery(EntityType.ORDER, order.id, data, 3)])
    assert "undecided" in (r.reference or "") and len(_acks855(mailbox)) == 1  # waits
    orders = app.hub.store.orders
    assert orders.transition(amended.id, {OrderState.RECEIVED}, Move(OrderState.CONFIRMED))
    destination(app).push([delivery(EntityType.ORDER, order.id, data, 4)])
    destination(app).push([delivery(EntityType.ORDER, order.id, data, 4)])  # retried
    assert orders.transition(amended.id, {OrderState.CONFIRMED}, Move(OrderState.CANCELLED))
    cancelled = {**data, "status": "cancelled"}
    destination(app).push([delivery(EntityType.ORDER, order.id, cancelled, 5)])
    destination(app).push([delivery(EntityType.ORDER, order.id, cancelled, 6)])
    first_again, replaced, withdrawn = _acks855(mailbox)
    assert first_again == first
    assert replaced[0][1] == "05" and replaced[1][1] in ("IA", "IP") and replaced[1][2] == "6"
    assert withdrawn[0][1:3] == ["05", "RJ"] and withdrawn[1][1:3] == ["IR", "0"]
    assert app.hub.store.edi.gaps("bigbox") == []


@pytest.mark.parametrize("partner_extra", [{"replace_855": False}])
def test_a_partner_without_replacements_gets_the_first_855_only(
    app: Application, mailbox: Path
) -> None:
    order = _decided(app, mailbox)
    data = {"order_number": order.order_number, "channel": "bigbox", "status": "confirmed"}
    destination(app).push([delivery(EntityType.ORDER, order.id, data)])
    app.hub.store.orders.transition(order.id, {OrderState.CONFIRMED}, Move(OrderState.CANCELLED))
    (r,) = destination(app).push(
        [delivery(EntityType.ORDER, order.id, {**data, "status": "cancelled"}, 2)]
    )
    assert r.status is DeliveryStatus.DELIVERED and "replacements are off" in (r.reference or "")
    assert len(_acks855(mailbox)) == 1


def test_an_order_the_service_does_not_hold_is_replaced_when_cancelled(
    app: Application, mailbox: Path
) -> None:
    destination(app).push([delivery(EntityType.ORDER, "ord1", ORDER)])
    destination(app).push([delivery(EntityType.ORDER, "ord1", {**ORDER, "status": "cancelled"}, 2)])
    first, withdrawn = _acks855(mailbox)
    assert first[0][1] == "00" and withdrawn[0][1:3] == ["05", "RJ"]
