"""Entries that take turns: which of a list's entries prices a SKU at each instant.

A list may price one SKU with several entries over time (each with a
validity window of its own: a price that changes on the 15th), and a
category entry stands in where the SKU's own entries are not valid. For
such a list and SKU the index keeps a :class:`Timed`: the instants where
the pricing entry changes and the entry from each on, so the entry at an
instant is one bisect. Every such instant is one of the list's ``edges``
(:class:`~crossdock.services.pricing.compiled.PList`), which is what the
engine keys plans and bounds its memos by.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime

from crossdock.model.price_list import PriceEntry, ends_at, starts_at
from crossdock.services.pricing.compiled import Entry, PList

MIN_TIME = datetime.min.replace(tzinfo=UTC)
MAX_TIME = datetime.max.replace(tzinfo=UTC)


class Timed:
    """One list's entries for one SKU over time: which one prices at an instant.

    ``starts`` begins with :data:`MIN_TIME`; ``entries[k]`` prices from
    ``starts[k]`` until the next start (None: the list does not price the
    SKU then). Made when the list's entries for the SKU have windows of their
    own; their instants are among the list's ``edges``.
    """

    __slots__ = ("entries", "plist", "starts")

    def __init__(
        self, plist: PList, starts: tuple[datetime, ...], entries: tuple[Entry | None, ...]
    ) -> None:
        self.plist = plist
        self.starts = starts
        self.entries = entries

    def at(self, when: datetime) -> Entry | None:
        return self.entries[bisect_right(self.starts, when) - 1]

    def window(self, when: datetime) -> tuple[Entry, datetime | None, datetime | None, bool]:
        """The entry valid at ``when``, else the next one, else the last before.

        With its window (None: open) and whether it is still to come.
        """
        k = bisect_right(self.starts, when) - 1
        n = len(self.entries)
        for j in (*range(k, n), *range(k - 1, -1, -1)):
            found = self.entries[j]
            if found is not None:
                start = self.starts[j] if j > 0 else None
                end = self.starts[j + 1] if j + 1 < n else None
                return found, start, end, j > k
        raise AssertionError("a Timed holds an entry")  # made only with two turns or more

    @property
    def break_groups(self) -> set[str]:
        return {e.break_group for e in self.entries if e is not None and e.break_group}


Priced = Entry | Timed
"""What a list holds for a SKU: one entry, or entries that take turns over time."""


def timeline(
    plist: PList, category: list[PriceEntry], own: list[PriceEntry]
) -> list[tuple[datetime, PriceEntry | None]]:
    """Which of a list's entries prices a SKU from when: (start, entry or None), in order.

    At each instant the SKU's own entries valid then come first, the
    category's next; among those, the later in the list (two undated entries
    for one target: the later one, as the list has always been read).
    """
    tz = plist.tz
    spans = [
        (starts_at(e.valid_from, tz) or MIN_TIME, ends_at(e.valid_to, tz) or MAX_TIME, e)
        for e in (*category, *own)  # later wins: own entries after the category's
    ]
    points = sorted({MIN_TIME, *(s for s, _, _ in spans), *(t for _, t, _ in spans)} - {MAX_TIME})
    out: list[tuple[datetime, PriceEntry | None]] = []
    for start in points:
        pick = None
        for lo, hi, e in spans:
            if lo <= start < hi:
                pick = e
        if not out or out[-1][1] is not pick:
            out.append((start, pick))
    return out


__all__ = ["MAX_TIME", "MIN_TIME", "Priced", "Timed", "timeline"]
