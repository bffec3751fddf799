"""Separators: read from an interchange's fixed-layout ISA header, or set for a partner.

The element separator is the character right after ``ISA``; ISA16 (the
component separator) follows the sixteenth element separator and the segment
terminator follows it (counting separators instead of fixed columns also reads
an ISA whose fields were not padded). ISA11 is the repetition separator only
from version 00402 on; in 00401 it is the standards identifier ``U``.
A terminator that is itself CR or LF is taken as the line break it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.connectors.edi_x12.errors import X12SyntaxError

ISA_LENGTH = 106
_REPETITION_FROM = "00402"


@dataclass(frozen=True, slots=True)
class Separators:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None

    def check(self) -> None:
        """Each separator one distinct non-alphanumeric character (the terminator may be CRLF)."""
        chars = [self.element, self.component, self.segment.rstrip("\n") or self.segment]
        if self.repetition is not None:
            chars.append(self.repetition)
        for c in chars:
            if len(c) != 1 or c.isalnum() or c == " ":
                raise X12SyntaxError(f"separator {c!r} must be one non-alphanumeric character")
        if len(set(chars)) != len(chars):
            raise X12SyntaxError(f"separators {chars!r} must all differ")


def detect(text: str, start: int = 0) -> Separators:
    """The separators of the interchange whose ISA starts at ``start``."""
    if text[start : start + 3] != "ISA" or len(text) < start + 4:
        raise X12SyntaxError("not an X12 interchange: it does not start with ISA")
    element = text[start + 3]
    p = start + 3
    for _ in range(15):
        p = text.find(element, p + 1)
        if p < 0:
            raise X12SyntaxError("the ISA header has fewer than 16 elements")
    if p + 2 >= len(text):
        raise X12SyntaxError("the ISA header ends before its segment terminator")
    component, segment = text[p + 1], text[p + 2]
    if segment == "\r" and text[p + 3 : p + 4] == "\n":
        segment = "\r\n"
    fields = text[start:p].split(element)
    version = fields[12].strip() if len(fields) > 12 else ""
    isa11 = fields[11] if len(fields) > 11 else ""
    repetition = isa11 if version >= _REPETITION_FROM and len(isa11) == 1 else None
    seps = Separators(element, component, segment, repetition)
    seps.check()
    return seps


__all__ = ["ISA_LENGTH", "Separators", "detect"]
