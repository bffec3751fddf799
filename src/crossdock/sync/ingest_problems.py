"""Business exceptions of ingest: why a change was refused, or waits, in words a person acts on.

Each names the record (type, native id, sending system, where it came
from), the field and the reason, and keeps the change itself so that it can
be fixed and replayed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from crossdock.connectors.base import SourceError
from crossdock.errors import ErrorCode
from crossdock.model.base import CanonicalEntity
from crossdock.model.change import Change
from crossdock.store import NewException
from crossdock.sync.changes_codec import change_to_json


def validation_problem(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(record)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return path, f"{first['msg'].removeprefix('Value error, ')}{more}"


class Refused(Exception):
    """A change refused whole; carries the business exception that says why."""

    def __init__(self, exception: NewException) -> None:
        super().__init__(exception.reason)
        self.exception = exception


def change_exception(
    c: Change, code: ErrorCode, path: str | None, reason: str, *, entity_id: str | None = None
) -> NewException:
    where = f" ({c.ref})" if c.ref else ""
    target = f"{c.entity_type.value} {c.native_id} from {c.system}{where}"
    if entity_id:
        target += f" [canonical {entity_id}]"
    return NewException(
        system=c.system,
        code=code.value,
        reason=f"{target}: {reason}",
        entity_type=c.entity_type.value,
        native_id=c.native_id,
        ref=c.ref,
        field=path,
        payload=change_to_json(c),
    )


def waiting_key(key: tuple[str, str]) -> str:
    """How a waiting change names the record it waits for: ``kind:value`` of a natural key."""
    return f"{key[0]}:{key[1]}"


def waiting_or_refused(
    c: Change, model: type[CanonicalEntity], reason: str, path: str | None = None
) -> NewException:
    """A change that needs an existing record: it waits for one it names by natural key.

    A system that may not create records (a CRM's contacts before the ERP's
    customer) is not wrong, only early. When the change names the record by a
    natural key, it is kept as a ``waiting_for_record`` exception and applied
    as soon as a record with that key is created; otherwise it is refused.
    """
    try:
        keys = model.natural_keys(c.data)
    except (AttributeError, TypeError):
        keys = []
    if not keys:
        return change_exception(c, ErrorCode.OWNERSHIP_CONFLICT, path, reason)
    kind, value = keys[0]
    return change_exception(
        c,
        ErrorCode.WAITING_FOR_RECORD,
        waiting_key(keys[0]),
        f"{reason}; kept until a {c.entity_type.value} with {kind} {value!r} exists, then applied",
    )


def source_exception(e: SourceError) -> NewException:
    raw: dict[str, Any] | None
    if e.raw is None:
        raw = None
    elif isinstance(e.raw, str):
        raw = {"raw": e.raw}
    else:
        raw = {"raw": dict(e.raw)}
    return NewException(
        system=e.system,
        code=e.code.value,
        reason=f"{e.ref or e.system}: {e.reason}",
        entity_type=e.entity_type.value if e.entity_type else None,
        native_id=e.native_id,
        ref=e.ref,
        field=e.field,
        payload=raw,
    )


__all__ = [
    "Refused",
    "change_exception",
    "source_exception",
    "validation_problem",
    "waiting_key",
    "waiting_or_refused",
]
