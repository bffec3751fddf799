"""The onboarding repository's contract, on SQLite, PostgreSQL and the in-memory twin."""

from __future__ import annotations

from typing import Any

import pytest

from crossdock.errors import ConflictError
from crossdock.store.onboarding_rows import OnboardingStatus, Outcome, Step, Transition

pytestmark = pytest.mark.integration


@pytest.fixture
def store(any_store: Any) -> Any:
    return any_store


def test_start_is_once_per_customer_and_moves_the_cursor(store: Any) -> None:
    ob = store.onboarding
    assert ob.position() == 0
    with store.write() as tx:
        assert ob.start(tx, [("cus_a", "crm"), ("cus_b", "portal"), ("cus_a", "crm")], 7) == [1, 2]
    with store.write() as tx:
        assert ob.start(tx, [("cus_a", "crm")], 5) == []  # known; the cursor never goes back
    assert ob.position() == 7
    a = ob.of_customer("cus_a")
    assert (a.id, a.step, a.status, a.version, a.facts) == (
        1, Step.DUPLICATES, OnboardingStatus.READY, 1, {}
    )  # fmt: skip
    assert ob.get(2).source_system == "portal"
    assert ob.get(3) is None and ob.of_customer("cus_z") is None
    assert [r.id for r in ob.listing(OnboardingStatus.READY)] == [1, 2]
    assert [r.id for r in ob.listing(after_id=1)] == [2]


def test_a_transition_is_a_compare_and_set_with_a_timeline_entry(store: Any) -> None:
    ob = store.onboarding
    with store.write() as tx:
        ob.start(tx, [("cus_a", "crm")], 1)
    row = ob.get(1)
    move = Transition(Step.CREDIT, OnboardingStatus.READY, Outcome.PASSED, "ok", facts={"x": "1"})
    with store.write() as tx:
        moved = ob.transition(tx, row, move)
    assert (moved.step, moved.version, moved.facts) == (Step.CREDIT, 2, {"x": "1"})
    with pytest.raises(ConflictError), store.write() as tx:
        ob.transition(tx, row, move)  # read at version 1: stale
    wait = Transition(
        Step.CREDIT, OnboardingStatus.WAITING, Outcome.WAITING, "why", reason="why",
        facts={"y": "2"}, attempts=3, actor="ann",
    )  # fmt: skip
    with store.write() as tx:
        ob.transition(tx, moved, wait)
    now = ob.get(1)
    assert (now.status, now.reason, now.attempts, now.facts) == (
        OnboardingStatus.WAITING, "why", 3, {"x": "1", "y": "2"}
    )  # fmt: skip
    assert [(e.step, e.outcome, e.actor) for e in ob.timeline(1)] == [
        (Step.DUPLICATES, Outcome.STARTED, "onboarding"),
        (Step.DUPLICATES, Outcome.PASSED, "onboarding"),
        (Step.CREDIT, Outcome.WAITING, "ann"),
    ]
    assert ob.timeline(2) == []
