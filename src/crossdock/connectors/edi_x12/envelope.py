"""Reading X12: bytes -> interchanges -> functional groups -> transaction sets.

Each interchange is read with its own separators (a file may hold several,
from different translators). Line breaks after terminators, no line breaks at
all, and spaces trailing a segment are all read alike. What is wrong with an
envelope is noted where it belongs, never raised: a set without its SE, a
group without its GE or whose GE disagrees (count, control number), an IEA
that disagrees with its ISA. Validating the sets against their grammar is
:mod:`.validate`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crossdock.connectors.edi_x12.codes import GroupCode, InterchangeNote, SetCode
from crossdock.connectors.edi_x12.errors import X12SyntaxError
from crossdock.connectors.edi_x12.separators import Separators, detect

Segment = list[str]
"""One segment's fields: ``[id, element 1, element 2, ...]``."""


@dataclass(slots=True)
class TransactionSet:
    code: str
    control: str
    segments: list[Segment]
    """ST to SE (to the last segment read when SE is missing)."""
    problems: list[SetCode] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    header: Segment
    trailer: Segment | None = None
    sets: list[TransactionSet] = field(default_factory=list)
    problems: list[GroupCode] = field(default_factory=list)

    @property
    def functional_id(self) -> str:
        return _at(self.header, 1)

    @property
    def control(self) -> str:
        return _at(self.header, 6)

    @property
    def version(self) -> str:
        return _at(self.header, 8)

    @property
    def sender(self) -> str:
        return _at(self.header, 2)

    @property
    def receiver(self) -> str:
        return _at(self.header, 3)


@dataclass(slots=True)
class Interchange:
    header: Segment
    separators: Separators
    trailer: Segment | None = None
    groups: list[Group] = field(default_factory=list)
    problems: list[InterchangeNote] = field(default_factory=list)
    ta1: list[Segment] = field(default_factory=list)
    """Interchange acknowledgments it carries (between ISA and the first GS)."""

    @property
    def control(self) -> str:
        return _at(self.header, 13)

    @property
    def version(self) -> str:
        return _at(self.header, 12)

    @property
    def sender(self) -> tuple[str, str]:
        return _at(self.header, 5), _at(self.header, 6)

    @property
    def receiver(self) -> tuple[str, str]:
        return _at(self.header, 7), _at(self.header, 8)


def _at(seg: Segment, i: int) -> str:
    return seg[i].strip() if i < len(seg) else ""


def decode(data: bytes) -> str:
    """X12 text: UTF-8 when it is, else Latin-1 (which reads any byte; checks flag the odd ones)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tokenize(chunk: str, seps: Separators) -> list[Segment]:
    """One interchange's text split into segments and elements."""
    element = seps.element
    out: list[Segment] = []
    for raw in chunk.split(seps.segment):
        text = raw.strip()
        if text:
            out.append(text.split(element))
    return out


def _chunks(text: str) -> list[tuple[str, Separators]]:
    """Each interchange's text with its separators."""
    out: list[tuple[str, Separators]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n\x00\x1a":
            pos += 1
        if pos >= n:
            return out
        seps = detect(text, pos)
        trailer = re.compile(re.escape(seps.segment) + r"\s*IEA" + re.escape(seps.element))
        found = trailer.search(text, pos)
        if found is None:
            end = n
        else:
            stop = text.find(seps.segment, found.end())
            end = n if stop < 0 else stop + len(seps.segment)
        out.append((text[pos:end], seps))
        pos = end


def read(data: bytes | str) -> list[Interchange]:
    """Every interchange in ``data``; X12SyntaxError when it is not X12 at all."""
    text = decode(data) if isinstance(data, bytes) else data
    interchanges = [_interchange(tokenize(chunk, seps), seps) for chunk, seps in _chunks(text)]
    if not interchanges:
        raise X12SyntaxError("the file is empty")
    return interchanges


def _interchange(segs: list[Segment], seps: Separators) -> Interchange:
    ic = Interchange(segs[0], seps)
    group: Group | None = None
    tset: TransactionSet | None = None
    for seg in segs[1:]:
        sid = seg[0]
        if tset is not None and sid in ("ST", "GE", "GS", "IEA"):
            tset.problems.append(SetCode.TRAILER_MISSING)  # the next envelope came first
            tset = None
        if sid == "GS":
            if group is not None:
                group.problems.append(GroupCode.TRAILER_MISSING)
            group = Group(seg)
            ic.groups.append(group)
        elif sid == "ST":
            if group is None:
                ic.problems.append(InterchangeNote.INVALID_CONTENT)
                continue
            tset = TransactionSet(_at(seg, 1), _at(seg, 2), [seg])
            group.sets.append(tset)
        elif sid == "SE" and tset is not None:
            tset.segments.append(seg)
            _close_set(tset, seg)
            tset = None
        elif sid == "GE" and group is not None:
            group.trailer = seg
            _close_group(group, seg)
            group = None
        elif sid == "IEA":
            ic.trailer = seg
            if group is not None:
                group.problems.append(GroupCode.TRAILER_MISSING)
                group = None
            _close_interchange(ic, seg)
            break
        elif tset is not None:
            tset.segments.append(seg)
        elif sid == "TA1" and group is None:
            ic.ta1.append(seg)
        else:
            ic.problems.append(InterchangeNote.INVALID_CONTENT)
    if tset is not None:
        tset.problems.append(SetCode.TRAILER_MISSING)
    if group is not None and GroupCode.TRAILER_MISSING not in group.problems:
        group.problems.append(GroupCode.TRAILER_MISSING)
    if ic.trailer is None:
        ic.problems.append(InterchangeNote.PREMATURE_END)
    return ic


def _same_number(text: str, expected: str | int) -> bool:
    """Whether a count or control number says ``expected`` (leading zeros allowed)."""
    if not text.isdigit():
        return False
    if isinstance(expected, int):
        return int(text) == expected
    return expected.isdigit() and int(text) == int(expected)


def _close_set(tset: TransactionSet, se: Segment) -> None:
    if _at(se, 2) != tset.control:  # ST02/SE02 are strings: no leading-zero leniency
        tset.problems.append(SetCode.CONTROL_MISMATCH)
    if not _same_number(_at(se, 1), len(tset.segments)):
        tset.problems.append(SetCode.COUNT_MISMATCH)


def _close_group(group: Group, ge: Segment) -> None:
    if not _same_number(_at(ge, 2), group.control):
        group.problems.append(GroupCode.CONTROL_MISMATCH)
    if not _same_number(_at(ge, 1), len(group.sets)):
        group.problems.append(GroupCode.COUNT_MISMATCH)
    seen: set[str] = set()
    for s in group.sets:
        if s.control in seen:
            s.problems.append(SetCode.CONTROL_NOT_UNIQUE)
        seen.add(s.control)


def _close_interchange(ic: Interchange, iea: Segment) -> None:
    if not _same_number(_at(iea, 2), ic.control):
        ic.problems.append(InterchangeNote.CONTROL_MISMATCH)
    if not _same_number(_at(iea, 1), len(ic.groups)):
        ic.problems.append(InterchangeNote.GROUP_COUNT)


__all__ = [
    "Group",
    "Interchange",
    "Segment",
    "TransactionSet",
    "decode",
    "read",
    "tokenize",
]
