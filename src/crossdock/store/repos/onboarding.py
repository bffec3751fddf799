"""Customer onboarding: the state rows, their timeline and the discovery cursor.

Every move of an onboarding is :meth:`SqlOnboarding.transition`: a
compare-and-set on the row's ``version`` plus one timeline entry, in the
caller's transaction, so a step's own writes (the written-back customer
version, say) commit with the move or not at all, and a second pump that
read the same version loses with a :class:`ConflictError` instead of moving
it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from crossdock.errors import ConflictError, NotFound
from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.onboarding_rows import (
    OnboardingRow,
    OnboardingStatus,
    Outcome,
    Step,
    TimelineEntry,
    Transition,
)
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_O, _S, _C = t.customer_onboarding.c, t.customer_onboarding_steps.c, t.customer_onboarding_cursor.c
DISCOVERY = "discovery"


def _row(r: Any) -> OnboardingRow:
    return OnboardingRow(
        id=int(r.id),
        customer_id=r.customer_id,
        source_system=r.source_system,
        step=Step(r.step),
        status=OnboardingStatus(r.status),
        reason=r.reason,
        facts=dict(loads(r.facts)),
        attempts=int(r.attempts),
        version=int(r.version),
        created_at=utc(r.created_at) or rows.now(),
        updated_at=utc(r.updated_at) or rows.now(),
    )


class SqlOnboarding(SqlRepo):
    """The ``customer_onboarding``, ``customer_onboarding_steps`` and cursor tables."""

    # -- discovery ------------------------------------------------------------------------
    def position(self) -> int:
        with self._engine.connect() as conn:
            r = conn.execute(select(_C.position).where(_C.name == DISCOVERY)).first()
        return 0 if r is None else int(r[0])

    def start(self, tx: WriteTx, found: Sequence[tuple[str, str]], position: int) -> list[int]:
        """Start an onboarding per (customer id, source system) not onboarded yet; move the cursor.

        The ids of those started. ``customer_id`` is unique: a customer found twice starts once.
        """
        now = rows.now()
        started: list[int] = []
        for customer_id, system in found:
            res = tx.conn.execute(
                self._dialect.insert_ignore(t.customer_onboarding)
                .values(
                    customer_id=customer_id,
                    source_system=system,
                    step=Step.DUPLICATES.value,
                    status=OnboardingStatus.READY.value,
                    reason=None,
                    facts="{}",
                    attempts=0,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                .returning(_O.id)
            ).all()
            if res:
                started.append(int(res[0][0]))
                self._entry(
                    tx,
                    started[-1],
                    Step.DUPLICATES,
                    Outcome.STARTED,
                    f"new customer from {system}",
                    "onboarding",
                )
        tx.conn.execute(
            self._dialect.insert_ignore(t.customer_onboarding_cursor).values(
                name=DISCOVERY, position=0
            )
        )
        tx.conn.execute(
            update(t.customer_onboarding_cursor)
            .where(_C.name == DISCOVERY, _C.position < position)
            .values(position=position)
        )
        return started

    # -- reading --------------------------------------------------------------------------
    def get(self, onboarding_id: int) -> OnboardingRow | None:
        with self._engine.connect() as conn:
            r = conn.execute(select(t.customer_onboarding).where(_O.id == onboarding_id)).first()
        return None if r is None else _row(r)

    def of_customer(self, customer_id: str) -> OnboardingRow | None:
        with self._engine.connect() as conn:
            r = conn.execute(
                select(t.customer_onboarding).where(_O.customer_id == customer_id)
            ).first()
        return None if r is None else _row(r)

    def listing(
        self, status: OnboardingStatus | None = None, *, after_id: int = 0, limit: int = 100
    ) -> list[OnboardingRow]:
        q = select(t.customer_onboarding).where(_O.id > after_id)
        if status is not None:
            q = q.where(_O.status == status.value)
        with self._engine.connect() as conn:
            return [_row(r) for r in conn.execute(q.order_by(_O.id).limit(limit))]

    def stuck(self, before: datetime) -> int:
        """Onboardings not done that have not moved since ``before`` (waiting or failing)."""
        q = select(func.count()).where(
            _O.status != OnboardingStatus.DONE.value, _O.updated_at < before
        )
        with self._engine.connect() as conn:
            return int(conn.execute(q.select_from(t.customer_onboarding)).scalar_one())

    def timeline(self, onboarding_id: int) -> list[TimelineEntry]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.customer_onboarding_steps)
                .where(_S.onboarding_id == onboarding_id)
                .order_by(_S.id)
            ).all()
        return [
            TimelineEntry(
                int(r.id),
                Step(r.step),
                Outcome(r.outcome),
                r.detail,
                r.actor,
                utc(r.at) or rows.now(),
            )
            for r in found
        ]

    # -- moving ---------------------------------------------------------------------------
    def transition(self, tx: WriteTx, row: OnboardingRow, move: Transition) -> OnboardingRow:
        """Move ``row`` (as read at its version) by ``move``, in ``tx``; stale: ConflictError."""
        now = rows.now()
        facts = {**row.facts, **move.facts}
        res = tx.conn.execute(
            update(t.customer_onboarding)
            .where(_O.id == row.id, _O.version == row.version)
            .values(
                step=move.step.value,
                status=move.status.value,
                reason=move.reason,
                facts=dumps(facts),
                attempts=move.attempts,
                version=row.version + 1,
                updated_at=now,
            )
            .returning(_O.id)
        ).all()
        if not res:
            if tx.conn.execute(select(_O.id).where(_O.id == row.id)).first() is None:
                raise NotFound(f"onboarding {row.id} does not exist")
            raise ConflictError(f"onboarding {row.id} moved on since it was read")
        # the entry names the step that was worked on; the row moves to the next
        self._entry(tx, row.id, row.step, move.outcome, move.detail, move.actor)
        return OnboardingRow(
            row.id,
            row.customer_id,
            row.source_system,
            move.step,
            move.status,
            move.reason,
            facts,
            move.attempts,
            row.version + 1,
            row.created_at,
            now,
        )

    def _entry(
        self, tx: WriteTx, onboarding_id: int, step: Step, outcome: Outcome, detail: str, actor: str
    ) -> None:
        tx.conn.execute(
            t.customer_onboarding_steps.insert().values(
                onboarding_id=onboarding_id,
                step=step.value,
                outcome=outcome.value,
                detail=detail,
                actor=actor[:128],
                at=rows.now(),
            )
        )


__all__ = ["SqlOnboarding"]
