"""Field paths: how a nested record is addressed field by field.

A record's fields are its leaf paths joined by dots (``dimensions.weight``);
lists are leaves (a customer's ``sites`` is one field), because list items
rarely carry an identity every system agrees on. Ownership, provenance,
route projections and filters all speak in these paths.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any


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


__all__ = ["any_glob_matches", "flatten", "glob_matches", "glob_specificity", "unflatten"]
