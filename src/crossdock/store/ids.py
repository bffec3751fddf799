"""Time-ordered ids for records and events: 48 bits of milliseconds, then 80 random bits.

A random id lands anywhere in the primary-key B-tree, so a bulk import of
200k records touches pages all over the index and each insert pays a page
read. An id that starts with the time lands at the right edge, where the
pages are already in the cache (the reason behind UUIDv7). Measured on the
ingest path's own rows: the SQLite write floor went from about 40k to 60k
records/s. The 80 random bits keep ids unguessable and unique across
processes; the ids carry no meaning beyond their order and nothing may
parse them.
"""

from __future__ import annotations

import os
import time


def time_ordered_hex() -> str:
    """32 hex digits: milliseconds since the epoch (12), then 80 random bits (20)."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def new_record_id(prefix: str) -> str:
    """A canonical record id: ``prefix_`` and 32 time-ordered hex digits."""
    return f"{prefix}_{time_ordered_hex()}"


__all__ = ["new_record_id", "time_ordered_hex"]
