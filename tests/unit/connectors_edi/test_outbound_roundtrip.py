"""Property tests: every outbound document (855, 856, 810, 846) reads back to its values.

Each generated order decision, shipment, invoice or stock list is mapped,
written inside an envelope with the partner's separators, read by the reader,
validated against its grammar (accepted, no error) and read back into the
same canonical values.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.edi_x12 import doc810, doc846, doc855, doc856
from crossdock.connectors.edi_x12.codes import SetAck
from crossdock.connectors.edi_x12.envelope import TransactionSet, read
from crossdock.connectors.edi_x12.grammar import grammar
from crossdock.connectors.edi_x12.outfmt import PartnerCodes
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.validate import validate_group, validate_set
from crossdock.connectors.edi_x12.writer import Envelope, Fields, OutGroup, OutSet, Writer
from crossdock.model.invoice import InvoiceLine
from crossdock.model.shipment import ShipmentLine

SEPARATORS = [
    Separators("*", ">", "~"),
    Separators("|", "^", "!"),
    Separators("*", ":", "'", "^"),
    Separators("^", "\\", "\n"),
]
WORD = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=2, max_size=12)
NOW = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)
UNITS = {"CA": "CS", "EA": "EA"}  # the partner's code -> the hub's unit
PARTS = {"W-200": "BB-55", "W-300": "BB-77"}

dates = st.dates(date(2000, 1, 1), date(2099, 12, 31))
quantities = st.decimals(Decimal("0.001"), Decimal("99999"), places=3)
prices = st.decimals(Decimal("0"), Decimal("9999"), places=2)
units = st.sampled_from(["EA", "CS", "BX"])
skus = st.one_of(st.sampled_from(sorted(PARTS)), WORD)


def _codes() -> PartnerCodes:
    return PartnerCodes(UNITS, PARTS)


def _round_trip(code: str, body: list[Fields], seps: Separators) -> TransactionSet:
    """Write one set in an interchange, read it back, and check it against its grammar."""
    version = "00501" if seps.repetition else "00401"
    env = Envelope(
        "ZZ", "CROSSDOCKHUB", "01", "123456789", "HUB", "BIGBOX",
        version=version, separators=seps, line_break=seps.segment != "\n",
    )  # fmt: skip
    fid = grammar(code).functional_id
    text = Writer(env).interchange(5, [OutGroup(fid, 6, [OutSet(code, "0001", body)])], NOW)
    (ic,) = read(text)
    assert ic.problems == []
    (group,) = ic.groups
    result = validate_group(group, (env.group_version,))
    assert not result.codes
    tset = group.sets[0]
    checked = validate_set(tset)
    assert checked.ack is SetAck.ACCEPTED, checked.describe()
    return tset


ack_lines = st.builds(
    doc855.AckLine,
    line_number=st.integers(1, 99999),
    sku=skus,
    ordered=quantities,
    unit=units,
    unit_price=st.one_of(st.none(), prices),
    status=st.sampled_from(doc855.LineAck),
    quantity=st.one_of(st.just(Decimal(0)), quantities),
    ship_date=st.one_of(st.none(), dates),
)
acknowledgments = st.builds(
    doc855.Acknowledgment,
    po_number=WORD,
    order_number=WORD,
    po_date=dates,
    currency=st.sampled_from([None, "USD", "CAD"]),
    lines=st.lists(ack_lines, min_size=1, max_size=8, unique_by=lambda a: a.line_number).map(tuple),
)


@given(ack=acknowledgments, seps=st.sampled_from(SEPARATORS))
def test_an_855_reads_back_the_same_decision(ack: doc855.Acknowledgment, seps: Separators) -> None:
    tset = _round_trip("855", doc855.body(ack, _codes()), seps)
    assert doc855.read(tset, _codes()) == ack


def test_an_order_decision_gives_ack_codes_per_line() -> None:
    order = {
        "order_number": "SO-1",
        "customer_po": "PO-77",
        "order_date": "2026-12-01T10:00:00+00:00",
        "lines": [
            {"line_number": 1, "sku": "W-100", "quantity": "12", "unit": "CS"},
            {"line_number": 2, "sku": "W-200", "quantity": "5", "unit": "EA",
             "status": "backordered", "requested_date": "2026-12-20"},
            {"line_number": 3, "sku": "W-300", "quantity": "2", "status": "cancelled"},
        ],
    }  # fmt: skip
    ack = doc855.from_order(order, NOW.date())
    body = doc855.body(ack, _codes())
    assert body[0][:5] == ["BAK", "00", "AC", "PO-77", "20261201"]
    acks = [f for f in body if f[0] == "ACK"]
    assert acks == [
        ["ACK", "IA", "12", "CA"],
        ["ACK", "IB", "5", "EA", "068", "20261220"],
        ["ACK", "IR", "0", "EA"],
    ]
    po1 = [f for f in body if f[0] == "PO1"]
    assert po1[1][6:] == ["VP", "W-200", "BP", "BB-55"]  # the partner's own part number too


def test_the_services_decision_splits_a_backordered_line_and_flags_a_repriced_one() -> None:
    from crossdock.store.order_rows import LineRow, OrderRow, OrderState

    order = OrderRow(
        "o1", "bigbox", "SO-1", "c1", "BIGBOX", "BB-0042", "PO-77", "USD", OrderState.CONFIRMED,
        [], [], Decimal(0), "h", 1, 0, NOW, NOW,
    )  # fmt: skip
    lines = [
        # 10 CS ordered (120 EA base), 48 EA promised for later: 6 CS now, 4 CS on 12-20
        LineRow(1, "W-100", Decimal(10), "CS", Decimal(120), Decimal("18.50"), Decimal("18.50"),
                backordered=Decimal(48), promise_date=date(2026, 12, 20)),
        LineRow(2, "W-200", Decimal(5), "EA", Decimal(5), Decimal("2.40"), Decimal("2.25")),
    ]  # fmt: skip
    ack = doc855.from_decision(order, lines)
    assert [(a.line_number, a.status, a.quantity, a.ship_date) for a in ack.lines] == [
        (1, doc855.LineAck.ACCEPTED, Decimal(6), None),
        (1, doc855.LineAck.BACKORDERED, Decimal(4), date(2026, 12, 20)),
        (2, doc855.LineAck.PRICE_CHANGED, Decimal(5), None),
    ]
    body = doc855.body(ack, _codes())
    assert [f[0] for f in body] == ["BAK", "CUR", "PO1", "ACK", "ACK", "PO1", "ACK", "CTT"]
    assert body[5][4] == "2.4"  # PO104: the hub's price
    tset = _round_trip("855", body, SEPARATORS[0])
    assert doc855.read(tset, _codes()) == ack
    rejected = doc855.from_decision(dataclasses.replace(order, status=OrderState.REJECTED), lines)
    assert {a.status for a in rejected.lines} == {doc855.LineAck.REJECTED}
    assert doc855.body(rejected, _codes())[0][2] == "RJ"


ship_lines = st.builds(
    ShipmentLine,
    order_line_number=st.one_of(st.none(), st.integers(1, 9999)),
    sku=skus,
    quantity=quantities,
    unit=units,
    lot=st.one_of(st.none(), WORD),
    sscc=st.one_of(st.none(), st.sampled_from(["000123450000000017", "000123450000000024"])),
)


@st.composite
def shipments(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(st.lists(ship_lines, min_size=1, max_size=8))
    shipped = draw(st.datetimes(datetime(2001, 1, 1), datetime(2098, 1, 1), timezones=st.just(UTC)))
    return {
        "shipment_number": draw(WORD),
        "order_number": draw(WORD),
        "carrier": draw(st.one_of(st.none(), WORD)),
        "service": draw(st.one_of(st.none(), WORD)),
        "tracking_numbers": draw(st.lists(WORD, max_size=3)),
        "ship_to": draw(st.one_of(st.none(), WORD)),
        "ship_from": draw(st.one_of(st.none(), WORD)),
        "shipped_at": shipped.replace(second=0, microsecond=0).isoformat(),
        "status": "shipped",
        "lines": [line.model_dump(mode="json") for line in lines],
    }


@given(shipment=shipments(), seps=st.sampled_from(SEPARATORS))
def test_an_856_reads_back_the_same_shipment(shipment: dict[str, Any], seps: Separators) -> None:
    tset = _round_trip("856", doc856.body(shipment, _codes(), NOW), seps)
    got = doc856.read(tset, _codes())
    for key in ("shipment_number", "order_number", "tracking_numbers", "ship_to", "ship_from"):
        assert got.get(key) == shipment[key]
    assert got["carrier"] == shipment["carrier"]
    assert got["service"] == shipment["service"]
    assert got["shipped_at"] == datetime.fromisoformat(shipment["shipped_at"])
    sent = [ShipmentLine.model_validate(x) for x in shipment["lines"]]
    # Lines come back grouped by carton (cartons in first-named order, loose lines last).
    cartons = list(dict.fromkeys(x.sscc for x in sent if x.sscc))
    expected = [x for c in cartons for x in sent if x.sscc == c]
    expected += [x for x in sent if x.sscc is None]
    assert [ShipmentLine.model_validate(x) for x in got["lines"]] == expected


def test_an_856_nests_items_under_their_cartons() -> None:
    shipment = {
        "shipment_number": "SH-1", "order_number": "SO-1", "carrier": "UPSN",
        "tracking_numbers": ["1Z999"], "status": "shipped",
        "lines": [
            {"order_line_number": 1, "sku": "W-100", "quantity": "2", "unit": "CS",
             "sscc": "000123450000000017"},
            {"order_line_number": 2, "sku": "W-200", "quantity": "3", "unit": "EA"},
        ],
    }  # fmt: skip
    body = doc856.body(shipment, _codes(), NOW)
    hls = [f for f in body if f[0] in ("HL", "MAN", "TD5", "REF")]
    assert hls == [
        ["HL", "1", "", "S"],
        ["TD5", "", "2", "UPSN", "", ""],
        ["REF", "CN", "1Z999"],
        ["HL", "2", "1", "O"],
        ["HL", "3", "2", "P"],
        ["MAN", "GM", "000123450000000017"],
        ["HL", "4", "3", "I"],
        ["HL", "5", "2", "I"],
    ]


invoice_lines = st.builds(
    InvoiceLine,
    line_number=st.integers(1, 9999),
    sku=st.one_of(st.none(), skus),
    quantity=quantities,
    unit=units,
    unit_price=prices,
    extended_price=prices,
)


@st.composite
def invoices(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(st.lists(invoice_lines, min_size=1, max_size=8, unique_by=lambda x: x.line_number))
    invoiced = draw(dates)
    return {
        "invoice_number": draw(WORD),
        "order_number": draw(st.one_of(st.none(), WORD)),
        "currency": draw(st.sampled_from([None, "USD"])),
        "bill_to": draw(st.one_of(st.none(), WORD)),
        "invoice_date": invoiced.isoformat(),
        "due_date": draw(st.one_of(st.none(), st.just(invoiced.isoformat()))),
        "lines": [line.model_dump(mode="json") for line in lines],
    }


@given(invoice=invoices(), seps=st.sampled_from(SEPARATORS))
def test_an_810_reads_back_the_same_invoice(invoice: dict[str, Any], seps: Separators) -> None:
    tset = _round_trip("810", doc810.body(invoice, _codes(), NOW.date()), seps)
    got = doc810.read(tset, _codes())
    assert got["invoice_number"] == invoice["invoice_number"]
    assert got["order_number"] == invoice["order_number"]
    assert got.get("currency") == invoice["currency"]
    assert got.get("bill_to") == invoice["bill_to"]
    assert got["invoice_date"] == date.fromisoformat(invoice["invoice_date"])
    due = invoice["due_date"]
    assert got.get("due_date") == (date.fromisoformat(due) if due else None)
    assert got["total"] == doc810.total(invoice)
    want = [
        {k: v for k, v in InvoiceLine.model_validate(x).model_dump().items()
         if k in ("line_number", "sku", "quantity", "unit", "unit_price")}
        for x in invoice["lines"]
    ]  # fmt: skip
    assert got["lines"] == want


stock = st.builds(
    doc846.Stock,
    sku=skus,
    location=WORD,
    available=st.one_of(st.just(Decimal(0)), quantities),
    unit=units,
)


@given(items=st.lists(stock, min_size=1, max_size=10), seps=st.sampled_from(SEPARATORS))
def test_an_846_reads_back_the_same_stock(items: list[doc846.Stock], seps: Separators) -> None:
    tset = _round_trip("846", doc846.body("ADV-1", items, _codes(), NOW), seps)
    assert doc846.read(tset, _codes()) == items


def test_the_846_sends_the_partners_channel_figure() -> None:
    record = {"sku": "W-200", "location": "W1", "available": "40",
              "available_by_channel": {"bigbox": "25"}, "unit": "CS"}  # fmt: skip
    item = doc846.from_record(record, "bigbox")
    assert item == doc846.Stock("W-200", "W1", Decimal(25), "CS")
    body = doc846.body("ADV-1", [item], _codes(), NOW)
    assert ["LIN", "", "VP", "W-200", "BP", "BB-55"] in body
    assert ["QTY", "33", "25", "CA"] in body
    assert doc846.from_record({"sku": "X", "location": "W1"}, "bigbox") is None
