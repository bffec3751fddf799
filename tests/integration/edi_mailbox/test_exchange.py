"""A partner's mailbox end to end: 850s into the order service, exceptions, 997s and TA1s out."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.app import Application
from crossdock.connectors.edi_x12 import ack997
from crossdock.connectors.edi_x12.envelope import read
from crossdock.store.edi_rows import ControlKind, ControlState

from .conftest import drop

pytestmark = pytest.mark.integration

BROKEN = {
    "broken_missing_beg03.x12": "BEG03",
    "broken_bad_qualifier.x12": "PO106",
    "broken_se01.x12": "SE",
    "broken_iea02.x12": "IEA02",
    "broken_ge02.x12": "GE02",
}


def _acks(mailbox: Path) -> tuple[dict[str, ack997.FunctionalAck], list[list[str]]]:
    """Every 997 in outbound by the group it answers, and every TA1 segment."""
    acks: dict[str, ack997.FunctionalAck] = {}
    ta1s: list[list[str]] = []
    for path in sorted((mailbox / "outbound").glob("*.x12")):
        for ic in read(path.read_bytes()):
            assert ic.problems == [], path.name
            for group in ic.groups:
                for tset in group.sets:
                    ack = ack997.parse(tset)
                    acks[ack.group_control] = ack
        text = path.read_text()
        ta1s += [
            seg.split("*") for seg in text.replace("\n", "").split("~") if seg.startswith("TA1")
        ]
    return acks, ta1s


def _pass(app: Application) -> None:
    app.attach_steps()
    app.hub.run_steps()


def test_orders_in_997s_out_exceptions_for_the_broken(app: Application, mailbox: Path) -> None:
    for name in ["bigbox_two_orders.x12", "bigbox_mixed.x12", *BROKEN]:
        drop(mailbox, name)
    _pass(app)
    orders = app.hub.store.orders
    taken = {
        "4500012345": [("W-100", "CS")],  # the replacement (BEG01 05) amended it to one line
        "4500012346": [("W-100", "CS")],
        "4500012400": [("W-200", "EA")],
        "4500012401": [("W-100", "CS"), ("W-200", "EA")],
        "4500012402": [("W-200", "EA")],
        "4500020002": [("W-100", "CS")],  # beside the rejected set in its group
    }
    for number, skus in taken.items():
        order = orders.find("bigbox", number)
        assert order is not None, number
        assert [(ln.sku, ln.unit) for ln in orders.lines(order.id)] == skus, number
    first = orders.find("bigbox", "4500012346")
    assert first is not None and first.ship_to == "BB-0007"
    for number in ("4500020010", "4500020020", "4500020030", "4500020040"):
        assert orders.find("bigbox", number) is None, number  # never half-imported

    rows = app.hub.store.exceptions.page(system="bigbox", limit=50)
    assert sorted(r.field or "" for r in rows) == sorted(BROKEN.values())
    by_field = {r.field: r for r in rows}
    assert "AK4" not in by_field["BEG03"].reason
    assert "BEG03: Mandatory data element missing" in by_field["BEG03"].reason
    assert "PO106: Invalid code value 'XX'" in by_field["PO106"].reason
    assert "AK5 R 4" in by_field["SE"].reason
    assert "TA1 001" in by_field["IEA02"].reason
    assert "AK905 4" in by_field["GE02"].reason
    assert by_field["PO106"].ref == "broken_bad_qualifier.x12:000000202/602/0001"
    assert (
        by_field["PO106"].payload is not None and "PO1*2*4*CA" in by_field["PO106"].payload["x12"]
    )

    acks, ta1s = _acks(mailbox)
    assert {k: (a.ack.value, a.accepted, [c.value for c in a.codes]) for k, a in acks.items()} == {
        "501": ("A", 2, []),
        "502": ("A", 1, []),
        "503": ("A", 2, []),
        "504": ("A", 1, []),
        "601": ("P", 1, []),
        "602": ("R", 0, []),
        "603": ("R", 0, []),
        "605": ("R", 0, ["4"]),
    }
    assert [t[1] for t in ta1s] == ["000000204"] and ta1s[0][4:6] == ["R", "001"]
    assert not [p for p in (mailbox / "inbound").iterdir() if p.is_file()]
    assert len(list((mailbox / "inbound" / "processed").iterdir())) == 2 + len(BROKEN)


def test_a_file_is_processed_once_however_often_it_comes(app: Application, mailbox: Path) -> None:
    drop(mailbox, "bigbox_two_orders.x12")
    _pass(app)
    drop(mailbox, "broken_se01.x12")
    _pass(app)
    before_out = sorted(p.name for p in (mailbox / "outbound").iterdir())
    before_exc = app.hub.store.exceptions.count()
    # the same bytes again, under another name (a partner's resend, a re-synced mailbox)
    drop(mailbox, "bigbox_two_orders.x12", as_name="resent.x12")
    drop(mailbox, "broken_se01.x12", as_name="broken-again.x12")
    _pass(app)
    assert sorted(p.name for p in (mailbox / "outbound").iterdir()) == before_out
    assert app.hub.store.exceptions.count() == before_exc
    assert not [p for p in (mailbox / "inbound").iterdir() if p.is_file()]


def test_control_numbers_unique_per_partner_and_all_used(app: Application, mailbox: Path) -> None:
    for name in ["bigbox_two_orders.x12", "bigbox_mixed.x12", "broken_se01.x12"]:
        drop(mailbox, name)
    _pass(app)
    edi = app.hub.store.edi
    isa = edi.numbers("bigbox", ControlKind.ISA)
    st = edi.numbers("bigbox", ControlKind.ST)
    assert [r.number for r in isa] == [1, 2, 3]
    assert [r.number for r in st] == list(range(1, 1 + 1 + 3 + 1))  # one 997 per group
    assert {r.state for r in isa + st} == {ControlState.USED}
    assert edi.gaps("bigbox") == []
    names = sorted(p.name for p in (mailbox / "outbound").iterdir())
    assert names == ["997-000000001.x12", "997-000000002.x12", "997-000000003.x12"]
    for n, name in enumerate(names, start=1):
        (ic,) = read((mailbox / "outbound" / name).read_bytes())
        assert int(ic.control) == n
        assert ic.sender == ("ZZ", "CROSSDOCKHUB") and ic.receiver == ("01", "123456789")


def test_orders_the_hub_cannot_take_are_exceptions_naming_the_field(
    app: Application, mailbox: Path
) -> None:
    isa = (
        "ISA*00*          *00*          *01*123456789      *ZZ*CROSSDOCKHUB   "
        "*261204*1000*U*00401*000000301*0*P*>~"
    )
    sets = (
        # a store the customer has no ship-to site for: refused by the order intake
        "ST*850*0001~BEG*00*SA*PO-UNKNOWN-STORE**20261204~N1*ST*S*92*9999~"
        "PO1*1*1*EA*2.25**SK*W-200~SE*5*0001~"
        # an item the hub does not know by any of its ids: refused by the mapping
        "ST*850*0002~BEG*00*SA*PO-UNKNOWN-ITEM**20261204~N1*ST*S*92*0042~"
        "PO1*1*1*EA*2.25**BP*NOPE*UP*999999999993~SE*5*0002~"
        # and a sound one beside them
        "ST*850*0003~BEG*00*SA*PO-FINE**20261204~N1*ST*S*92*0042~"
        "PO1*1*1*EA*2.25**SK*W-200~SE*5*0003~"
    )
    inbound = mailbox / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / "mixed.x12").write_text(
        isa
        + "GS*PO*BIGBOX*CROSSDOCKHUB*20261204*1000*701*X*004010~"
        + sets
        + "GE*3*701~IEA*1*000000301~"
    )
    _pass(app)
    orders = app.hub.store.orders
    assert orders.find("bigbox", "PO-FINE") is not None
    assert orders.find("bigbox", "PO-UNKNOWN-STORE") is None
    assert orders.find("bigbox", "PO-UNKNOWN-ITEM") is None
    rows = {r.native_id: r for r in app.hub.store.exceptions.page(system="bigbox", limit=10)}
    assert rows["PO-UNKNOWN-STORE"].field == "ship_to"
    assert "BB-9999" in rows["PO-UNKNOWN-STORE"].reason
    assert rows["PO-UNKNOWN-ITEM"].field == "PO107"
    assert "BP 'NOPE'" in rows["PO-UNKNOWN-ITEM"].reason
    assert rows["PO-UNKNOWN-ITEM"].entity_type == "order"
    # syntactically all three are sound: the 997 accepts them (the business answer is the 855's)
    acks, _ = _acks(mailbox)
    assert (acks["701"].ack.value, acks["701"].accepted) == ("A", 3)
