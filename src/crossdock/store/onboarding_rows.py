"""Customer onboarding as the store keeps it: one state row per onboarding and its timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """The workflow's steps, in order; ``done`` is where a finished onboarding rests."""

    DUPLICATES = "duplicates"
    CREDIT = "credit"
    TAX = "tax"
    TERRITORY = "territory"
    ERP = "erp"
    WRITEBACK = "writeback"
    DONE = "done"

    @property
    def next(self) -> Step:
        order = list(Step)
        return order[min(order.index(self) + 1, len(order) - 1)]


class OnboardingStatus(StrEnum):
    """``ready``: the pump works on it; ``waiting``: a person must act (``reason`` says what)."""

    READY = "ready"
    WAITING = "waiting"
    DONE = "done"


class Outcome(StrEnum):
    PASSED = "passed"
    WAITING = "waiting"
    FAILED = "failed"
    APPROVED = "approved"
    RETRIED = "retried"
    STARTED = "started"


@dataclass(frozen=True, slots=True)
class OnboardingRow:
    id: int
    customer_id: str
    source_system: str
    step: Step
    status: OnboardingStatus
    reason: str | None
    facts: dict[str, Any]
    """What the steps found: approved credit, territory, rep, account number, party id."""
    attempts: int
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Transition:
    """One step's result, written with a timeline entry in one transaction."""

    step: Step
    status: OnboardingStatus
    outcome: Outcome
    detail: str
    reason: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """Merged into the row's facts."""
    attempts: int = 0
    actor: str = "onboarding"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    seq: int
    step: Step
    outcome: Outcome
    detail: str
    actor: str
    at: datetime


__all__ = ["OnboardingRow", "OnboardingStatus", "Outcome", "Step", "TimelineEntry", "Transition"]
