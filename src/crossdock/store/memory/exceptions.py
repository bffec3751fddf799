"""The twin's business exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.store.memory.state import MemoryTx, Tables, now
from crossdock.store.records import ExceptionRow, ExceptionStatus


class MemoryExceptions:
    """:class:`~crossdock.store.protocols.Exceptions` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def page(
        self,
        *,
        status: ExceptionStatus | None = ExceptionStatus.OPEN,
        after_id: int = 0,
        limit: int = 100,
        system: str | None = None,
        entity_type: str | None = None,
        code: str | None = None,
        created_before: datetime | None = None,
    ) -> list[ExceptionRow]:
        found = [
            e
            for e in self._t.exceptions
            if e.id > after_id
            and (status is None or e.status is status)
            and (system is None or e.system == system)
            and (entity_type is None or e.entity_type == entity_type)
            and (code is None or e.code == code)
            and (created_before is None or e.created_at < created_before)
        ]
        return found[:limit]

    def waiting_for(self, entity_type: EntityType, keys: Sequence[str]) -> list[ExceptionRow]:
        wanted = set(keys)
        return [
            e
            for e in self._t.exceptions
            if e.status is ExceptionStatus.OPEN
            and e.code == ErrorCode.WAITING_FOR_RECORD.value
            and e.entity_type == entity_type.value
            and e.field in wanted
        ]

    def get(self, exc_id: int) -> ExceptionRow | None:
        return next((e for e in self._t.exceptions if e.id == exc_id), None)

    def count(self, status: ExceptionStatus = ExceptionStatus.OPEN) -> int:
        return sum(1 for e in self._t.exceptions if e.status is status)

    def set_status(
        self, exc_id: int, status: ExceptionStatus, *, actor: str, note: str | None = None
    ) -> None:
        for i, e in enumerate(self._t.exceptions):
            if e.id == exc_id:
                self._t.exceptions[i] = replace(e, status=status, updated_at=now(), note=note)
        MemoryTx(self._t).audit(actor, f"exception.{status.value}", str(exc_id), {"note": note})
