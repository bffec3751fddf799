"""The in-memory twin of the customer onboarding tables (state rows, timeline, cursor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crossdock.errors import ConflictError, NotFound
from crossdock.store.onboarding_rows import (
    OnboardingRow,
    OnboardingStatus,
    Outcome,
    Step,
    TimelineEntry,
    Transition,
)


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryOnboarding:
    """Answers what :class:`~crossdock.store.repos.onboarding.SqlOnboarding` answers.

    The ``tx`` arguments are taken for the shape and ignored: the twin's writes apply at once.
    """

    def __init__(self) -> None:
        self._rows: dict[int, OnboardingRow] = {}
        self._by_customer: dict[str, int] = {}
        self._steps: list[tuple[int, TimelineEntry]] = []
        self._position = 0

    def position(self) -> int:
        return self._position

    def start(self, tx: Any, found: Sequence[tuple[str, str]], position: int) -> list[int]:
        started: list[int] = []
        for customer_id, system in found:
            if customer_id in self._by_customer:
                continue
            oid = len(self._rows) + 1
            now = _now()
            self._rows[oid] = OnboardingRow(
                oid, customer_id, system, Step.DUPLICATES, OnboardingStatus.READY,
                None, {}, 0, 1, now, now,
            )  # fmt: skip
            self._by_customer[customer_id] = oid
            self._entry(
                oid, Step.DUPLICATES, Outcome.STARTED, f"new customer from {system}", "onboarding"
            )
            started.append(oid)
        self._position = max(self._position, position)
        return started

    def get(self, onboarding_id: int) -> OnboardingRow | None:
        return self._rows.get(onboarding_id)

    def of_customer(self, customer_id: str) -> OnboardingRow | None:
        oid = self._by_customer.get(customer_id)
        return None if oid is None else self._rows[oid]

    def listing(
        self, status: OnboardingStatus | None = None, *, after_id: int = 0, limit: int = 100
    ) -> list[OnboardingRow]:
        return [
            r
            for oid, r in sorted(self._rows.items())
            if oid > after_id and (status is None or r.status is status)
        ][:limit]

    def stuck(self, before: datetime) -> int:
        return sum(
            1 for r in self._rows.values()
            if r.status is not OnboardingStatus.DONE and r.updated_at < before
        )  # fmt: skip

    def timeline(self, onboarding_id: int) -> list[TimelineEntry]:
        return [e for oid, e in self._steps if oid == onboarding_id]

    def transition(self, tx: Any, row: OnboardingRow, move: Transition) -> OnboardingRow:
        current = self._rows.get(row.id)
        if current is None:
            raise NotFound(f"onboarding {row.id} does not exist")
        if current.version != row.version:
            raise ConflictError(f"onboarding {row.id} moved on since it was read")
        moved = replace(
            current,
            step=move.step,
            status=move.status,
            reason=move.reason,
            facts={**current.facts, **move.facts},
            attempts=move.attempts,
            version=current.version + 1,
            updated_at=_now(),
        )
        self._rows[row.id] = moved
        self._entry(row.id, row.step, move.outcome, move.detail, move.actor)
        return moved

    def _entry(self, oid: int, step: Step, outcome: Outcome, detail: str, actor: str) -> None:
        self._steps.append(
            (oid, TimelineEntry(len(self._steps) + 1, step, outcome, detail, actor, _now()))
        )


__all__ = ["MemoryOnboarding"]
