"""Inbound throttling: a token bucket per key and per system, shared by every API process.

The buckets live in the store (:func:`crossdock.store.guard_state.take_up_to`),
one row each, like the destinations' rate limits. A write per request would
cost more than many requests do, so each process draws tokens in small
chunks (a tenth of the burst) and spends them locally; what it holds unspent
is the only slack, so over any window the API processes together admit at
most ``rate x window + burst`` plus one chunk per process. A request over
the limit is refused (429, ``Retry-After``) and takes nothing.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from crossdock.config.hub import RateLimit, ThrottleConfig
from crossdock.store import Store, guard_state

_MAX_BUCKET = 64


def bucket_name(kind: str, name: str) -> str:
    """The store row of a bucket: ``in:key:<prefix>`` or ``in:sys:<system>`` (hashed if long)."""
    full = f"in:{kind}:{name}"
    if len(full) <= _MAX_BUCKET:
        return full
    return f"in:{kind}#" + hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(slots=True)
class _Held:
    tokens: int = 0
    refused_until: float = 0.0
    """After a refusal, answer locally until a token can exist again (no store write)."""


class InboundThrottle:
    def __init__(
        self, store: Store, config: ThrottleConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def _take_local(self, bucket: str, now: float) -> float | None:
        """0 when a held token was spent, the wait when refused lately, None to ask the store."""
        with self._lock:
            held = self._held.setdefault(bucket, _Held())
            if held.tokens > 0:
                held.tokens -= 1
                return 0.0
            if now < held.refused_until:
                return held.refused_until - now
        return None

    def _refill(self, bucket: str, limit: RateLimit, now: float) -> float:
        """Draw a chunk from the store, spend one of it; the wait when none was granted."""
        chunk = max(1, limit.burst // 10)
        granted, wait = guard_state.take_up_to(
            self.store, bucket, chunk, limit.per_second, limit.burst, now
        )
        with self._lock:
            held = self._held.setdefault(bucket, _Held())
            if granted:
                held.tokens += granted - 1
                return 0.0
            held.refused_until = now + wait
        return wait

    async def admit(self, prefix: str, system: str | None) -> float:
        """0 to admit a request of key ``prefix`` (and ``system``); else the seconds to wait."""
        if not self.config.enabled:
            return 0.0
        buckets = [(bucket_name("key", prefix), self.config.for_key(prefix))]
        if system is not None:
            buckets.append((bucket_name("sys", system), self.config.for_system(system)))
        for bucket, limit in buckets:
            now = self.clock()
            wait = self._take_local(bucket, now)
            if wait is None:
                wait = await self._refill_off_loop(bucket, limit, now)
            if wait > 0:
                return wait
        return 0.0

    async def _refill_off_loop(self, bucket: str, limit: RateLimit, now: float) -> float:
        # A write transaction, once per chunk: never on the event loop, where a store
        # busy with another process's write would stall every request.
        return await run_in_threadpool(self._refill, bucket, limit, now)


__all__ = ["InboundThrottle", "bucket_name"]
