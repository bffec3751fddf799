"""The token bucket and the circuit breaker, alone, on a hand-driven clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.sync.guards import CircuitBreaker, CircuitState, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_its_burst_then_makes_you_wait() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert bucket.reserve(5) == 0
    assert bucket.reserve(1) == pytest.approx(0.1)
    clock.now = 1.0  # 10 tokens refilled, minus the debt of 1, capped at the burst
    assert bucket.reserve(5) == 0


@given(st.lists(st.tuples(st.integers(1, 20), st.floats(0, 2)), min_size=1, max_size=40))
def test_bucket_never_lets_more_through_than_rate_allows(steps: list[tuple[int, float]]) -> None:
    """Doing what it says (waiting), the sender never exceeds burst + rate * elapsed."""
    clock = Clock()
    bucket = TokenBucket(rate=50, burst=10, clock=clock)
    sent = 0
    for n, gap in steps:
        clock.now += gap
        clock.now += bucket.reserve(n)
        sent += n
        assert sent <= 10 + 50 * clock.now + 1e-6


def test_breaker_opens_probes_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, open_seconds=10, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    assert breaker.allow() and breaker.state is CircuitState.CLOSED
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    clock.now = 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow(), "one probe"
    assert not breaker.allow(), "only one"
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN, "a failed probe opens it again"
    clock.now = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failures=2, open_seconds=1, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
