"""The shared state of a destination's guards: one row per destination system.

Every worker process that pushes to a destination reads and changes the same
row, so the rate limit holds for all of them together and a circuit opened by
one worker is open for all. A change is one short write transaction on the
locked row (``FOR UPDATE`` on PostgreSQL, the database write lock on SQLite);
the common cases (circuit closed, nothing to reset) are plain reads. Times are
wall-clock epoch seconds, since a monotonic clock means nothing to another
process.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.facade import Store
from crossdock.store.write import WriteTx

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class GuardRow:
    tokens: float
    tokens_at: float
    circuit: str
    consecutive_failures: int
    opened_at: float
    probe_until: float
    paused_until: float = 0.0

    def circuit_at(self, now: float, open_seconds: float) -> str:
        """The circuit's state at ``now``: an open circuit turns half-open when its time is up."""
        if self.circuit == OPEN and now - self.opened_at >= open_seconds:
            return HALF_OPEN
        return self.circuit


_c = t.destination_guards.c
_COLUMNS = (
    _c.tokens,
    _c.tokens_at,
    _c.circuit,
    _c.consecutive_failures,
    _c.opened_at,
    _c.probe_until,
    _c.paused_until,
)
_FRESH = GuardRow(0.0, 0.0, CLOSED, 0, 0.0, 0.0, 0.0)
"""A destination nobody has pushed to: circuit closed, bucket full (``tokens_at`` 0)."""


def read(store: Store, system: str) -> GuardRow:
    with store.engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(_c.system == system)).first()
    return _FRESH if row is None else GuardRow(*row)


def _locked(tx: WriteTx, system: str) -> GuardRow:
    """The row, created if missing, locked until the transaction ends."""
    q = tx.dialect.lock_select(select(*_COLUMNS).where(_c.system == system))
    row = tx.conn.execute(q).first()
    if row is not None:
        return GuardRow(*row)
    values = {
        "system": system,
        "tokens": _FRESH.tokens,
        "tokens_at": _FRESH.tokens_at,
        "circuit": _FRESH.circuit,
        "consecutive_failures": 0,
        "opened_at": 0.0,
        "probe_until": 0.0,
        "paused_until": 0.0,
    }
    # Two workers may both find no row; the second insert does nothing and it locks the first's.
    tx.conn.execute(tx.dialect.insert_ignore(t.destination_guards).values(**values))
    return GuardRow(*tx.conn.execute(q).one())


def _save(tx: WriteTx, system: str, **values: object) -> None:
    tx.conn.execute(update(t.destination_guards).where(_c.system == system).values(**values))


def take_tokens(store: Store, system: str, n: int, rate: float, burst: int, now: float) -> float:
    """Take ``n`` tokens from the shared bucket; the seconds to wait before using them.

    The bucket may go into debt: the debt is the wait, so callers that take
    tokens one after another are spaced out in the order they asked.
    """
    with store.write() as tx:
        row = _locked(tx, system)
        if row.tokens_at <= 0:
            tokens = float(burst)
        else:
            tokens = min(float(burst), row.tokens + max(0.0, now - row.tokens_at) * rate)
        tokens -= n
        _save(tx, system, tokens=tokens, tokens_at=now)
    return 0.0 if tokens >= 0 else -tokens / rate


def circuit_allow(
    store: Store, system: str, open_seconds: float, probe_seconds: float, now: float
) -> bool:
    """Whether a push may go now: always when closed; in half-open, one probe at a time.

    A probe's claim lasts ``probe_seconds``: a worker that died while probing
    does not keep the circuit shut forever.
    """
    if read(store, system).circuit == CLOSED:
        return True
    with store.write() as tx:
        row = _locked(tx, system)
        state = row.circuit_at(now, open_seconds)
        if state == CLOSED:
            return True
        if state == OPEN or row.probe_until > now:
            return False
        _save(tx, system, circuit=HALF_OPEN, probe_until=now + probe_seconds)
        return True


def circuit_success(store: Store, system: str) -> None:
    """A push went through: the circuit closes and the failure count starts again."""
    row = read(store, system)
    if row.circuit == CLOSED and row.consecutive_failures == 0:
        return
    with store.write() as tx:
        _locked(tx, system)
        _save(tx, system, circuit=CLOSED, consecutive_failures=0, probe_until=0.0)


def circuit_failure(
    store: Store, system: str, failures: int, open_seconds: float, now: float
) -> str:
    """A push failed transiently; the circuit's state afterwards.

    It opens after ``failures`` consecutive failures, and at once when the
    failed push was the half-open probe.
    """
    with store.write() as tx:
        row = _locked(tx, system)
        count = row.consecutive_failures + 1
        state = row.circuit_at(now, open_seconds)
        if state != CLOSED or count >= failures:
            _save(
                tx,
                system,
                circuit=OPEN,
                consecutive_failures=count,
                opened_at=now,
                probe_until=0.0,
            )
            return OPEN
        _save(tx, system, consecutive_failures=count)
        return CLOSED


def pause(store: Store, system: str, until: float) -> float:
    """Hold every worker's pushes to ``system`` until ``until`` (epoch seconds); the new end.

    Back-pressure from the destination (a 429 and its Retry-After): a pause only
    ever extends, so two workers told different waits keep the longer one.
    """
    with store.write() as tx:
        row = _locked(tx, system)
        if until <= row.paused_until:
            return row.paused_until
        _save(tx, system, paused_until=until)
    return until


def paused_for(store: Store, system: str, now: float) -> float:
    """Seconds left of the destination's pause (0 when it is not paused)."""
    return max(0.0, read(store, system).paused_until - now)


def circuit_state(store: Store, system: str, open_seconds: float, now: float) -> str:
    return read(store, system).circuit_at(now, open_seconds)


__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "OPEN",
    "GuardRow",
    "circuit_allow",
    "circuit_failure",
    "circuit_state",
    "circuit_success",
    "pause",
    "paused_for",
    "read",
    "take_tokens",
]
