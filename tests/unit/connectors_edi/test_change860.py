"""860 changes applied to an order: a model of lines by number, and the refusals by element."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.connectors.edi_x12.change860 import amend
from crossdock.connectors.edi_x12.envelope import read
from crossdock.connectors.edi_x12.mapper import MappingProblem
from crossdock.connectors.edi_x12.po850 import ProductId
from crossdock.connectors.edi_x12.po860 import PoChange, PocLine, read_860
from crossdock.model.order import Order, OrderLine

from .helpers import DictLookup, sample, settings


def _order(quantities: dict[int, int]) -> Order:
    return Order(
        order_number="PO1",
        channel="bigbox",
        customer_account="BIGBOX",
        ship_to="BB-0042",
        lines=[
            OrderLine(line_number=n, sku="W-100", quantity=Decimal(q), unit="CS")
            for n, q in sorted(quantities.items())
        ],
    )


def _poc(number: int, change: str, quantity: int) -> PocLine:
    ids = (ProductId("VP", "W-200", "POC09"),) if change == "AI" else ()
    unit = "EA" if change == "AI" else ""
    return PocLine(number, str(number), change, Decimal(quantity), unit, None, ids)


_CODES = st.sampled_from(["AI", "DI", "QI", "QD", "CA"])
_OP = st.tuples(st.integers(1, 6), _CODES, st.integers(1, 9))


def _model(
    start: dict[int, int], ops: list[tuple[int, str, int]]
) -> dict[int, tuple[str, int]] | None:
    """What the order's lines become, by the rules written out plainly; None: refused."""
    lines = {n: ("W-100", q) for n, q in start.items()}
    for number, code, q in ops:
        old = lines.get(number)
        if code == "AI":
            if old is not None:
                return None
            lines[number] = ("W-200", q)
        elif old is None:
            return None
        elif code == "DI":
            del lines[number]
        elif (code == "QI" and q <= old[1]) or (code == "QD" and q >= old[1]):
            return None
        else:
            lines[number] = (old[0], q)
    return lines or None  # deleting every line is not a change: BCH01 01 cancels


@given(
    st.dictionaries(st.integers(1, 6), st.integers(1, 9), min_size=1),
    st.lists(_OP, max_size=6),
)
def test_changes_apply_line_by_line_or_not_at_all(
    start: dict[int, int], ops: list[tuple[int, str, int]]
) -> None:
    expected = _model(start, ops)
    change = PoChange("04", "PO1", None, lines=[_poc(n, c, q) for n, c, q in ops])
    if expected is None:
        with pytest.raises(MappingProblem) as refused:
            amend(change, _order(start), settings(), DictLookup())
        assert refused.value.element in {"POC01", "POC03", "BCH01"}
        return
    got = amend(change, _order(start), settings(), DictLookup())
    assert {ln.line_number: (ln.sku, int(ln.quantity)) for ln in got.lines} == expected
    assert [ln.line_number for ln in got.lines] == sorted(expected)


def test_the_sample_reads_its_changes() -> None:
    ic = read(sample("bigbox_860_changes.x12"))[0]
    first, cancel = (read_860(s) for s in ic.groups[0].sets)
    assert (first.purpose, first.number, first.sequence) == ("04", "4500012346", "3")
    assert [(p.number, p.change, p.quantity, p.unit) for p in first.lines] == [
        ("10", "QI", Decimal(6), "CA"),
        ("20", "AI", Decimal(5), "EA"),
    ]
    assert first.lines[1].ids == (ProductId("BP", "BB-55", "POC09"),)
    assert (cancel.purpose, cancel.lines) == ("01", [])


def test_an_as2_key_comes_from_one_place() -> None:
    base = {"ours": "HUB", "theirs": "BIGBOX", "partner_certificate": {"env": "CERT"}}
    settings(as2={**base, "key": {"file": "/etc/hub.pem"}})
    for key in ({}, {"file": "/etc/hub.pem", "env": "KEY"}):
        with pytest.raises(ValidationError, match="exactly one of file or env"):
            settings(as2={**base, "key": key})
