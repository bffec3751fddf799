"""JSON documents through a field map: keys as columns, or the document as the record.

:class:`JsonColumnsPlan` serves a map that names ``columns``: each named key
(dotted for nested ones: ``address.city``) is a column of a row that
:class:`~.rows.RowPlan` maps. :class:`ObjectPlan` serves a map without
``columns``: the document *is* the canonical nested record, with the map's
id, change time, delete marker, value maps and defaults applied; there
``skip_empty`` drops ``""`` values inside objects, and ``null`` stays, as an
explicit clear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crossdock.connectors.kit.fieldmap.paths import (
    Parts,
    get_path,
    native_text,
    parents_of,
    parse_path,
)
from crossdock.connectors.kit.fieldmap.problems import RowProblem, unmapped_value
from crossdock.connectors.kit.fieldmap.rows import RowPlan, parse_timestamp
from crossdock.connectors.kit.fieldmap.spec import FieldMap
from crossdock.errors import ErrorCode
from crossdock.model.change import ChangeOp

Mapped = tuple[str, ChangeOp, dict[str, Any], datetime | None]
_MISSING: Any = object()


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

    def __init__(self, mapping: FieldMap) -> None:
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

    def __init__(self, mapping: FieldMap) -> None:
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


def plan_for_json(mapping: FieldMap) -> JsonColumnsPlan | ObjectPlan:
    """The plan a JSON Lines file is mapped with."""
    return JsonColumnsPlan(mapping) if mapping.columns else ObjectPlan(mapping)


__all__ = ["JsonColumnsPlan", "Mapped", "ObjectPlan", "plan_for_json"]
