"""What a route sends: the fields it names, of the records its filter admits."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from crossdock.config.hub import RouteConfig
from crossdock.config.masking import mask_paths, visible_paths
from crossdock.model.base import EntityType
from crossdock.model.paths import any_glob_matches, flatten, glob_matches, unflatten


def passes_filter(route: RouteConfig, data: Mapping[str, Any]) -> bool:
    """All filter paths must hold one of their allowed values (compared as text)."""
    if not route.filter:
        return True
    flat = flatten(data)
    for path, allowed in route.filter.items():
        value = flat.get(path)
        if value is None or str(value) not in {str(a) for a in allowed}:
            return False
    return True


@lru_cache(maxsize=1024)
def _top_level_names(fields: tuple[str, ...]) -> frozenset[str] | None:
    """The names, when every glob is a plain top-level field name (the common route)."""
    if any(c in g for g in fields for c in "*?[."):
        return None
    return frozenset(fields)


def project(
    route: RouteConfig, data: Mapping[str, Any], entity_type: EntityType | None = None
) -> dict[str, Any]:
    """The record reduced to the route's fields (nested form), less what is masked.

    ``entity_type`` names the masking rules for the route's destination; ``None``
    applies none.
    """
    masked = route.masked(entity_type) if entity_type is not None else ()
    if masked:
        return mask_paths(_project(route, data), masked)
    return _project(route, data)


def visible_changes(route: RouteConfig, entity_type: EntityType, changed: list[str]) -> list[str]:
    """The changed paths the destination may see: a change of masked fields alone is none."""
    masked = route.masked(entity_type)
    return visible_paths(changed, masked) if masked else changed


def _project(route: RouteConfig, data: Mapping[str, Any]) -> dict[str, Any]:
    if route.fields == ["*"]:
        return dict(data)
    names = _top_level_names(tuple(route.fields))
    if names is not None:
        # A plain name selects that field and everything below it: no need to flatten.
        return {k: v for k, v in data.items() if k in names}
    flat = flatten(data)
    return unflatten(
        {p: v for p, v in flat.items() if any(glob_matches(g, p) for g in route.fields)}
    )


def touches(route: RouteConfig, changed: list[str]) -> bool:
    """Whether a change of these paths is one the route must send."""
    if route.fields == ["*"]:
        return True
    return _touches(tuple(route.fields), tuple(changed))


@lru_cache(maxsize=4096)
def _touches(fields: tuple[str, ...], changed: tuple[str, ...]) -> bool:
    # The same few sets of changed paths recur across a route's events.
    return any(p == "_deleted" or any_glob_matches(fields, p) for p in changed)


def changes_filter(route: RouteConfig, changed: list[str]) -> bool:
    """Whether a change moved a field the route filters on (it may have entered or left)."""
    if not route.filter:
        return False
    return any(p == f or p.startswith(f + ".") for f in route.filter for p in changed)


__all__ = ["changes_filter", "passes_filter", "project", "touches", "visible_changes"]
