"""Turning a pydantic validation error into the one problem a person should fix first.

A misspelt key (``destinaton:``) makes pydantic report two things: the
unknown key, and the required key it was meant to be. The unknown key is the
cause, so it comes first, with the nearest known key as a suggestion. Paths
are written as the hub file's own lines are indexed (``routes[1].destination``),
so the loader can point at the line.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError


def path_of(loc: Sequence[Any], prefix: str = "") -> str:
    """``("routes", 1, "destination")`` as ``routes[1].destination`` (after ``prefix``)."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _inner(annotation: Any) -> list[Any]:
    """The model classes an annotation can hold (through lists, dicts, unions, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, frozenset, Sequence):
        return [t for a in typing.get_args(annotation) for t in _inner(a)]
    if origin is dict:
        args = typing.get_args(annotation)
        return _inner(args[1]) if len(args) == 2 else []
    if origin in (Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _inner(a)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def known_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The field names of the model found at ``loc`` (the parent of a key), if one is."""
    current: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        following: list[type[BaseModel]] = []
        for m in current:
            field = m.model_fields.get(str(part))
            if field is not None:
                following += _inner(field.annotation)
        if not following:  # a dict key (a system name, a glob): the value's model stays
            continue
        current = following
    names: list[str] = []
    for m in current:
        names += [f.alias or n for n, f in m.model_fields.items()]
    return list(dict.fromkeys(names))


def first_problem(
    exc: ValidationError, model: type[BaseModel], prefix: str = ""
) -> tuple[str, str]:
    """``(path, reason)`` of the error to fix first, with a suggestion for an unknown key."""
    errors = exc.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    chosen = extra[0] if extra else errors[0]
    loc = tuple(chosen["loc"])
    path = path_of(loc, prefix)
    if chosen["type"] == "extra_forbidden":
        key = str(loc[-1])
        known = known_keys(model, loc[:-1])
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        reason = f"unknown key {key!r}"
        reason += f"; did you mean {near[0]!r}?" if near else ""
        if known:
            reason += f" (known here: {', '.join(sorted(known))})"
        return path, reason
    msg = str(chosen["msg"]).removeprefix("Value error, ")
    if not loc and ": " in msg:
        # A check across the file names its own place: "routes[1].destination: unknown ..."
        head, _, rest = msg.partition(": ")
        if head and " " not in head:
            return (f"{prefix}.{head}" if prefix else head), rest
    return path, msg


__all__ = ["first_problem", "known_keys", "path_of"]
