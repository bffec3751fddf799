"""W3C trace context: what is accepted, and what a child keeps."""

from __future__ import annotations

from crossdock.observability import tracing

T = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_valid_traceparent_is_parsed_and_a_bad_one_refused() -> None:
    assert tracing.parse(T) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01")
    assert tracing.parse(T.upper()) is not None
    for bad in (
        None,
        "",
        "garbage",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # unknown version
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # zero parent id
        "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",  # short trace id
    ):
        assert tracing.parse(bad) is None, bad


def test_a_child_keeps_the_trace_and_gets_its_own_span() -> None:
    child = tracing.child_of(T)
    assert tracing.trace_id(child) == tracing.trace_id(T)
    assert tracing.parse(child)[1] != "b7ad6b7169203331"  # type: ignore[index]
    assert tracing.parse(child)[2] == "01"  # type: ignore[index]
    fresh = tracing.child_of("not a traceparent")
    assert tracing.parse(fresh) is not None and tracing.trace_id(fresh) != tracing.trace_id(T)
    assert tracing.trace_id(tracing.child_of(None)) != tracing.trace_id(tracing.child_of(None))
