"""Broken sets and groups give the 997 codes X12 defines for them (AK3/AK4/AK5/AK9, TA1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crossdock.connectors.edi_x12 import ack997
from crossdock.connectors.edi_x12.codes import (
    ElementCode,
    GroupCode,
    InterchangeNote,
    SegmentCode,
    SetCode,
)
from crossdock.connectors.edi_x12.envelope import read
from crossdock.connectors.edi_x12.grammar import code_lists
from crossdock.connectors.edi_x12.validate import validate_group

from .helpers import ISA, ack_lines, sample

GS = "GS*PO*BIGBOX*CROSSDOCKHUB*20261201*0930*1*X*004010~"


def _group(*segments: str, count: bool = True) -> list[str]:
    """The 997 answering one 850 made of ``segments`` (ST and SE added, SE01 right)."""
    n = len(segments) + 2
    body = f"ST*850*0001~{''.join(s + '~' for s in segments)}SE*{n if count else n + 1}*0001~"
    ic = read(ISA + GS + body + "GE*1*1~IEA*1*000000001~")[0]
    return ack_lines(ic.groups[0])


GOOD = ("BEG*00*SA*9**20261201", "N1*ST*S*92*0042", "PO1*1*1*EA*1**VP*W-100")


def test_a_sound_set_is_accepted() -> None:
    assert _group(*GOOD) == ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]


def test_missing_mandatory_element_beg03() -> None:
    lines = ack_lines(read(sample("broken_missing_beg03.x12"))[0].groups[0])
    assert lines == [
        "AK1*PO*601",
        "AK2*850*0001",
        "AK3*BEG*2**8",
        "AK4*3*324*1*",
        "AK5*R*5",
        "AK2*850*0002",
        "AK5*A",
        "AK9*P*2*2*1",  # partially accepted: the second order goes on
    ]


def test_bad_qualifier_po106() -> None:
    lines = ack_lines(read(sample("broken_bad_qualifier.x12"))[0].groups[0])
    assert lines == [
        "AK1*PO*602",
        "AK2*850*0001",
        "AK3*PO1*5*PO1*8",
        "AK4*6*235*7*XX",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]


def test_wrong_segment_count_in_se01() -> None:
    lines = ack_lines(read(sample("broken_se01.x12"))[0].groups[0])
    assert lines == ["AK1*PO*603", "AK2*850*0001", "AK5*R*4", "AK9*R*1*1*0"]


def test_group_control_number_mismatch_ge02() -> None:
    lines = ack_lines(read(sample("broken_ge02.x12"))[0].groups[0])
    assert lines == ["AK1*PO*605", "AK2*850*0001", "AK5*A", "AK9*R*1*1*0*4"]


def test_interchange_control_number_mismatch_is_a_ta1_001() -> None:
    (ic,) = read(sample("broken_iea02.x12"))
    assert ic.problems == [InterchangeNote.CONTROL_MISMATCH]
    note = ack997.ta1(ic, datetime(2026, 12, 3, 8, 15, tzinfo=UTC))
    assert note == ["TA1", "000000204", "261203", "0815", "R", "001"]


def test_st02_se02_mismatch_and_count() -> None:
    ic = read(ISA + GS + "ST*850*0001~BEG*00*SA*9**20261201~SE*3*0002~GE*1*1~IEA*1*000000001~")[0]
    result = validate_group(ic.groups[0])
    assert result.sets[0].codes[:1] == [SetCode.CONTROL_MISMATCH]


def test_missing_se_and_ge_are_reported() -> None:
    ic = read(ISA + GS + "ST*850*0001~BEG*00*SA*9**20261201~IEA*1*000000001~")[0]
    result = validate_group(ic.groups[0])
    assert SetCode.TRAILER_MISSING in result.sets[0].codes
    assert GroupCode.TRAILER_MISSING in result.codes


@pytest.mark.parametrize(
    ("segment", "position", "code", "value"),
    [
        ("BEG*00*SA*9**20261332", 5, ElementCode.INVALID_DATE, "20261332"),
        ("BEG*00*SA*9**20261201**X", 7, ElementCode.TOO_SHORT, "X"),
        ("DTM*002*20261201*2561", 3, ElementCode.INVALID_TIME, "2561"),
        ("CTT*1X", 1, ElementCode.INVALID_CHARACTER, "1X"),
        ("CTT*1234567", 1, ElementCode.TOO_LONG, "1234567"),
        ("BEG*00*SA*12345678901234567890123**20261201", 3, ElementCode.TOO_LONG, None),
        ("BEG*99*SA*9**20261201", 1, ElementCode.INVALID_CODE, "99"),
        ("CTT*1*2*3", 3, ElementCode.TOO_MANY, "3"),
        ("PER*BD*JANE*TE", 4, ElementCode.CONDITIONAL_MISSING, None),
        ("PO1*1*1*EA*1*PE*VP", 7, ElementCode.CONDITIONAL_MISSING, None),
    ],
)
def test_element_errors(segment: str, position: int, code: ElementCode, value: str | None) -> None:
    sid = segment.split("*")[0]
    segs = [GOOD[0] if sid != "BEG" else segment, GOOD[1]]
    if sid == "PO1":
        segs.append(segment)
    else:
        segs.append(GOOD[2])
        if sid in ("DTM", "PER"):
            segs.insert(1, segment)
        elif sid == "CTT":
            segs.append(segment)
    lines = _group(*segs)
    ak4 = [ln for ln in lines if ln.startswith("AK4")]
    assert ak4 and ak4[0].split("*")[1] == str(position), lines
    assert ak4[0].split("*")[3] == code.value, lines
    if value is not None:
        assert ak4[0].split("*")[4] == value
    assert "AK5*R*5" in lines


def test_mandatory_segment_missing() -> None:
    lines = _group(GOOD[1], GOOD[2])
    assert "AK3*BEG*2**3" in lines and "AK5*R*5" in lines


def test_segment_out_of_sequence() -> None:
    lines = _group(GOOD[0], GOOD[1], GOOD[2], "BEG*00*SA*9**20261201")
    assert any(ln.startswith("AK3*BEG*5**7") for ln in lines), lines


def test_segment_over_its_maximum_use() -> None:
    per = "PER*BD*JANE"
    lines = _group(GOOD[0], per, per, per, per, GOOD[1], GOOD[2])
    assert "AK3*PER*6**5" in lines, lines


def test_loop_over_its_maximum() -> None:
    lines = _group(*GOOD, "CTT*1", "CTT*1")
    assert "AK3*CTT*6*CTT*4" in lines, lines


def test_a_segment_not_in_the_set_is_noted_and_the_set_accepted_with_errors() -> None:
    lines = _group(GOOD[0], "ZZZ*1", GOOD[1], GOOD[2])
    assert lines == ["AK1*PO*1", "AK2*850*0001", "AK3*ZZZ*3**6", "AK5*E", "AK9*E*1*1*1"]


def test_an_unsupported_set_is_rejected_with_ak502_1() -> None:
    ic = read(ISA + GS + "ST*999*0001~SE*2*0001~GE*1*1~IEA*1*000000001~")[0]
    result = validate_group(ic.groups[0])
    assert result.sets[0].codes == [SetCode.NOT_SUPPORTED]


def test_the_code_enums_are_the_grammar_code_lists() -> None:
    lists = code_lists()
    assert {c.value for c in SegmentCode} == set(lists["segment_error"])
    assert {c.value for c in ElementCode} == set(lists["element_error"])
    assert {c.value for c in SetCode} == set(lists["set_error"])
    assert {c.value for c in GroupCode} <= set(lists["group_error"])
    assert {c.value for c in InterchangeNote} == set(lists["ta1_note"])


def test_sets_of_one_shape_are_each_checked_element_by_element() -> None:
    """The walk of a shape is kept between sets; each set's element errors are its own."""
    broken = ("BEG*00*SA*9**20261301", "N1*ST*S*92*0042", "PO1*1*1*EA*1**XX*W-100")
    assert _group(*GOOD) == ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]
    assert _group(*broken) == [
        "AK1*PO*1",
        "AK2*850*0001",
        "AK3*BEG*2**8",
        "AK4*5*373*8*20261301",
        "AK3*PO1*4*PO1*8",
        "AK4*6*235*7*XX",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]
    assert _group(*GOOD) == ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]
