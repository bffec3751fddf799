"""Field paths as the files connector writes them: dotted, with list indexes.

``dimensions.weight`` names a nested field; ``units[0].code`` names a field of
the first item of the ``units`` list, so one CSV row can build a whole list
(the list is one canonical field: ``units``). ``units[*].code`` (value maps and
``passthrough`` only) names that field in every item.

A path is parsed once, when the settings are read, into a tuple of *parts*:
a ``str`` for an object key, an ``int`` for a list index, :data:`WILDCARD`
for ``[*]``. Nothing here runs per row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

Part = str | int
Parts = tuple[Part, ...]

#: The ``[*]`` index: every item of a list.
WILDCARD = -1
#: Highest list index a path may name (a unit list, not an array of rows).
MAX_INDEX = 99

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+|\*)\])?")


def parse_path(text: str, *, wildcard: bool = False) -> Parts:
    """The parts of ``text``; ``ValueError`` says what is wrong with it."""
    if not text or text != text.strip():
        raise ValueError(f"{text!r} is not a field path (empty or padded with spaces)")
    parts: list[Part] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise ValueError(
                f"{text!r} is not a field path: {segment!r} should be a name, optionally "
                "followed by a list index such as units[0]"
            )
        parts.append(match.group(1))
        index = match.group(2)
        if index is None:
            continue
        if index == "*":
            if not wildcard:
                raise ValueError(f"{text!r}: [*] is only allowed in values and passthrough")
            parts.append(WILDCARD)
        elif int(index) > MAX_INDEX:
            raise ValueError(f"{text!r}: list index {index} is above {MAX_INDEX}")
        else:
            parts.append(int(index))
    return tuple(parts)


def format_path(parts: Parts) -> str:
    """The text of a path (inverse of :func:`parse_path`)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[*]" if part == WILDCARD else f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def generalize(parts: Parts) -> Parts:
    """The path with every list index replaced by :data:`WILDCARD`."""
    return tuple(WILDCARD if isinstance(p, int) else p for p in parts)


def covers(pattern: Parts, parts: Parts) -> bool:
    """Whether ``pattern`` (which may hold wildcards) names ``parts`` exactly."""
    if len(pattern) != len(parts):
        return False
    return all(
        p == q or (p == WILDCARD and isinstance(q, int))
        for p, q in zip(pattern, parts, strict=True)
    )


class _Node:
    __slots__ = ("children", "leaf", "list")

    def __init__(self) -> None:
        self.children: dict[Part, _Node] = {}
        self.leaf: str | None = None
        self.list: bool | None = None


def check_tree(paths: Iterable[tuple[str, Parts]]) -> None:
    """Raise ``ValueError`` if the paths cannot all hold in one record.

    No path may be a prefix of another (``weight`` and ``weight.value``), and
    a field is either an object or a list (``units.code`` against
    ``units[0].code``). The same path twice is allowed (a default beside the
    column it stands in for).
    """
    root = _Node()
    for text, parts in paths:
        node = root
        for depth, part in enumerate(parts):
            if node.leaf is not None:
                raise ValueError(f"{node.leaf!r} is a value, so {text!r} cannot be inside it")
            is_list = isinstance(part, int)
            if node.list is not None and node.list != is_list:
                where = format_path(parts[:depth]) or "the record"
                raise ValueError(f"{where} is used both as a list and as an object ({text!r})")
            node.list = is_list
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        if node.children:
            raise ValueError(f"{text!r} is an object or list here, so it cannot take a value")
        node.leaf = text


def get_path(data: Any, parts: Parts) -> Any:
    """The value at ``parts`` in a JSON-form record, or ``None`` (no wildcards)."""
    node = data
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
        elif not isinstance(node, dict):
            return None
        node = node[part] if isinstance(part, int) else node.get(part)
    return node


def parents_of(data: Any, parts: Parts) -> list[tuple[Any, Part]]:
    """Every ``(container, key)`` that holds a value at ``parts`` (expanding wildcards)."""
    found: list[tuple[Any, Part]] = []

    def walk(node: Any, depth: int) -> None:
        part = parts[depth]
        last = depth == len(parts) - 1
        if part == WILDCARD:
            keys: Iterable[Part] = range(len(node)) if isinstance(node, list) else ()
        elif isinstance(part, int):
            keys = (part,) if isinstance(node, list) and part < len(node) else ()
        else:
            keys = (part,) if isinstance(node, dict) and part in node else ()
        for key in keys:
            if last:
                found.append((node, key))
            else:
                walk(node[key], depth + 1)

    walk(data, 0)
    return found


def native_text(value: Any) -> str:
    """A native value as the text a file would hold (``True`` -> ``true``, ``12`` -> ``12``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


__all__ = [
    "MAX_INDEX",
    "WILDCARD",
    "Part",
    "Parts",
    "check_tree",
    "covers",
    "format_path",
    "generalize",
    "get_path",
    "native_text",
    "parents_of",
    "parse_path",
]
