"""Property tests: what the writer writes, the reader reads back to the same values (997, 850)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.edi_x12 import ack997
from crossdock.connectors.edi_x12.codes import (
    ElementCode,
    GroupAck,
    GroupCode,
    SegmentCode,
    SetAck,
    SetCode,
)
from crossdock.connectors.edi_x12.elements import ElementError
from crossdock.connectors.edi_x12.envelope import read
from crossdock.connectors.edi_x12.mapper import TAKEN_PURPOSES
from crossdock.connectors.edi_x12.po850 import (
    Party,
    PoLine,
    ProductId,
    PurchaseOrder,
    read_850,
    write_850,
)
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.validate import SegmentError, validate_set
from crossdock.connectors.edi_x12.writer import Envelope, OutGroup, OutSet, Writer

SEPARATORS = [
    Separators("*", ">", "~"),
    Separators("|", "^", "!"),
    Separators("*", ":", "'", "^"),
    Separators("^", "\\", "\n"),
    Separators("*", ">", "~"),
]
WORD = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
DIGITS = st.text("0123456789", min_size=1, max_size=6).map(lambda s: s.lstrip("0") or "1")


def _envelope(seps: Separators, version: str) -> Envelope:
    return Envelope(
        "ZZ",
        "CROSSDOCKHUB",
        "01",
        "123456789",
        "HUB",
        "BIGBOX",
        version=version,
        separators=seps,
        line_break=seps.segment != "\n",
    )


def _write(seps: Separators, code: str, body: list[list[str]], fid: str) -> str:
    version = "00501" if seps.repetition else "00401"
    w = Writer(_envelope(seps, version))
    when = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    return w.interchange(7, [OutGroup(fid, 9, [OutSet(code, "0001", body)])], when)


element_errors = st.builds(
    ElementError,
    position=st.integers(1, 20),
    ref=st.one_of(st.just(""), st.integers(1, 9999).map(str)),  # X12 element numbers
    code=st.sampled_from(ElementCode),
    value=st.one_of(st.just(""), WORD),
)
segment_errors = st.builds(
    SegmentError,
    segment_id=st.sampled_from(["BEG", "PO1", "N1", "ZZZ", "CTT"]),
    position=st.integers(1, 99999),
    loop=st.sampled_from([None, "PO1", "N1"]),
    code=st.sampled_from(SegmentCode),
    elements=st.lists(element_errors, max_size=3).map(tuple),
)
set_notes = st.builds(
    ack997.SetNote,
    code=st.sampled_from(["850", "860"]),
    control=st.integers(1000, 999999999).map(str),
    ack=st.sampled_from(SetAck),
    codes=st.lists(st.sampled_from(SetCode), max_size=5).map(tuple),
    errors=st.lists(segment_errors, max_size=3).map(tuple),
)
acks = st.builds(
    ack997.FunctionalAck,
    functional_id=st.sampled_from(["PO", "IN", "SH"]),
    group_control=DIGITS,
    ack=st.sampled_from(GroupAck),
    included=st.integers(0, 999),
    received=st.integers(0, 999),
    accepted=st.integers(0, 999),
    codes=st.lists(st.sampled_from(GroupCode), max_size=5).map(tuple),
    sets=st.lists(set_notes, max_size=4).map(tuple),
)


@given(ack=acks, seps=st.sampled_from(SEPARATORS))
def test_a_997_written_reads_back_the_same(ack: ack997.FunctionalAck, seps: Separators) -> None:
    text = _write(seps, "997", [list(f) for f in ack997.body(ack, seps)], "FA")
    (ic,) = read(text)
    assert ic.separators == seps
    assert ic.problems == []
    (group,) = ic.groups
    result = validate_set(group.sets[0])
    assert result.ack is SetAck.ACCEPTED, result.describe()
    assert ack997.parse(group.sets[0]) == ack


dates = st.dates(date(2000, 1, 1), date(2099, 12, 31))
quantities = st.decimals(Decimal("0.001"), Decimal("99999"), places=3)
prices = st.one_of(st.none(), st.decimals(Decimal("0"), Decimal("9999"), places=2))
qualifiers = st.lists(
    st.sampled_from(["VP", "BP", "UP", "UK", "SK", "IN"]), min_size=1, max_size=3, unique=True
)


@st.composite
def lines(draw: st.DrawFn, n: int) -> PoLine:
    ids = tuple(ProductId(q, draw(WORD), "") for q in draw(qualifiers))
    return PoLine(
        0,
        str(n),
        draw(quantities),
        draw(st.sampled_from(["EA", "CA"])),
        draw(prices),
        ids,
        draw(st.one_of(st.none(), dates)),
    )


@st.composite
def orders(draw: st.DrawFn) -> PurchaseOrder:
    po = PurchaseOrder(
        draw(st.sampled_from(sorted(TAKEN_PURPOSES))),
        draw(st.sampled_from(["SA", "NE", "DS"])),
        draw(WORD),
        draw(dates),
        draw(st.sampled_from([None, "USD", "CAD"])),
        draw(st.one_of(st.none(), dates)),
    )
    for role in ["ST", *draw(st.lists(st.sampled_from(["BT", "BY"]), unique=True))]:
        po.parties[role] = Party(role, draw(WORD), "92", draw(DIGITS).zfill(4), 0)
    count = draw(st.integers(1, 20))
    po.lines = [draw(lines(n)) for n in range(1, count + 1)]
    po.declared_lines = count
    po.control = "0001"
    return po


def _comparable(po: PurchaseOrder) -> PurchaseOrder:
    """Positions and element names come from where the reader found a value: leave them out."""
    out = dataclasses.replace(po)
    out.parties = {k: dataclasses.replace(p, position=0) for k, p in po.parties.items()}
    out.lines = [
        dataclasses.replace(
            ln,
            position=0,
            ids=tuple(dataclasses.replace(i, element="") for i in ln.ids),
            quantity=ln.quantity.normalize(),
            price=None if ln.price is None else ln.price.normalize(),
        )
        for ln in po.lines
    ]
    return out


@given(po=orders(), seps=st.sampled_from(SEPARATORS))
def test_an_850_written_reads_back_the_same(po: PurchaseOrder, seps: Separators) -> None:
    (ic,) = read(_write(seps, "850", write_850(po), "PO"))
    tset = ic.groups[0].sets[0]
    result = validate_set(tset)
    assert result.ack is SetAck.ACCEPTED, result.describe()
    assert _comparable(read_850(tset)) == _comparable(po)
