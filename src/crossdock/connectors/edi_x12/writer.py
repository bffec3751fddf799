"""Writing X12: segments with a partner's separators, inside ISA/GS/ST envelopes.

The caller hands in control numbers it has already allocated (and committed,
see :mod:`.control`); the writer only formats. X12 has no escape character,
so a value holding one of the partner's separators cannot be written: that is
an error naming the segment and element, never a silently broken file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crossdock.connectors.edi_x12.errors import X12SyntaxError
from crossdock.connectors.edi_x12.separators import Separators

Fields = Sequence[str]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who an interchange is from and to, and how it is written (a partner's settings)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    application_sender: str
    application_receiver: str
    version: str = "00401"
    group_version: str = "004010"
    usage: str = "P"
    separators: Separators = field(default_factory=Separators)
    line_break: bool = True


@dataclass(frozen=True, slots=True)
class OutSet:
    """One transaction set to write: its code, ST02 and the segments between ST and SE."""

    code: str
    control: str
    body: Sequence[Fields]


@dataclass(frozen=True, slots=True)
class OutGroup:
    functional_id: str
    control: int
    sets: Sequence[OutSet]


class Writer:
    def __init__(self, envelope: Envelope) -> None:
        self.env = envelope
        seps = envelope.separators
        self._forbidden = [seps.element, seps.component, seps.segment.strip() or seps.segment]
        if seps.repetition:
            self._forbidden.append(seps.repetition)
        self._end = seps.segment + (
            "\n" if envelope.line_break and "\n" not in seps.segment else ""
        )

    def segment(self, fields: Fields) -> str:
        """One segment's text; trailing empty elements left out."""
        values = list(fields)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        for i, v in enumerate(values):
            bad = next((c for c in self._forbidden if c in v), None)
            if bad is not None:
                raise X12SyntaxError(
                    f"{values[0]}{i:02d}: value {v!r} holds the separator {bad!r}; "
                    "it cannot be written in X12"
                )
        return self.env.separators.element.join(values) + self._end

    def isa(self, control: int, when: datetime) -> str:
        env, seps = self.env, self.env.separators
        isa11 = seps.repetition if env.version >= "00402" and seps.repetition else "U"
        fields = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            env.sender_qualifier.ljust(2),
            env.sender_id.ljust(15),
            env.receiver_qualifier.ljust(2),
            env.receiver_id.ljust(15),
            when.strftime("%y%m%d"),
            when.strftime("%H%M"),
            isa11,
            env.version,
            f"{control:09d}",
            "0",
            env.usage,
            seps.component,
        ]
        return seps.element.join(fields) + self._end

    def interchange(
        self,
        control: int,
        groups: Sequence[OutGroup],
        when: datetime,
        ta1: Sequence[Fields] = (),
    ) -> str:
        """A whole interchange: ISA, TA1 segments (if any), each group with its sets, IEA."""
        env = self.env
        out = [self.isa(control, when), *(self.segment(t) for t in ta1)]
        for g in groups:
            gs = ["GS", g.functional_id, env.application_sender, env.application_receiver]
            gs += [when.strftime("%Y%m%d"), when.strftime("%H%M"), str(g.control), "X"]
            out.append(self.segment([*gs, env.group_version]))
            for s in g.sets:
                out.append(self.segment(["ST", s.code, s.control]))
                out.extend(self.segment(f) for f in s.body)
                out.append(self.segment(["SE", str(len(s.body) + 2), s.control]))
            out.append(self.segment(["GE", str(len(g.sets)), str(g.control)]))
        out.append(self.segment(["IEA", str(len(groups)), f"{control:09d}"]))
        return "".join(out)


__all__ = ["Envelope", "OutGroup", "OutSet", "Writer"]
