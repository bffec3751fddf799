"""What stands between a route worker and its destination: a rate limit, a circuit, a pause.

All three are per destination. The hub's are :class:`SharedTokenBucket` and
:class:`SharedCircuitBreaker`, whose state is a row in the store, so every
worker process pushing to one destination shares one rate limit and one
circuit. :class:`TokenBucket` and :class:`CircuitBreaker` are the same rules
in memory, for one process and for tests; the clock is injectable (the hub
gives its :class:`crossdock.clock.Clock`), so each is tested alone.

* :class:`TokenBucket`: ``rate`` tokens a second, at most ``burst`` banked;
  one token per delivery. ``reserve(n)`` answers how long to wait first.
* :class:`CircuitBreaker`: opens after ``failures`` consecutive transient
  failures of whole pushes, refuses pushes for ``open_seconds``, then lets
  one probe through (half-open): its success closes the circuit, its failure
  opens it again.
* :class:`Pause` (and :class:`SharedPause`): back-pressure. A destination that
  answers 429 asks every sender to slow down; ``hold(seconds)`` pauses all
  pushes to it (extending, never shortening, a pause already set) and
  ``remaining()`` says how long is left. It is not a failure: the circuit does
  not count it and no record's retry budget is spent on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from crossdock.config.hub import CircuitPolicy, RateLimit
from crossdock.store import guard_state
from crossdock.store.facade import Store

Ticks = Callable[[], float]
"""Where a guard reads seconds from: a :class:`crossdock.clock.Clock`'s ``time`` (shared
guards: rows other processes read too) or ``monotonic`` (in-memory guards)."""


class RateLimiter(Protocol):
    def reserve(self, n: int) -> float:
        """Take ``n`` tokens; the seconds to wait before using them (0 when banked)."""
        ...


class Breaker(Protocol):
    @property
    def state(self) -> CircuitState: ...

    def allow(self) -> bool:
        """Whether a push may go now (in half-open, only the one probe)."""
        ...

    def record_success(self) -> None: ...

    def record_failure(self) -> None: ...


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Ticks = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def reserve(self, n: int) -> float:
        """Take ``n`` tokens; the seconds to wait before using them (0 when banked)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= n  # may go negative: the debt is the wait
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class Backpressure(Protocol):
    def hold(self, seconds: float) -> float:
        """Pause pushes for ``seconds`` from now (or longer, if already paused); seconds left."""
        ...

    def remaining(self) -> float:
        """Seconds left of the pause; 0 when pushes may go."""
        ...


class Pause:
    """A destination's back-pressure pause in one process."""

    def __init__(self, clock: Ticks = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> float:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)
            return self._until - self._clock()

    def remaining(self) -> float:
        return max(0.0, self._until - self._clock())


class SharedPause:
    """The pause kept in the store: a 429 seen by one worker slows every worker."""

    def __init__(self, store: Store, system: str, clock: Ticks = time.time) -> None:
        self.store = store
        self.system = system
        self._clock = clock

    def hold(self, seconds: float) -> float:
        now = self._clock()
        return guard_state.pause(self.store, self.system, now + seconds) - now

    def remaining(self) -> float:
        return guard_state.paused_for(self.store, self.system, self._clock())


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failures: int, open_seconds: float, clock: Ticks = time.monotonic) -> None:
        self.failures = failures
        self.open_seconds = open_seconds
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current()

    def _current(self) -> CircuitState:
        if (
            self._state is CircuitState.OPEN
            and self._clock() - self._opened_at >= self.open_seconds
        ):
            self._state = CircuitState.HALF_OPEN
            self._probing = False
        return self._state

    def allow(self) -> bool:
        """Whether a push may go now (in half-open, only the one probe)."""
        with self._lock:
            state = self._current()
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._state = CircuitState.CLOSED
            self._consecutive = 0
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._consecutive += 1
            if self._current() is CircuitState.HALF_OPEN or self._consecutive >= self.failures:
                self._state = CircuitState.OPEN
                self._opened_at = self._clock()
                self._probing = False


class SharedTokenBucket:
    """A token bucket whose tokens live in the store: one rate for all worker processes."""

    def __init__(
        self, store: Store, system: str, rate: float, burst: int, clock: Ticks = time.time
    ) -> None:
        self.store = store
        self.system = system
        self.rate = rate
        self.burst = burst
        self._clock = clock

    def reserve(self, n: int) -> float:
        return guard_state.take_tokens(
            self.store, self.system, n, self.rate, self.burst, self._clock()
        )


class SharedCircuitBreaker:
    """A circuit breaker whose state lives in the store: opened by one worker, open for all.

    In half-open, one probe goes at a time across all processes; a probe's
    claim lapses after ``open_seconds`` so that a worker dying mid-probe does
    not keep the circuit shut.
    """

    def __init__(
        self,
        store: Store,
        system: str,
        failures: int,
        open_seconds: float,
        clock: Ticks = time.time,
    ) -> None:
        self.store = store
        self.system = system
        self.failures = failures
        self.open_seconds = open_seconds
        self._clock = clock
        self._clean = False

    @property
    def state(self) -> CircuitState:
        return CircuitState(
            guard_state.circuit_state(self.store, self.system, self.open_seconds, self._clock())
        )

    def allow(self) -> bool:
        row = guard_state.read(self.store, self.system)
        if row.circuit == guard_state.CLOSED:
            # Closed with no failures counted: a success after this push has nothing to reset.
            self._clean = row.consecutive_failures == 0
            return True
        self._clean = False
        return guard_state.circuit_allow(
            self.store, self.system, self.open_seconds, self.open_seconds, self._clock()
        )

    def record_success(self) -> None:
        if not self._clean:
            guard_state.circuit_success(self.store, self.system)

    def record_failure(self) -> None:
        guard_state.circuit_failure(
            self.store, self.system, self.failures, self.open_seconds, self._clock()
        )


@dataclass
class DestinationGuard:
    """A destination's rate limit (if any), circuit breaker and back-pressure pause."""

    breaker: Breaker
    bucket: RateLimiter | None = None
    name: str = field(default="")
    pause: Backpressure = field(default_factory=Pause)

    @classmethod
    def for_policy(
        cls,
        name: str,
        circuit: CircuitPolicy,
        rate: RateLimit | None,
        clock: Ticks = time.monotonic,
    ) -> DestinationGuard:
        """In-memory guards: one process's view (tests, a single worker)."""
        bucket = TokenBucket(rate.per_second, rate.burst, clock) if rate else None
        breaker = CircuitBreaker(circuit.failures, circuit.open_seconds, clock)
        return cls(breaker, bucket, name, Pause(clock))

    @classmethod
    def shared(
        cls,
        store: Store,
        name: str,
        circuit: CircuitPolicy,
        rate: RateLimit | None,
        clock: Ticks = time.time,
    ) -> DestinationGuard:
        """Guards kept in the store, shared by every worker process of this store."""
        bucket = (
            SharedTokenBucket(store, name, rate.per_second, rate.burst, clock) if rate else None
        )
        breaker = SharedCircuitBreaker(store, name, circuit.failures, circuit.open_seconds, clock)
        return cls(breaker, bucket, name, SharedPause(store, name, clock))


__all__ = [
    "Backpressure",
    "Breaker",
    "CircuitBreaker",
    "CircuitState",
    "DestinationGuard",
    "Pause",
    "RateLimiter",
    "SharedCircuitBreaker",
    "SharedPause",
    "SharedTokenBucket",
    "TokenBucket",
]
