"""Field paths: how a nested record is addressed field by field.

A record's fields are its leaf paths joined by dots (``dimensions.weight``);
lists are leaves (a customer's ``sites`` is one field), because list items
rarely carry an identity every system agrees on. Ownership, provenance,
route projections and filters all speak in these paths.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a nested mapping; an empty mapping is a leaf of its own."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The nested mapping of leaf paths (inverse of :func:`flatten`)."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[leaf] = value
    return out


@lru_cache(maxsize=65536)
def glob_matches(glob: str, path: str) -> bool:
    """Whether ``glob`` names ``path``: an fnmatch glob, or a parent of it (``dimensions``)."""
    return glob == path or path.startswith(glob + ".") or fnmatch.fnmatchcase(path, glob)


def glob_specificity(glob: str) -> tuple[int, int]:
    """Sort key: more literal characters, then fewer wildcards, is more specific."""
    wild = sum(glob.count(c) for c in "*?[")
    return (len(glob) - wild, -wild)


def any_glob_matches(globs: Iterable[str], path: str) -> bool:
    return any(glob_matches(g, path) for g in globs)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None`` or ``Optional[X]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return _submodel(args[0])
    return None


@lru_cache(maxsize=256)
def _schema_tree(model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """Nested-submodel paths of a model -> the leaf paths below each."""
    tree: dict[str, tuple[str, ...]] = {}

    def walk(m: type[BaseModel], prefix: str) -> list[str]:
        leaves: list[str] = []
        for name, info in m.model_fields.items():
            path = prefix + name
            sub = _submodel(info.annotation)
            if sub is None:
                leaves.append(path)
            else:
                below = walk(sub, path + ".")
                tree[path] = tuple(below)
                leaves.extend(below)
        return leaves

    walk(model, "")
    return tree


def _list_item(annotation: Any) -> Any:
    """The item type of ``list[X]`` (also inside ``| None``), else ``None``."""
    if get_origin(annotation) in (Union, UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _list_item(inner[0]) if len(inner) == 1 else None
    if get_origin(annotation) in (list, tuple):
        args = get_args(annotation)
        return args[0] if args else Any
    return None


def _free_form(annotation: Any) -> bool:
    """A mapping or ``Any``: any path below it is the data's business."""
    if annotation is Any:
        return True
    if get_origin(annotation) in (Union, UnionType):
        return any(_free_form(a) for a in get_args(annotation) if a is not type(None))
    return get_origin(annotation) in (dict, Mapping) or annotation is dict


def path_problem(model: type[BaseModel], parts: tuple[str | int, ...]) -> str | None:
    """Why a field path (names and list indexes) is not a field of ``model``, or ``None``."""
    current: Any = model
    walked = ""
    for part in parts:
        if isinstance(part, int):
            item = _list_item(current)
            if item is None:
                return f"{walked or 'it'} is not a list"
            current = item
            continue
        sub = _submodel(current)
        if sub is None:
            if _free_form(current):
                return None
            return f"{walked} has no fields below it (it is a single value)"
        fields = {f.alias or n: f for n, f in sub.model_fields.items()}
        info = fields.get(part)
        if info is None:
            here = f"{sub.__name__}{' at ' + walked if walked else ''}"
            near = difflib.get_close_matches(part, list(fields), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            return f"{part!r} is not a field of {here}{hint}"
        current = info.annotation
        walked = f"{walked}.{part}" if walked else part
    return None


def _leaf(annotation: Any) -> Any:
    """``X`` of ``Annotated[X, ...]``, ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, UnionType):
            inner = [a for a in get_args(annotation) if a is not type(None)]
            if len(inner) == 1:
                annotation = inner[0]
                continue
        return annotation


def field_kind(model: type[BaseModel], parts: tuple[str | int, ...]) -> str | None:
    """``number``, ``date``, ``datetime`` or ``None`` (anything else) for a field path."""
    if path_problem(model, parts) is not None:
        return None
    current: Any = model
    for part in parts:
        if isinstance(part, int):
            current = _list_item(current)
            continue
        sub = _submodel(current)
        if sub is None:
            return None
        fields = {f.alias or n: f for n, f in sub.model_fields.items()}
        current = fields[part].annotation
    leaf = _leaf(current)
    if isinstance(leaf, type):
        if issubclass(leaf, bool):
            return None
        if issubclass(leaf, Decimal | int | float):
            return "number"
        if issubclass(leaf, datetime):
            return "datetime"
        if issubclass(leaf, date):
            return "date"
    return None


def flatten_record(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """Leaf paths of a record as its model declares them.

    Only nested *models* are descended into; lists and free-form mappings are
    leaves. A nested model set to ``None`` becomes ``None`` at each of its
    leaves, so two paths of a record never overlap, whatever a change says:
    the property the merge's order-independence rests on.
    """
    tree = _schema_tree(model)
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = prefix + key
            below = tree.get(path)
            if below is None:
                out[path] = value
            elif isinstance(value, Mapping):
                walk(value, path + ".")
            elif value is None:
                for leaf in below:
                    out[leaf] = None
            else:
                out[path] = value  # not an object where one belongs: validation names it

    walk(data, "")
    return out


__all__ = [
    "any_glob_matches",
    "field_kind",
    "flatten",
    "flatten_record",
    "glob_matches",
    "glob_specificity",
    "path_problem",
    "unflatten",
]
