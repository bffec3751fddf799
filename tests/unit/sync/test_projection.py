"""A route's projection: the plain-names fast path is the general glob rule, exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.config.hub import RouteConfig
from crossdock.model.base import EntityType
from crossdock.model.paths import flatten, glob_matches, unflatten
from crossdock.sync.projection import project

NAMES = st.sampled_from(["sku", "cost", "units", "dims", "status", "x"])
LEAF = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
VALUE = st.recursive(LEAF, lambda inner: st.dictionaries(NAMES, inner, max_size=3), max_leaves=8)


def by_globs(fields: list[str], data: dict[str, Any]) -> dict[str, Any]:
    flat = flatten(data)
    return unflatten({p: v for p, v in flat.items() if any(glob_matches(g, p) for g in fields)})


@given(st.dictionaries(NAMES, VALUE, max_size=6), st.lists(NAMES, min_size=1, max_size=4))
def test_plain_names_project_as_the_globs_say(data: dict[str, Any], fields: list[str]) -> None:
    route = RouteConfig(name="r", entities=[EntityType.PRODUCT], destination="d", fields=fields)
    assert project(route, data) == by_globs(fields, data)


def test_nested_globs_still_take_the_general_path() -> None:
    route = RouteConfig(
        name="r", entities=[EntityType.PRODUCT], destination="d", fields=["dims.w*", "sku"]
    )
    data = {"sku": "A", "dims": {"weight": 1, "height": 2}, "cost": "1"}
    assert project(route, data) == {"sku": "A", "dims": {"weight": 1}}
