"""Raw input on exception rows is kept whole within the limits, as a marker past them."""

from __future__ import annotations

from typing import Any

from crossdock.model.limits import MAX_DEPTH
from crossdock.store import raw_input
from crossdock.store.jsoncodec import dumps


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_within_the_limits_the_input_is_kept_whole() -> None:
    payload = {"change": {"data": {"sku": "A", "deep": _nested(MAX_DEPTH - 3)}}}
    assert raw_input.show(raw_input.keep(payload)) == payload


def test_too_large_input_becomes_a_marker_with_its_first_bytes() -> None:
    payload = {"raw": "x" * (raw_input.MAX_KEPT_BYTES + 10)}
    shown = raw_input.show(raw_input.keep(payload))
    assert shown is not None and shown["truncated"] is True
    assert shown["original_bytes"] > raw_input.MAX_KEPT_BYTES
    assert len(shown["text"]) == raw_input.MAX_KEPT_BYTES
    assert "256" not in shown["reason"] or str(raw_input.MAX_KEPT_BYTES) in shown["reason"]


def test_too_deep_input_and_legacy_rows_read_as_markers() -> None:
    payload = {"change": {"data": _nested(300)}}
    kept = raw_input.show(raw_input.keep(payload))
    assert kept is not None and kept["truncated"] and "nested deeper" in kept["reason"]
    legacy = raw_input.show(dumps(payload))  # written before the rule
    assert legacy is not None and legacy["truncated"]
