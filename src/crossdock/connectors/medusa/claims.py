"""One maker at a time across hub processes, for Medusa records that have no unique key.

A customer group's name is unique in Medusa, so two processes racing to make
an account's group end with one (the loser's create is refused and it finds
the winner's). A price list and the prices in it have no such key: two
processes that both find no list (or no price of a variant in it) would both
make one. A push of an account's prices therefore holds a lease in the hub's
store (``leases``, the table route workers and the onboarding lease use)
named by the system and the account: the second process waits for it. The
lease's token grows only when it changes hands, so a process learns from it
whether another one worked the account since it last did, and reads the
account's list again instead of trusting what it remembers. The lease runs
out by itself (``ttl``) if its holder dies holding it.

Without a store (a connector used on its own) the process's own lock is all
there is; a hub always binds its store.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from crossdock.connectors.medusa.errors import Waiting
from crossdock.store import leases
from crossdock.store.facade import Store

TTL_SECONDS = 60.0
"""How long a maker may take before another process may make the list instead."""
WAIT_SECONDS = 20.0
"""How long a process waits for another's make before the delivery is retried later."""


class Claims:
    """Exclusive sections per (system, kind, key), held as store leases when a store is bound."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.store: Store | None = None
        self.owner = f"medusa:{uuid.uuid4().hex}"
        self._tokens: dict[tuple[str, str], int] = {}

    def bind(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def hold(self, kind: str, key: str) -> Iterator[bool]:
        """Runs the block while no other hub process holds ``kind``/``key``; else ``Waiting``.

        Yields whether another process may have held it since this one last did
        (always on the first hold): then what this process remembers of the key is stale.
        """
        if self.store is None:
            yield False
            return
        route = f"medusa:{self.system}:{kind}"
        # Leases are numbered partitions; a key's checksum is its number (two keys
        # sharing one only take turns).
        partition = zlib.crc32(key.encode()) & 0x7FFFFFFF
        deadline = time.monotonic() + WAIT_SECONDS
        token = leases.acquire(self.store, route, partition, self.owner, TTL_SECONDS)
        while token is None:
            if time.monotonic() > deadline:
                raise Waiting(f"another hub process is making the {kind} of {key}")
            time.sleep(0.1)
            token = leases.acquire(self.store, route, partition, self.owner, TTL_SECONDS)
        last = self._tokens.get((kind, key))
        self._tokens[(kind, key)] = token
        try:
            yield last != token
        finally:
            leases.release(self.store, route, partition, self.owner, token)


__all__ = ["Claims"]
