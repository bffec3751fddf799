"""Rows of the EDI tables as the store hands them out (see ``schema/edi.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ControlKind(StrEnum):
    ISA = "isa"
    GS = "gs"
    ST = "st"


class ControlState(StrEnum):
    ALLOCATED = "allocated"
    USED = "used"
    VOID = "void"


class InboundState(StrEnum):
    RECEIVED = "received"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ControlRow:
    partner: str
    kind: ControlKind
    number: int
    state: ControlState
    ref: str
    file: str | None
    allocated_at: datetime


@dataclass(frozen=True, slots=True)
class InboundRow:
    partner: str
    digest: str
    name: str
    state: InboundState
    ack_control: int | None
    summary: dict[str, object]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class SentGroup:
    """A functional group the hub sent, and the partner's 997 for it when one came."""

    partner: str
    gs_control: int
    isa_control: int
    functional_id: str
    sets: dict[str, str]
    """ST02 -> what the set carried (``855 ord_…``)."""
    ref: str
    file: str
    sent_at: datetime
    due_at: datetime
    ack: str | None
    ack_detail: dict[str, object] | None
    acked_at: datetime | None


__all__ = ["ControlKind", "ControlRow", "ControlState", "InboundRow", "InboundState", "SentGroup"]
