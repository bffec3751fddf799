"""Hand-written 850 samples: read with their own separators, validated, mapped to orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crossdock.connectors.edi_x12.envelope import read, tokenize
from crossdock.connectors.edi_x12.errors import X12SyntaxError
from crossdock.connectors.edi_x12.mapper import MappingProblem, to_order
from crossdock.connectors.edi_x12.po850 import PurchaseOrder, read_850
from crossdock.connectors.edi_x12.separators import ISA_LENGTH, detect
from crossdock.connectors.edi_x12.validate import validate_group
from crossdock.model.order import Order

from .helpers import ISA, DictLookup, isa, sample, settings


def test_the_isa_is_fixed_width_in_the_padded_samples() -> None:
    for name in ("bigbox_two_orders.x12", "broken_se01.x12"):
        first = sample(name).decode().split("\n")[0]
        assert len(first) == ISA_LENGTH, name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bigbox_two_orders.x12", [("*", ">", "~", None)]),
        ("bigbox_two_orders_crlf.x12", [("*", ">", "~", None)]),
        ("bigbox_mixed.x12", [("|", "^", "!", None), ("*", ":", "'", "^")]),
    ],
)
def test_separators_come_from_each_interchange_header(
    name: str, expected: list[tuple[str, str, str, str | None]]
) -> None:
    found = [
        (s.element, s.component, s.segment, s.repetition)
        for s in (ic.separators for ic in read(sample(name)))
    ]
    assert found == expected


def test_isa11_is_a_repetition_separator_only_from_00402() -> None:
    assert detect(isa("U", "00401")).repetition is None
    assert detect(isa("^", "00401")).repetition is None
    assert detect(isa("^", "00501")).repetition == "^"


def test_crlf_and_plain_lines_read_alike() -> None:
    plain = read(sample("bigbox_two_orders.x12"))[0]
    crlf = read(sample("bigbox_two_orders_crlf.x12"))[0]
    assert [s.segments for g in plain.groups for s in g.sets] == [
        s.segments for g in crlf.groups for s in g.sets
    ]


def test_several_interchanges_groups_and_sets_in_one_file() -> None:
    ics = read(sample("bigbox_mixed.x12"))
    assert [ic.control for ic in ics] == ["000000102", "000000103"]
    assert [[g.control for g in ic.groups] for ic in ics] == [["502", "503"], ["504"]]
    assert [[len(g.sets) for g in ic.groups] for ic in ics] == [[1, 2], [1]]
    for ic in ics:
        assert ic.problems == []
        for g in ic.groups:
            result = validate_group(g, ("004010",))
            assert result.ack.value == "A", [s.describe() for s in result.sets]


def test_spaces_trailing_segments_are_read_away() -> None:
    segs = tokenize(
        "ST*850*0001~  \r\nBEG*00*SA*1**20261201~   ",
        detect(ISA),
    )
    assert segs == [["ST", "850", "0001"], ["BEG", "00", "SA", "1", "", "20261201"]]


def test_not_x12_is_refused_naming_the_header() -> None:
    with pytest.raises(X12SyntaxError) as err:
        read(b"ITEMNO,QTY\nW-1,3\n")
    assert err.value.field == "ISA"


def _orders(name: str) -> list[Order]:
    out = []
    for ic in read(sample(name)):
        for g in ic.groups:
            for sr in validate_group(g, ("004010",)).sets:
                assert sr.accepted, sr.describe()
                out.append(to_order(read_850(sr.tset), "bigbox", settings(), DictLookup()))
    return out


def test_the_first_sample_maps_to_its_canonical_orders() -> None:
    first, second = _orders("bigbox_two_orders.x12")
    assert first.model_dump(exclude_none=True, exclude_defaults=True) == {
        "order_number": "4500012345",
        "channel": "bigbox",
        "customer_account": "BIGBOX",
        "ship_to": "BB-0042",
        "bill_to": "BB-9000",
        "customer_po": "4500012345",
        "currency": "USD",
        "order_date": first.order_date,
        "requested_date": date(2026, 12, 10),
        "lines": [
            {
                "line_number": 1,
                "sku": "W-100",
                "quantity": Decimal(12),
                "unit": "CS",
                "unit_price": Decimal("18.50"),
            },
            {
                "line_number": 2,
                "sku": "W-200",
                "quantity": Decimal(5),
                "unit": "EA",
                "unit_price": Decimal("2.25"),
                "requested_date": date(2026, 12, 15),
            },
        ],
    }
    assert first.order_date is not None and first.order_date.date() == date(2026, 12, 1)
    # DC 7's order: its ship-to by DC number, its line by UPC alone, requested ship date (010)
    assert second.ship_to == "BB-0007"
    assert second.requested_date == date(2026, 12, 8)
    assert [(ln.line_number, ln.sku, ln.quantity, ln.unit) for ln in second.lines] == [
        (10, "W-100", Decimal(3), "CS")
    ]


def test_the_mapped_orders_are_valid_canonical_orders() -> None:
    # the mapper builds them without pydantic's pass (the hot path); validating gives the same
    for name in ("bigbox_two_orders.x12", "bigbox_mixed.x12"):
        for order in _orders(name):
            assert Order.model_validate(order.model_dump()) == order


def test_crlf_maps_to_the_same_orders() -> None:
    assert _orders("bigbox_two_orders.x12") == _orders("bigbox_two_orders_crlf.x12")


def test_the_mixed_file_maps_every_order_by_its_ids() -> None:
    orders = _orders("bigbox_mixed.x12")
    assert [
        (o.order_number, [(ln.sku, ln.quantity, ln.unit) for ln in o.lines]) for o in orders
    ] == [
        ("4500012400", [("W-200", Decimal(24), "EA")]),
        ("4500012345", [("W-100", Decimal(10), "CS")]),  # BEG01 05: a replacement
        ("4500012401", [("W-100", Decimal(1), "CS"), ("W-200", Decimal(2), "EA")]),
        ("4500012402", [("W-200", Decimal(6), "EA")]),
    ]


def _po(text: str) -> PurchaseOrder:
    ic = read(
        ISA
        + "GS*PO*BIGBOX*CROSSDOCKHUB*20261201*0930*1*X*004010~"
        + text
        + "GE*1*1~IEA*1*000000001~"
    )[0]
    return read_850(ic.groups[0].sets[0])


def test_an_unknown_product_names_the_line_and_element() -> None:
    po = _po("ST*850*0001~BEG*00*SA*9**20261201~N1*ST*S*92*0042~PO1*1*1*EA*1**BP*NOPE~SE*5*0001~")
    with pytest.raises(MappingProblem) as err:
        to_order(po, "bigbox", settings(), DictLookup())
    assert (err.value.segment_id, err.value.position, err.value.element) == ("PO1", 4, "PO107")
    assert "NOPE" in err.value.reason


def test_an_unmapped_unit_names_po103() -> None:
    po = _po("ST*850*0001~BEG*00*SA*9**20261201~N1*ST*S*92*0042~PO1*1*1*PL*1**VP*W-100~SE*5*0001~")
    with pytest.raises(MappingProblem) as err:
        to_order(po, "bigbox", settings(), DictLookup())
    assert err.value.element == "PO103"


def test_an_order_without_ship_to_names_n104() -> None:
    po = _po("ST*850*0001~BEG*00*SA*9**20261201~PO1*1*1*EA*1**VP*W-100~SE*4*0001~")
    with pytest.raises(MappingProblem) as err:
        to_order(po, "bigbox", settings(), DictLookup())
    assert err.value.element == "N104"


def test_a_cancellation_by_850_is_not_taken() -> None:
    po = _po("ST*850*0001~BEG*01*SA*9**20261201~N1*ST*S*92*0042~PO1*1*1*EA*1**VP*W-100~SE*5*0001~")
    with pytest.raises(MappingProblem) as err:
        to_order(po, "bigbox", settings(), DictLookup())
    assert err.value.element == "BEG01"
