"""A mapping compiled against one file's columns: the per-row hot path.

:class:`RowPlan` is built once per file from a :class:`~.spec.FieldMap` and the
file's header (or a JSON Lines mapping's key list). It resolves every column
to its index and every field path to its parts up front, so mapping a row is
a loop over ``(index, path)`` tuples: no regex, no pydantic, no dict lookups
by column name. Values stay as the file holds them (strings for CSV); the
canonical model parses decimals, dates and enums and names the field when one
is wrong.

List items are built as ``{index: item}`` while a row is mapped and turned
into lists at the end, in index order, leaving out items the row left empty
(``units[2]`` when ``PALLET_QTY`` is blank).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from crossdock.connectors.kit.fieldmap.formats import DateFormat, NumberFormat, as_date_text
from crossdock.connectors.kit.fieldmap.paths import (
    Parts,
    check_tree,
    covers,
    format_path,
    native_text,
    parse_path,
)
from crossdock.connectors.kit.fieldmap.problems import FileProblem, RowProblem, unmapped_value
from crossdock.connectors.kit.fieldmap.spec import FieldMap
from crossdock.errors import ErrorCode
from crossdock.model.change import ChangeOp
from crossdock.model.paths import field_kind
from crossdock.model.registry import model_for

#: A formatted cell: (position, column, its format, whether the field holds a time too).
_Format = tuple[int, str, NumberFormat | DateFormat, bool]

_MISSING: Any = object()
_CONTAINERS = (dict, list)

#: One step down a path while a row is mapped: the key, and how to make the
#: container created there from its template (its conditional defaults); ``dict``
#: (an empty one) when it has none.
_Step = tuple[Any, Callable[[], Any]]
#: (index, steps to the parent, leaf key, value map, passthrough, inside a list, column, path)
_Leaf = tuple[int, tuple[_Step, ...], Any, dict[str, Any] | None, bool, bool, str, str]


def parse_timestamp(text: str, column: str) -> datetime:
    """An ISO 8601 change time (naive means UTC), or a ``RowProblem`` naming the column."""
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise RowProblem(
            ErrorCode.VALIDATION_FAILED, column, f"{text!r} is not an ISO 8601 timestamp"
        ) from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def value_map_for(mapping: FieldMap, parts: Parts) -> tuple[dict[str, Any] | None, bool]:
    """The value map of a field path (exact path first, then a ``[*]`` pattern)."""
    text = format_path(parts)
    if text in mapping.values:
        return mapping.values[text], text in mapping.passthrough
    for key, table in mapping.values.items():
        if covers(parse_path(key, wildcard=True), parts):
            return table, key in mapping.passthrough
    return None, False


def _outer_list(parts: Parts) -> list[Parts]:
    """The path of the outermost list a path runs through (``units`` of ``units[0].code``)."""
    for depth, part in enumerate(parts):
        if isinstance(part, int):
            return [parts[:depth]]
    return []


def _anchor(parts: Parts, covered: set[Parts]) -> Parts | None:
    """The container whose presence in a row decides whether a default applies.

    The nearest enclosing object or list item some column maps into; ``None``
    (always applies) when there is none, or when the nearest list item on the
    way up is filled by defaults alone (``units[0]`` beside a mapped ``units[1]``).
    """
    for depth in range(len(parts) - 1, 0, -1):
        prefix = parts[:depth]
        if prefix in covered:
            return prefix
        if isinstance(prefix[-1], int):
            return None
    return None


def _clone(node: dict[Any, Any]) -> dict[Any, Any]:
    """A copy of a template, down to every nested dict and list."""
    out = node.copy()
    for key, value in node.items():
        if type(value) in _CONTAINERS:
            out[key] = _clone_any(value)
    return out


def _clone_any(node: Any) -> Any:
    if type(node) is dict:
        return _clone(node)
    if type(node) is list:
        return [_clone_any(v) for v in node]
    return node


def _cloner(template: Any) -> Callable[[], Any]:
    """The cheapest function that returns a fresh copy of a template."""
    if type(template) is not dict:
        return lambda: _clone_any(template)
    values = template.values()
    if not any(type(v) in _CONTAINERS for v in values):
        return template.copy
    if all(type(v) not in _CONTAINERS or (type(v) is dict and _flat(v)) for v in values):
        return lambda: {k: (v.copy() if type(v) is dict else v) for k, v in template.items()}
    return lambda: _clone(template)


def _flat(node: dict[Any, Any]) -> bool:
    return not any(type(v) in _CONTAINERS for v in node.values())


def _place(template: dict[Any, Any], parts: Parts, value: Any) -> None:
    """Put ``value`` at ``parts`` inside a template (list items as ``{index: item}``)."""
    node = template
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _seal(node: Any) -> Any:
    """Turn the ``{index: item}`` dicts built for list paths into lists, in index order."""
    if type(node) is not dict:
        return node
    if node and type(next(iter(node))) is int:
        return [_seal(node[k]) for k in sorted(node)]
    for key, value in node.items():
        if type(value) is dict:
            node[key] = _seal(value)
    return node


class RowPlan:
    """One mapping compiled against one file's column names."""

    def __init__(
        self, mapping: FieldMap, names: Sequence[str], *, fold: Callable[[str], str] = str.lower
    ) -> None:
        positions: dict[str, int] = {}
        for i, name in enumerate(names):
            positions.setdefault(fold(name.strip()), i)
        self.width = len(names)
        self.skip_empty = mapping.skip_empty

        def index(column: str, what: str) -> int:
            i = positions.get(fold(column))
            if i is None:
                shown = ", ".join(n.strip() for n in names if n.strip())
                raise FileProblem(
                    ErrorCode.MALFORMED_ROW,
                    column,
                    f"{what} column {column!r} is not in the header (header: {shown})",
                )
            return i

        self.id_columns = mapping.id
        self.id_index = tuple(index(c, "id") for c in mapping.id)
        self._single_id = self.id_index[0] if len(self.id_index) == 1 else None
        self.ts_column = mapping.timestamp or ""
        self.ts_index = None if mapping.timestamp is None else index(mapping.timestamp, "timestamp")
        self.delete_index = (
            None if mapping.delete_column is None else index(mapping.delete_column, "delete")
        )
        self.delete_values = frozenset(v.strip().lower() for v in mapping.delete_values)

        columns = mapping.columns or self._header_paths(mapping, names)
        parsed = {column: parse_path(path) for column, path in columns.items()}
        covered = {parts[:d] for parts in parsed.values() for d in range(1, len(parts))}

        # Defaults become templates: the record starts from the unconditional ones,
        # and a container (object or list item) starts from its own when a row
        # creates it by giving a value inside it.
        root: dict[Any, Any] = {}
        templates: dict[Parts, dict[Any, Any]] = {}
        list_paths: set[Parts] = set()
        for path, constant in mapping.defaults.items():
            parts = parse_path(path)
            list_paths.update(_outer_list(parts))
            anchor = _anchor(parts, covered)
            if anchor is None:
                _place(root, parts, constant)
            else:
                _place(templates.setdefault(anchor, {}), parts[len(anchor) :], constant)
        self._root_scalars = {k: v for k, v in root.items() if type(v) not in _CONTAINERS}
        self._root_nested = tuple(
            (k, _cloner(v)) for k, v in root.items() if type(v) in _CONTAINERS
        )

        self.missing: list[str] = []
        flat: list[tuple[int, str]] = []
        mapped: list[tuple[int, str, dict[str, Any], bool, str]] = []
        leaves: list[_Leaf] = []
        for column, parts in parsed.items():
            list_paths.update(_outer_list(parts))
            at = positions.get(fold(column))
            if at is None:
                self.missing.append(column)
                continue
            path = columns[column]
            vmap, loose = value_map_for(mapping, parts)
            if len(parts) == 1:
                if vmap is None:
                    flat.append((at, path))
                else:
                    mapped.append((at, path, vmap, loose, column))
                continue
            steps = tuple(
                (
                    parts[d],
                    _cloner(templates[parts[: d + 1]]) if parts[: d + 1] in templates else dict,
                )
                for d in range(len(parts) - 1)
            )
            in_list = any(isinstance(p, int) for p in parts)
            leaves.append((at, steps, parts[-1], vmap, loose, in_list, column, path))
        self._formatted = self._formatters(mapping, columns, parsed, positions, fold)
        self._flat = tuple(flat)
        self._mapped = tuple(mapped)
        self._leaves = tuple(leaves)
        self._list_paths = tuple(sorted(list_paths))
        # A list whose items hold no list of their own is sealed in one step.
        nested = any(
            sum(isinstance(p, int) for p in parts) > 1
            for parts in [*parsed.values(), *(parse_path(p) for p in mapping.defaults)]
        )
        self._simple_lists = () if nested else self._list_paths
        self._list_tops = tuple(sorted({str(p[0]) for p in list_paths})) if nested else ()

    @staticmethod
    def _formatters(
        mapping: FieldMap,
        columns: dict[str, str],
        parsed: dict[str, Parts],
        positions: dict[str, int],
        fold: Callable[[str], str],
    ) -> tuple[_Format, ...]:
        """The cells read through a declared number or date format, by column position."""
        if not (mapping.number or mapping.date or mapping.formats):
            return ()
        model = model_for(mapping.entity)
        own = {fold(c.strip()): f for c, f in mapping.formats.items()}
        out: list[_Format] = []
        for column, parts in parsed.items():
            at = positions.get(fold(column))
            if at is None:
                continue
            kind = field_kind(model, parts)
            chosen = own.get(fold(column))
            number = chosen.number if chosen else (mapping.number if kind == "number" else None)
            when = chosen.date if chosen else None
            if chosen is None and kind in ("date", "datetime"):
                when = mapping.date
            if number is not None:
                out.append((at, column, number, False))
            elif when is not None:
                out.append((at, column, when, kind == "datetime"))
        return tuple(out)

    def _read_formats(self, row: Sequence[Any]) -> Sequence[Any]:
        """The row with its formatted cells in canonical text, or a ``RowProblem``."""
        cells = list(row)
        for at, column, fmt, with_time in self._formatted:
            value = cells[at]
            if type(value) is not str or value == "":
                continue
            try:
                if isinstance(fmt, NumberFormat):
                    cells[at] = format(fmt.parse(value), "f")
                else:
                    cells[at] = as_date_text(fmt.parse(value), with_time=with_time)
            except ValueError as exc:
                raise RowProblem(
                    ErrorCode.MALFORMED_ROW,
                    column,
                    f"column {column!r}: {exc} (declared for this column in the mapping)",
                ) from None
        return cells

    @staticmethod
    def _header_paths(mapping: FieldMap, names: Sequence[str]) -> dict[str, str]:
        """Without ``columns`` every header names its own field path.

        The timestamp and delete columns are not fields; they are left out.
        """
        meta = {c.lower() for c in (mapping.timestamp, mapping.delete_column) if c is not None}
        out: dict[str, str] = {}
        for name in names:
            path = name.strip()
            if not path or path.lower() in meta:
                continue
            try:
                parse_path(path)
            except ValueError as exc:
                raise FileProblem(ErrorCode.MALFORMED_ROW, path, f"header: {exc}") from None
            out[path] = path
        try:
            check_tree((p, parse_path(p)) for p in [*out, *mapping.defaults])
        except ValueError as exc:
            raise FileProblem(ErrorCode.MALFORMED_ROW, None, f"header: {exc}") from None
        return out

    def native_id(self, row: Sequence[Any]) -> str:
        """The row's native id (id columns joined by ``|``), or a ``RowProblem``."""
        values: list[str] = []
        for i, column in zip(self.id_index, self.id_columns, strict=True):
            value = row[i]
            text = value if type(value) is str else native_text(value)
            if not text:
                raise RowProblem(ErrorCode.MALFORMED_ROW, column, f"missing id: {column} is empty")
            values.append(text)
        return values[0] if len(values) == 1 else "|".join(values)

    def map_row(self, row: Sequence[Any]) -> tuple[str, ChangeOp, dict[str, Any], datetime | None]:
        """``(native_id, op, data, source_ts or None)`` of a row of clean cells.

        Cells are stripped strings (``""`` when empty) or, from JSON, other
        JSON values. A problem raises ``RowProblem`` naming the column.
        """
        nid = row[self._single_id] if self._single_id is not None else ""
        if not nid or type(nid) is not str:
            nid = self.native_id(row)
        ts = None
        if self.ts_index is not None:
            raw = row[self.ts_index]
            if raw != "":
                try:
                    ts = parse_timestamp(native_text(raw), self.ts_column)
                except RowProblem as problem:
                    problem.native_id = nid
                    raise
        if self.delete_index is not None:
            flag = row[self.delete_index]
            if native_text(flag).lower() in self.delete_values:
                return nid, ChangeOp.DELETE, {}, ts
        try:
            if self._formatted:
                row = self._read_formats(row)
            return nid, ChangeOp.UPSERT, self.build(row), ts
        except RowProblem as problem:
            problem.native_id = nid
            raise

    def build(self, row: Sequence[Any]) -> dict[str, Any]:
        """The partial canonical record a row asserts."""
        data: dict[Any, Any] = self._root_scalars.copy()
        for key, make in self._root_nested:
            data[key] = make()
        skip = self.skip_empty
        for i, key in self._flat:
            value = row[i]
            if value != "":
                data[key] = value
            elif not skip:
                data.setdefault(key, None)
        for i, key, table, loose, column in self._mapped:
            value = row[i]
            if value != "":
                mapped = table.get(value if type(value) is str else native_text(value), _MISSING)
                if mapped is not _MISSING:
                    value = mapped
                elif not loose:
                    raise unmapped_value(column, key, native_text(value), list(table))
                data[key] = value
            elif not skip:
                data.setdefault(key, None)
        clears: list[tuple[tuple[_Step, ...], Any]] | None = None
        node: Any
        for i, steps, key, vmap, loose, in_list, column, path in self._leaves:
            value = row[i]
            if value == "":
                if skip or in_list:
                    continue
                if clears is None:
                    clears = []
                clears.append((steps, key))
                continue
            if vmap is not None:
                mapped = vmap.get(value if type(value) is str else native_text(value), _MISSING)
                if mapped is not _MISSING:
                    value = mapped
                elif not loose:
                    raise unmapped_value(column, path, native_text(value), list(vmap))
            node = data
            for part, make in steps:
                child = node.get(part)
                if child is None:
                    child = node[part] = make()
                node = child
            node[key] = value
        if clears is not None:
            for steps, key in clears:
                node = data
                for part, _ in steps:
                    node = node.setdefault(part, {})
                node.setdefault(key, None)
        for parts in self._simple_lists:
            node = data
            for part in parts[:-1]:
                node = node.get(part)
                if node is None:
                    break
            else:
                items = node.get(parts[-1])
                if items is not None:
                    node[parts[-1]] = [items[k] for k in sorted(items)]
        for top in self._list_tops:
            if top in data:
                data[top] = _seal(data[top])
        if not skip:
            for parts in self._list_paths:
                node = data
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                node.setdefault(parts[-1], [])
        return data


__all__ = ["RowPlan", "parse_timestamp", "value_map_for"]
