"""The clock leases, workers and guards read: the real one, and one a test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crossdock.clock import SYSTEM_CLOCK, Clock, ManualClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_both_clocks_are_clocks() -> None:
    assert isinstance(SYSTEM_CLOCK, Clock)
    assert isinstance(ManualClock(), Clock)


def test_the_system_clock_tells_the_real_time() -> None:
    before = datetime.now(UTC)
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None and before <= now <= datetime.now(UTC)
    assert abs(SYSTEM_CLOCK.time() - now.timestamp()) < 5


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == T0 and clock.time() == T0.timestamp() and clock.monotonic() == 0
    clock.advance(2.5)
    assert clock.now() == T0 + timedelta(seconds=2.5)
    assert clock.time() == T0.timestamp() + 2.5
    assert clock.monotonic() == 2.5


def test_sleeping_on_a_manual_clock_lets_the_time_pass_at_once() -> None:
    clock = ManualClock(T0)
    clock.sleep(30)
    assert clock.now() == T0 + timedelta(seconds=30)
    clock.sleep(-1)  # a negative wait is no wait
    assert clock.elapsed == 30


def test_a_manual_clock_never_goes_back() -> None:
    clock = ManualClock(T0)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)


def test_a_manual_clock_starts_at_the_real_time_by_default() -> None:
    before = datetime.now(UTC)
    assert before <= ManualClock().now() <= datetime.now(UTC)
