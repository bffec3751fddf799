"""Leases: which worker works one partition of a route, and for how long.

A worker acquires a lease (route, partition) for ``ttl`` seconds; the lease
row's ``token`` grows each time it changes hands (a fencing token). Every
transaction that moves the partition's cursor first calls :func:`hold`,
which checks that the lease is still this worker's with this token and
extends it; a worker whose lease expired and was taken over finds out there,
its transaction rolls back, and its cursor move never happens. On PostgreSQL
acquisition skips rows another worker has locked (``FOR UPDATE SKIP LOCKED``).
Expiry is read from the ``clock`` given (the real one by default), so a test can
let a lease run out without waiting for it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from crossdock.clock import SYSTEM_CLOCK, Clock
from crossdock.errors import ConflictError, ErrorCode
from crossdock.store import schema as t
from crossdock.store.facade import Store
from crossdock.store.write import WriteTx, utc


class LeaseLost(ConflictError):
    """The lease was taken over by another worker: stop working the partition."""

    code = ErrorCode.CONFLICT


def acquire(
    store: Store,
    route: str,
    partition: int,
    owner: str,
    ttl: float,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> int | None:
    """The fencing token if ``owner`` now holds the lease, else ``None`` (someone else does)."""
    c = t.leases.c
    now = clock.now()
    expires = now + timedelta(seconds=ttl)
    with store.write() as tx:
        q = select(c.owner, c.token, c.expires_at).where(c.route == route, c.partition == partition)
        row = tx.conn.execute(tx.dialect.lock_select(q, skip_locked=True)).first()
        if row is None:
            if not tx.dialect.serial_writers:
                if _locked_elsewhere(tx, route, partition):
                    return None
                # Two workers may both find no row: the first insert wins, the other backs off.
                res = tx.conn.execute(
                    tx.dialect.insert_ignore(t.leases)
                    .values(
                        route=route, partition=partition, owner=owner, token=1, expires_at=expires
                    )
                    .returning(t.leases.c.token)
                )
                return 1 if res.first() is not None else None
            tx.conn.execute(
                t.leases.insert().values(
                    route=route, partition=partition, owner=owner, token=1, expires_at=expires
                )
            )
            return 1
        held_until = utc(row.expires_at)
        if row.owner != owner and held_until is not None and held_until > now:
            return None
        token = int(row.token) if row.owner == owner else int(row.token) + 1
        tx.conn.execute(
            update(t.leases)
            .where(c.route == route, c.partition == partition)
            .values(owner=owner, token=token, expires_at=expires)
        )
        return token


def _locked_elsewhere(tx: WriteTx, route: str, partition: int) -> bool:
    """A row SKIP LOCKED hid from us exists: another worker is deciding about it."""
    c = t.leases.c
    found = tx.conn.execute(
        select(c.route).where(c.route == route, c.partition == partition)
    ).first()
    return found is not None


def hold(
    tx: WriteTx,
    route: str,
    partition: int,
    owner: str,
    token: int,
    ttl: float,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Inside the transaction that moves the cursor: still ours? Then extend it."""
    c = t.leases.c
    res = tx.conn.execute(
        update(t.leases)
        .where(c.route == route, c.partition == partition, c.owner == owner, c.token == token)
        .values(expires_at=clock.now() + timedelta(seconds=ttl))
    )
    if res.rowcount != 1:
        raise LeaseLost(f"lost the lease of {route}/{partition} (token {token})")


def release(
    store: Store,
    route: str,
    partition: int,
    owner: str,
    token: int,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Give the lease up at once (if still ours), so any worker may take the partition next."""
    c = t.leases.c
    with store.write() as tx:
        tx.conn.execute(
            update(t.leases)
            .where(c.route == route, c.partition == partition, c.owner == owner, c.token == token)
            .values(expires_at=clock.now())
        )


__all__ = ["LeaseLost", "acquire", "hold", "release"]
