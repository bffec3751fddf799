"""The clock: what leases, route workers and destination guards read the time from.

Code that decides by time passing (a lease running out, a batch's wait, a
circuit's open period, a backoff) takes a :class:`Clock` rather than calling
``time`` or ``datetime.now`` itself, so a test can let time pass at once with
a :class:`ManualClock` instead of sleeping on the real one. The hub runs on
:data:`SYSTEM_CLOCK`.

Wall time (:meth:`Clock.now`, :meth:`Clock.time`) is what other processes
compare with (lease expiry, shared guard rows); :meth:`Clock.monotonic` is for
intervals inside one process.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The wall time, timezone-aware UTC."""
        ...

    def time(self) -> float:
        """The wall time in seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds that only go forward: for intervals within one process."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
"""The clock everything runs on unless given another."""


class ManualClock:
    """A clock that moves only when told to (:meth:`advance`); for tests.

    It starts at ``start`` (the real time by default, so it agrees with
    timestamps the store writes). :meth:`sleep` advances it at once: code that
    waits on it lets the time pass without taking any.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start if start is not None else datetime.now(UTC)
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock does not go back ({seconds}s)")
        with self._lock:
            self._elapsed += seconds

    @property
    def elapsed(self) -> float:
        """Seconds advanced since the start."""
        with self._lock:
            return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.elapsed)

    def time(self) -> float:
        return self._start.timestamp() + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))


__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock"]
