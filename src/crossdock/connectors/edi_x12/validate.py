"""Validating a transaction set against its grammar, and judging sets and groups for the 997.

The segments are matched against the grammar's nodes in order, loop by loop
(the X12 way: a segment is looked for at or after the current node of the
innermost loop, then outward). Every problem becomes a :class:`SegmentError`
with its AK304 code and the element errors (AK4) under it.

A set is **rejected** (AK501 ``R``) for any problem with its envelope (AK502)
or with a segment the grammar knows; a segment the set's grammar does not
have at all (AK304 6) is noted and the set **accepted with errors** (``E``):
the hub reads nothing from it. A group is rejected for a problem with its own
envelope (AK905), else accepted, accepted with errors, partially accepted
(``P``: some sets rejected) or rejected (all sets rejected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from crossdock.connectors.edi_x12.codes import (
    ElementCode,
    GroupAck,
    GroupCode,
    SegmentCode,
    SetAck,
    SetCode,
)
from crossdock.connectors.edi_x12.elements import ElementError, check_segment
from crossdock.connectors.edi_x12.envelope import Group, Segment, TransactionSet
from crossdock.connectors.edi_x12.grammar import Loop, Node, grammar, segments

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_NOTED_ONLY = frozenset({SegmentCode.NOT_IN_SET})


@dataclass(frozen=True, slots=True)
class SegmentError:
    """AK3: segment ``segment_id`` at ``position`` (ST is 1) in loop ``loop`` is wrong."""

    segment_id: str
    position: int
    loop: str | None
    code: SegmentCode
    elements: tuple[ElementError, ...] = ()

    def describe(self) -> str:
        """``PO1 (segment 7) PO106: Invalid code value 'XX'``: what a person reads."""
        from crossdock.connectors.edi_x12.grammar import code_lists

        lists = code_lists()
        if not self.elements:
            return (
                f"{self.segment_id} (segment {self.position}): {lists['segment_error'][self.code]}"
            )
        parts = []
        for e in self.elements:
            what = lists["element_error"][e.code]
            parts.append(
                f"{self.segment_id}{e.position:02d}: {what}" + (f" {e.value!r}" if e.value else "")
            )
        return f"{self.segment_id} (segment {self.position}) " + "; ".join(parts)


@dataclass(slots=True)
class SetResult:
    tset: TransactionSet
    ack: SetAck
    codes: list[SetCode]
    errors: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.ack is not SetAck.REJECTED

    def describe(self) -> str:
        from crossdock.connectors.edi_x12.grammar import code_lists

        lists = code_lists()
        parts = [lists["set_error"][c] for c in self.codes if c is not SetCode.SEGMENTS_IN_ERROR]
        parts += [e.describe() for e in self.errors]
        return "; ".join(parts) or "accepted"


@dataclass(slots=True)
class GroupResult:
    group: Group
    ack: GroupAck
    codes: list[GroupCode]
    sets: list[SetResult]

    @property
    def accepted_count(self) -> int:
        return sum(1 for s in self.sets if s.accepted) if self.ack is not GroupAck.REJECTED else 0


_Places = tuple[dict[str, tuple[int, ...]], tuple[int, ...]]
_PLACES: dict[int, tuple[tuple[Node, ...], _Places]] = {}


def _places(nodes: tuple[Node, ...]) -> _Places:
    """Segment id -> the indexes of the nodes it starts, and the mandatory nodes' indexes.

    Worked out once per grammar level (grammars are read once and kept).
    """
    kept = _PLACES.get(id(nodes))
    if kept is None or kept[0] is not nodes:
        found: dict[str, list[int]] = {}
        for i, n in enumerate(nodes):
            found.setdefault(n.first, []).append(i)
        mandatory = tuple(i for i, n in enumerate(nodes) if n.req == "M")
        kept = (nodes, ({k: tuple(v) for k, v in found.items()}, mandatory))
        _PLACES[id(nodes)] = kept
    return kept[1]


_Check = tuple[int, str, str | None]
"""A segment to check against its definition: its index in the set, its id, its loop."""
_Step = SegmentError | _Check
_Plan = tuple[_Step, ...]


class _Matcher:
    """The grammar walked over a set's segment ids alone.

    It finds what is wrong with the structure and which segments to check element
    by element, in the order the errors are reported.

    Structure depends on nothing but the sequence of ids, so a walk is kept per sequence
    (:func:`_structure`): a partner's sets of one shape are walked once, and each set
    then costs only its element checks.
    """

    def __init__(self, ids: tuple[str, ...], known: frozenset[str]) -> None:
        self.ids = ids
        self.known = known
        self.i = 0
        self.steps: list[_Step] = []

    def error(self, code: SegmentCode, at: int, loop: str | None, sid: str | None = None) -> None:
        seg_id = sid if sid is not None else self.ids[at]
        self.steps.append(SegmentError(seg_id, at + 1, loop, code))

    def level(self, nodes: tuple[Node, ...], loop: str | None) -> None:
        """Match segments to ``nodes`` until one belongs elsewhere (an outer level decides).

        A segment the set's grammar has nowhere is noted where it stands and passed
        over; at the outermost level a known segment with no place left is out of
        sequence, noted and passed over too, so one stray segment is one error.
        """
        counts = [0] * len(nodes)
        pos = 0
        ids = self.ids
        places, mandatory = _places(nodes)
        known = self.known
        while self.i < len(ids):
            sid = ids[self.i]
            if sid not in known:
                code = (
                    SegmentCode.NOT_IN_SET if _SEGMENT_ID.match(sid) else SegmentCode.UNRECOGNIZED
                )
                self.error(code, self.i, loop)
                self.i += 1
                continue
            at = places.get(sid, ())
            k = at[0] if len(at) == 1 and at[0] >= pos else next((j for j in at if j >= pos), None)
            if loop is not None and (k is None or (k == 0 and counts[0] > 0)):
                break  # a new repetition of this loop, or a segment of an outer level
            if k is None:
                self.error(SegmentCode.OUT_OF_SEQUENCE, self.i, None)
                self.i += 1
                continue
            if k != pos and any(pos <= j < k and counts[j] == 0 for j in mandatory):
                self._missing(nodes, counts, pos, k, loop)
            node = nodes[k]
            counts[k] += 1
            if isinstance(node, Loop):
                if counts[k] > node.repeat:
                    self.error(SegmentCode.LOOP_OVER_MAX, self.i, node.id)
                self.level(node.body, node.id)
            else:
                if counts[k] > node.max_use:
                    self.error(SegmentCode.OVER_MAX_USE, self.i, loop)
                self.steps.append((self.i, sid, loop))
                self.i += 1
            pos = k
        if any(j >= pos and counts[j] == 0 for j in mandatory):
            self._missing(nodes, counts, pos, len(nodes), loop)

    def _missing(
        self, nodes: tuple[Node, ...], counts: list[int], start: int, stop: int, loop: str | None
    ) -> None:
        at = min(self.i, len(self.ids) - 1)
        for j in range(start, stop):
            node = nodes[j]
            if node.req == "M" and counts[j] == 0:
                self.error(SegmentCode.MANDATORY_MISSING, at, loop, node.first)
                counts[j] = -1  # report it once


@lru_cache(maxsize=1024)
def _structure(code: str, ids: tuple[str, ...]) -> _Plan:
    """The walk of grammar ``code`` over one sequence of segment ids (kept: see _Matcher)."""
    g = grammar(code)
    m = _Matcher(ids, g.segment_ids())
    m.level(g.body, None)
    return tuple(m.steps)


def _errors(segs: list[Segment], plan: _Plan) -> list[SegmentError]:
    """The plan's structural errors with each planned segment's element errors in place."""
    errors: list[SegmentError] = []
    defs = segments()
    for step in plan:
        if type(step) is tuple:
            at, sid, loop = step
            problems = check_segment(segs[at], defs[sid])
            if problems:
                errors.append(
                    SegmentError(sid, at + 1, loop, SegmentCode.ELEMENT_ERRORS, tuple(problems))
                )
        else:
            assert isinstance(step, SegmentError)
            errors.append(step)
    return errors


def validate_set(tset: TransactionSet) -> SetResult:
    """The set's AK5 judgment, its AK502 codes and its segment errors."""
    codes = list(tset.problems)
    try:
        grammar(tset.code)
    except KeyError:
        codes.insert(0, SetCode.NOT_SUPPORTED if tset.code else SetCode.BAD_IDENTIFIER)
        return SetResult(tset, SetAck.REJECTED, codes)
    if not tset.control or len(tset.control) < 4:
        codes.append(SetCode.BAD_CONTROL_NUMBER)
    segs = tset.segments
    found = _errors(segs, _structure(tset.code, tuple([s[0] for s in segs])))
    if SetCode.TRAILER_MISSING in codes:  # the SE the grammar asks for is already reported
        found = [
            e
            for e in found
            if not (e.segment_id == "SE" and e.code is SegmentCode.MANDATORY_MISSING)
        ]
    errors = sorted(found, key=lambda e: e.position)
    serious = [e for e in errors if e.code not in _NOTED_ONLY]
    if serious and SetCode.SEGMENTS_IN_ERROR not in codes:
        codes.append(SetCode.SEGMENTS_IN_ERROR)
    if codes:
        ack = SetAck.REJECTED
    elif errors:
        ack = SetAck.ACCEPTED_WITH_ERRORS
    else:
        ack = SetAck.ACCEPTED
    return SetResult(tset, ack, codes[:5], errors)


def validate_group(group: Group, supported_versions: tuple[str, ...] = ()) -> GroupResult:
    """Every set of the group judged, and the group's AK9 judgment."""
    codes = list(group.problems)
    if supported_versions and group.version not in supported_versions:
        codes.insert(0, GroupCode.VERSION_NOT_SUPPORTED)
    if not group.control.isdigit():
        codes.append(GroupCode.BAD_CONTROL_NUMBER)
    results = [validate_set(s) for s in group.sets]
    accepted = [r for r in results if r.accepted]
    if codes or not accepted:
        ack = GroupAck.REJECTED
    elif len(accepted) < len(results):
        ack = GroupAck.PARTIAL
    elif any(r.ack is SetAck.ACCEPTED_WITH_ERRORS for r in results):
        ack = GroupAck.ACCEPTED_WITH_ERRORS
    else:
        ack = GroupAck.ACCEPTED
    return GroupResult(group, ack, codes[:5], results)


__all__ = [
    "ElementCode",
    "GroupResult",
    "SegmentError",
    "SetResult",
    "validate_group",
    "validate_set",
]
