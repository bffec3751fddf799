"""An incremental source: what changed since a bookmark, per kind, the bookmark moved on ack.

A system that can answer "what changed since T" (an ERP's write dates, a
commerce platform's ``updated_at``) is read kind by kind (customers,
products, orders...). Each kind is one :class:`~crossdock.connectors.base.InboundUnit`.

Bookmark guarantee: the reader returns the items and the newest change time
it saw; that time becomes the kind's bookmark only in the unit's ``ack``,
which the engine calls after ingest committed the unit. A crash before that
reads the same changes again, and ingest drops them by idempotency key:
at-least-once, effectively once. Each read starts ``overlap`` before the
bookmark, for transactions that committed late with an earlier time stamp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from crossdock.connectors.base import InboundUnit, SourceItem
from crossdock.store.connector_state import ConnectorState

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Read:
    """What one read of a kind found, and the newest change time among it (``None``: none)."""

    items: list[SourceItem]
    newest: datetime | None


class Bookmarks:
    """The per-kind bookmarks of one system, kept in the hub's store (``since:<kind>``)."""

    def __init__(self, state: Callable[[], ConnectorState | None]) -> None:
        self._state = state

    def get(self, kind: str) -> datetime | None:
        state = self._state()
        raw = state.get(f"since:{kind}") if state is not None else None
        return datetime.fromisoformat(raw) if raw else None

    def set(self, kind: str, when: datetime) -> None:
        state = self._state()
        if state is not None:
            state.set(f"since:{kind}", when.astimezone(UTC).isoformat())


class IncrementalSource(Generic[K]):
    """Pulls each kind since its bookmark (less the overlap); a unit's ack moves the bookmark."""

    def __init__(
        self,
        system: str,
        kinds: Callable[[], Sequence[K]],
        read: Callable[[K, datetime | None], Read],
        bookmarks: Bookmarks,
        *,
        overlap_seconds: float,
        name_of: Callable[[K], str] = str,
    ) -> None:
        self.system = system
        self._kinds = kinds
        self._read = read
        self.bookmarks = bookmarks
        self.overlap = timedelta(seconds=overlap_seconds)
        self._name_of = name_of

    def since(self, kind: K) -> datetime | None:
        """Where the next read of ``kind`` starts: its bookmark less the overlap."""
        mark = self.bookmarks.get(self._name_of(kind))
        return mark - self.overlap if mark is not None else None

    def pull(self) -> Iterator[InboundUnit]:
        """One unit per kind with what changed since its bookmark."""
        for kind in self._kinds():
            name = self._name_of(kind)
            found = self._read(kind, self.since(kind))

            def ack(name: str = name, newest: datetime | None = found.newest) -> None:
                if newest is not None:
                    self.bookmarks.set(name, newest)

            yield InboundUnit(
                name=f"{self.system}:{name}",
                items=found.items,
                total=len(found.items),
                ack=ack,
            )

    def snapshot(self, kinds: Sequence[K] | None = None) -> Iterator[SourceItem]:
        """Everything the system holds now for ``kinds`` (default: all); moves no bookmark."""
        for kind in kinds if kinds is not None else self._kinds():
            yield from self._read(kind, None).items


__all__ = ["Bookmarks", "IncrementalSource", "Read"]
