"""Native rows <-> canonical partial records, both ways.

Inbound, a CSV row goes through a :class:`~crossdock.connectors.files.plan.RowPlan`
compiled against the file's header. A JSON Lines object goes through
:class:`JsonColumnsPlan` when the mapping names ``columns`` (each key is a
column), else through :class:`ObjectPlan`: the object *is* the canonical
nested record, with the mapping's id, timestamp, delete marker, value maps and
defaults applied. There, ``skip_empty`` drops ``""`` values inside objects;
``null`` stays, as an explicit clear.

Outbound, :func:`delivery_object` is one JSON Lines export line and
:func:`csv_table` a batch as CSV, with ``data`` flattened into field-path
columns (lists and empty objects as JSON text).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.files.config import FileMapping
from crossdock.connectors.files.errors import RowProblem, unmapped_value
from crossdock.connectors.files.fieldpath import (
    Parts,
    get_path,
    native_text,
    parents_of,
    parse_path,
)
from crossdock.connectors.files.plan import RowPlan, parse_timestamp
from crossdock.errors import ErrorCode
from crossdock.model.change import ChangeOp
from crossdock.model.paths import flatten

Mapped = tuple[str, ChangeOp, dict[str, Any], datetime | None]
_MISSING: Any = object()
#: Export columns every CSV row starts with, in this order.
META_COLUMNS = ("id", "type", "entity_id", "version", "op", "native_id")


def _key_parts(key: str) -> tuple[str, ...]:
    return tuple(key.split(".")) if "." in key else (key,)


def _lookup(obj: Mapping[str, Any], key: str, parts: tuple[str, ...]) -> Any:
    """``obj[key]``, or the nested value at a dotted key (``address.city``)."""
    value = obj.get(key, _MISSING)
    if value is not _MISSING or len(parts) == 1:
        return None if value is _MISSING else value
    node: Any = obj
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


class JsonColumnsPlan:
    """A JSON Lines mapping with ``columns``: each named key is a column of a row."""

    def __init__(self, mapping: FileMapping) -> None:
        keys = list(
            dict.fromkeys(
                [
                    *mapping.columns,
                    *mapping.id,
                    *(k for k in (mapping.timestamp, mapping.delete_column) if k is not None),
                ]
            )
        )
        self._keys = tuple((k, _key_parts(k)) for k in keys)
        self._plan = RowPlan(mapping, keys, fold=str)

    def map_object(self, obj: dict[str, Any]) -> Mapped:
        row: list[Any] = []
        for key, parts in self._keys:
            value = _lookup(obj, key, parts)
            if value is None:
                row.append("")
            elif type(value) is str:
                row.append(value.strip())
            else:
                row.append(value)
        return self._plan.map_row(row)


def _drop_empty(node: dict[str, Any]) -> None:
    """Remove ``""`` values from an object and the objects inside it (also in lists)."""
    for key in [k for k, v in node.items() if v == ""]:
        del node[key]
    for value in node.values():
        if type(value) is dict:
            _drop_empty(value)
        elif type(value) is list:
            for item in value:
                if type(item) is dict:
                    _drop_empty(item)


class ObjectPlan:
    """A JSON Lines mapping without ``columns``: objects are canonical records as they are."""

    def __init__(self, mapping: FileMapping) -> None:
        self._ids = tuple((c, self._parts(c)) for c in mapping.id)
        self._ts = mapping.timestamp
        self._delete = mapping.delete_column
        self._delete_values = frozenset(v.strip().lower() for v in mapping.delete_values)
        self._skip_empty = mapping.skip_empty
        self._maps = tuple(
            (parse_path(path, wildcard=True), path, table, path in mapping.passthrough)
            for path, table in mapping.values.items()
        )
        self._defaults = tuple((parse_path(p), v) for p, v in mapping.defaults.items())

    @staticmethod
    def _parts(column: str) -> Parts:
        try:
            return parse_path(column)
        except ValueError:
            return (column,)

    def map_object(self, obj: dict[str, Any]) -> Mapped:
        ids: list[str] = []
        for column, parts in self._ids:
            text = native_text(get_path(obj, parts)).strip()
            if not text:
                raise RowProblem(ErrorCode.MALFORMED_ROW, column, f"missing id: {column} is empty")
            ids.append(text)
        nid = ids[0] if len(ids) == 1 else "|".join(ids)
        ts = None
        if self._ts is not None:
            raw = native_text(obj.pop(self._ts, None)).strip()
            if raw:
                try:
                    ts = parse_timestamp(raw, self._ts)
                except RowProblem as problem:
                    problem.native_id = nid
                    raise
        if self._delete is not None:
            flag = native_text(obj.pop(self._delete, None)).strip().lower()
            if flag in self._delete_values:
                return nid, ChangeOp.DELETE, {}, ts
        if self._skip_empty:
            _drop_empty(obj)
        for pattern, path, table, loose in self._maps:
            for container, key in parents_of(obj, pattern):
                value = container[key]
                if value is None or value == "":
                    continue
                mapped = table.get(native_text(value).strip(), _MISSING)
                if mapped is not _MISSING:
                    container[key] = mapped
                elif not loose:
                    unmapped = unmapped_value(path, path, native_text(value), list(table))
                    unmapped.native_id = nid
                    raise unmapped
        for parts, constant in self._defaults:
            parent = obj if len(parts) == 1 else get_path(obj, parts[:-1])
            key = parts[-1]
            if isinstance(parent, dict) and isinstance(key, str) and key not in parent:
                parent[key] = json.loads(json.dumps(constant))
        return nid, ChangeOp.UPSERT, obj, ts


def plan_for_json(mapping: FileMapping) -> JsonColumnsPlan | ObjectPlan:
    """The plan a JSON Lines file is mapped with."""
    return JsonColumnsPlan(mapping) if mapping.columns else ObjectPlan(mapping)


# -- outbound ---------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def dumps(obj: Any) -> str:
    """Compact JSON text (Decimals as exact strings, NaN refused)."""
    return json.dumps(
        obj, default=_json_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
    )


def delivery_object(d: Delivery) -> dict[str, Any]:
    """One export line: the delivery's identity and its projected data."""
    return {
        "id": d.delivery_id,
        "type": d.entity_type.value,
        "entity_id": d.entity_id,
        "version": d.version,
        "op": d.op.value,
        "native_id": d.native_id,
        "data": dict(d.data),
    }


def jsonl_body(batch: Sequence[Delivery]) -> bytes:
    """A batch as JSON Lines (UTF-8, one delivery per line)."""
    return "".join(dumps(delivery_object(d)) + "\n" for d in batch).encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | dict | tuple):
        return dumps(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_table(batch: Sequence[Delivery]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a batch; data columns are sorted field paths.

    A field path that collides with a meta column (``id``) is written as ``data.id``.
    """
    flats = [flatten(dict(d.data)) for d in batch]
    paths = sorted({p for flat in flats for p in flat})
    names = [f"data.{p}" if p in META_COLUMNS else p for p in paths]
    rows: list[list[str]] = []
    for d, flat in zip(batch, flats, strict=True):
        meta = delivery_object(d)
        rows.append([_cell(meta[c]) for c in META_COLUMNS] + [_cell(flat.get(p)) for p in paths])
    return [*META_COLUMNS, *names], rows


def csv_body(batch: Sequence[Delivery]) -> bytes:
    """A batch as CSV (UTF-8, comma-separated, RFC 4180 quoting)."""
    header, rows = csv_table(batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


__all__ = [
    "META_COLUMNS",
    "JsonColumnsPlan",
    "Mapped",
    "ObjectPlan",
    "csv_body",
    "csv_table",
    "delivery_object",
    "dumps",
    "jsonl_body",
    "plan_for_json",
]
