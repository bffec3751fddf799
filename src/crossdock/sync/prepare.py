"""Prepared changes: the part of ingest that needs a change alone, never the store.

For each upsert: its natural keys, its content digest, its flat asserted
fields and the canonical model's verdict on its data as sent (the dump, its
JSON, flat leaves and natural keys, or the first problem). Ingest uses that
verdict only where it would have validated the change's own data anyway (a
new record made of one change), so a prepared batch applies exactly as an
unprepared one; anything missing is computed inline as before.

Preparing is pure CPU on plain data, so ``crossdock import --workers N``
does it in a process pool (:func:`prepare_batch` is what a worker runs) while
the one writer applies the batches in file order.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from crossdock.connectors.base import SourceItem
from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.paths import flatten_record
from crossdock.model.registry import model_for
from crossdock.store import dumps
from crossdock.sync.ingest_problems import validation_problem
from crossdock.sync.unchanged import content_digest

NaturalKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Valid:
    """The change's data as the canonical model dumps it (what a fresh record holds)."""

    data: dict[str, Any]
    data_json: str
    flat: dict[str, Any]
    keys: frozenset[NaturalKey]


@dataclass(frozen=True, slots=True)
class Invalid:
    """The first problem the canonical model found in the change's data."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ingest needs of one upsert that depends on the change alone."""

    keys: list[NaturalKey]
    """The natural keys its data names (as sent)."""
    digest: str | None
    """Its content digest under the hub's rules (``None``: not skippable)."""
    fields: dict[str, Any] | None
    """Its flat asserted fields (``None``: data that is not an object; computed inline)."""
    verdict: Valid | Invalid | None
    """The model's verdict on its data as sent (``None``: not known, validate inline)."""


@cache
def _list_adapter(model: type[CanonicalEntity]) -> TypeAdapter[list[CanonicalEntity]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _verdicts(
    model: type[CanonicalEntity], datas: list[dict[str, Any]]
) -> list[Valid | Invalid | None]:
    """Validate ``datas`` in one pydantic-core call over the list; row by row if one fails."""
    adapter = _list_adapter(model)
    try:
        objs: list[CanonicalEntity | None] = list(adapter.validate_python(datas))
        problems: dict[int, Invalid] = {}
    except ValidationError:
        objs, problems = [], {}
        for i, data in enumerate(datas):
            try:
                objs.append(model.model_validate(data))
            except ValidationError as exc:
                objs.append(None)
                problems[i] = Invalid(*validation_problem(exc))
    out: list[Valid | Invalid | None] = []
    for i, obj in enumerate(objs):
        if obj is None:
            out.append(problems[i])
            continue
        data = obj.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        keys = frozenset(model.natural_keys(data))
        out.append(Valid(data, dumps(data), flatten_record(model, data), keys))
    return out


def prepare_batch(items: Sequence[SourceItem], rules: str | None) -> list[Prepared | None]:
    """One :class:`Prepared` per item (``None`` for a source error, a delete or an odd change).

    Never raises for a row: a change this cannot prepare is left to ingest,
    which refuses it (or applies it) exactly as it would unprepared.
    """
    out: list[Prepared | None] = [None] * len(items)
    by_type: dict[EntityType, list[tuple[int, Change]]] = {}
    for i, item in enumerate(items):
        if isinstance(item, Change) and item.op is ChangeOp.UPSERT and isinstance(item.data, dict):
            by_type.setdefault(item.entity_type, []).append((i, item))
    for entity_type, group in by_type.items():
        model = model_for(entity_type)
        try:
            verdicts = _verdicts(model, [c.data for _, c in group])
        except Exception:
            verdicts = [None] * len(group)
        for (i, c), verdict in zip(group, verdicts, strict=True):
            try:
                out[i] = Prepared(
                    model.natural_keys(c.data),
                    content_digest(rules, c) if rules else None,
                    flatten_record(model, c.data),
                    verdict,
                )
            except Exception:
                out[i] = None
    return out


def prepared_ahead(
    batches: Iterator[list[SourceItem]], rules: str | None, workers: int
) -> Iterator[tuple[list[SourceItem], list[Prepared | None] | None]]:
    """Each batch with its preparation, done in ``workers`` processes, in the batches' order.

    At most ``2 * workers`` batches are out at once, so a large file is not held
    in memory twice. A pool that fails (a worker killed) leaves the batch
    unprepared: ingest then does the work inline, with the same outcome.
    """
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        out: deque[tuple[list[SourceItem], Future[list[Prepared | None]] | None]] = deque()
        for batch in batches:
            try:
                out.append((batch, pool.submit(prepare_batch, batch, rules)))
            except Exception:
                out.append((batch, None))
            if len(out) >= 2 * workers:
                yield _settled(*out.popleft())
        while out:
            yield _settled(*out.popleft())


def _settled(
    batch: list[SourceItem], future: Future[list[Prepared | None]] | None
) -> tuple[list[SourceItem], list[Prepared | None] | None]:
    if future is None:
        return batch, None
    try:
        return batch, future.result()
    except Exception:
        return batch, None


__all__ = ["Invalid", "Prepared", "Valid", "prepare_batch", "prepared_ahead"]
