"""The 997 functional acknowledgment: built from a group's validation, and read back.

One 997 set answers one received functional group: AK1 names the group,
an AK2 loop per transaction set (AK3/AK4 for each segment and element in
error, AK5 with the set's judgment and codes), AK9 the group's judgment and
counts. Problems with the interchange envelope itself (ISA13 and IEA02
disagree, IEA01 miscounts the groups) have no 997 code: they are answered by
a TA1 segment in the acknowledging interchange (:func:`ta1`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crossdock.connectors.edi_x12.codes import (
    ElementCode,
    GroupAck,
    GroupCode,
    InterchangeNote,
    SegmentCode,
    SetAck,
    SetCode,
)
from crossdock.connectors.edi_x12.elements import ElementError
from crossdock.connectors.edi_x12.envelope import Interchange, Segment, TransactionSet
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.validate import GroupResult, SegmentError
from crossdock.connectors.edi_x12.writer import Fields


@dataclass(frozen=True, slots=True)
class SetNote:
    """What the 997 says of one set (its AK2 loop)."""

    code: str
    control: str
    ack: SetAck
    codes: tuple[SetCode, ...] = ()
    errors: tuple[SegmentError, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionalAck:
    """What one 997 says of one group."""

    functional_id: str
    group_control: str
    ack: GroupAck
    included: int
    received: int
    accepted: int
    codes: tuple[GroupCode, ...] = ()
    sets: tuple[SetNote, ...] = ()


def from_result(result: GroupResult) -> FunctionalAck:
    """The acknowledgment of a validated group."""
    g = result.group
    declared = g.trailer[1].strip() if g.trailer is not None and len(g.trailer) > 1 else ""
    included = int(declared) if declared.isdigit() else len(g.sets)
    notes = tuple(
        SetNote(r.tset.code, r.tset.control, r.ack, tuple(r.codes), tuple(r.errors))
        for r in result.sets
    )
    return FunctionalAck(
        g.functional_id,
        g.control,
        result.ack,
        included,
        len(g.sets),
        result.accepted_count,
        tuple(result.codes),
        notes,
    )


def body(ack: FunctionalAck, seps: Separators) -> list[Fields]:
    """The 997's segments between ST and SE."""
    forbidden = {seps.element, seps.component, seps.segment.strip(), seps.repetition or ""} - {""}

    def clean(value: str) -> str:
        return "" if any(c in value for c in forbidden) else value

    out: list[Fields] = [["AK1", ack.functional_id, ack.group_control]]
    for s in ack.sets:
        out.append(["AK2", s.code, s.control])
        for e in s.errors:
            out.append(["AK3", e.segment_id, str(e.position), e.loop or "", e.code.value])
            for el in e.elements:
                ref = el.ref if el.ref.isdigit() else ""
                out.append(["AK4", str(el.position), ref, el.code.value, clean(el.value)])
        out.append(["AK5", s.ack.value, *(c.value for c in s.codes)])
    counts = [str(ack.included), str(ack.received), str(ack.accepted)]
    out.append(["AK9", ack.ack.value, *counts, *(c.value for c in ack.codes)])
    return out


def parse(tset: TransactionSet) -> FunctionalAck:
    """A received (or written) 997 read back; the set should have validated against 997."""
    segs = tset.segments
    ak1 = _find(segs, "AK1")
    ak9 = _find(segs, "AK9")
    sets: list[SetNote] = []
    current: list[Segment] = []
    for seg in segs:
        if seg[0] == "AK2":
            current = [seg]
        elif seg[0] in ("AK3", "AK4") and current:
            current.append(seg)
        elif seg[0] == "AK5" and current:
            sets.append(_set_note(current, seg))
            current = []
    return FunctionalAck(
        _el(ak1, 1),
        _el(ak1, 2),
        GroupAck(_el(ak9, 1)),
        int(_el(ak9, 2) or 0),
        int(_el(ak9, 3) or 0),
        int(_el(ak9, 4) or 0),
        tuple(GroupCode(c) for c in ak9[5:] if c),
        tuple(sets),
    )


def _set_note(segs: list[Segment], ak5: Segment) -> SetNote:
    errors: list[SegmentError] = []
    for seg in segs[1:]:
        if seg[0] == "AK3":
            errors.append(
                SegmentError(
                    _el(seg, 1), int(_el(seg, 2)), _el(seg, 3) or None, SegmentCode(_el(seg, 4))
                )
            )
        elif errors:
            last = errors[-1]
            el = ElementError(
                int(_el(seg, 1).split(">")[0]), _el(seg, 2), ElementCode(_el(seg, 3)), _el(seg, 4)
            )
            errors[-1] = SegmentError(
                last.segment_id, last.position, last.loop, last.code, (*last.elements, el)
            )
    return SetNote(
        _el(segs[0], 1),
        _el(segs[0], 2),
        SetAck(_el(ak5, 1)),
        tuple(SetCode(c) for c in ak5[2:] if c),
        tuple(errors),
    )


def _find(segs: list[Segment], sid: str) -> Segment:
    found = next((s for s in segs if s[0] == sid), None)
    if found is None:
        raise ValueError(f"997 without {sid}")
    return found


def _el(seg: Segment, i: int) -> str:
    return seg[i].strip() if i < len(seg) else ""


def ta1(ic: Interchange, when: datetime) -> Fields | None:
    """The TA1 answering an interchange whose envelope is wrong (None when it is sound)."""
    if not ic.problems:
        return None
    note = ic.problems[0]
    if note is InterchangeNote.INVALID_CONTENT and len(ic.problems) > 1:
        note = ic.problems[1]
    return ["TA1", ic.control, when.strftime("%y%m%d"), when.strftime("%H%M"), "R", note.value]


__all__ = ["FunctionalAck", "SetNote", "body", "from_result", "parse", "ta1"]
