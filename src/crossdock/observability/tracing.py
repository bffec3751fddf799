"""Trace context across systems: W3C ``traceparent`` in, through the hub, and out again.

A change carries the ``traceparent`` of the request, webhook or message that
brought it (a new trace when none came). Ingest keeps it on the change's
outbox event, delivery sends it on (the ``traceparent`` header of the outbound
call and each delivery's own field; the CloudEvents ``traceparent``
extension in the feed), and lineage shows each version's trace id. So one id
follows a change from the ERP through the hub to the portal.

Spans are exported only when the hub file says ``tracing: {export: otlp}``
(endpoint and headers from the standard ``OTEL_EXPORTER_OTLP_*`` variables)
or ``console``; otherwise the ids are made here and nothing is exported.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
_propagator = TraceContextTextMapPropagator()
_exporting = False
_provider: Any = None
"""The provider spans go to; ours rather than OpenTelemetry's global (settable only once)."""


def parse(value: str | None) -> tuple[str, str, str] | None:
    """(trace id, parent id, flags) of a valid version-00 ``traceparent``, else ``None``."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or match.group(1) == _ZERO_TRACE or match.group(2) == _ZERO_SPAN:
        return None
    return match.group(1), match.group(2), match.group(3)


def trace_id(value: str | None) -> str | None:
    found = parse(value)
    return found[0] if found else None


def child_of(parent: str | None) -> str:
    """A ``traceparent`` for a new span under ``parent`` (a new trace if it is not valid)."""
    found = parse(parent)
    trace_hex = found[0] if found else secrets.token_hex(16)
    flags = found[2] if found else "01"
    return f"00-{trace_hex}-{secrets.token_hex(8)}-{flags}"


def _format(ctx: SpanContext) -> str:
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _context_of(value: str | None) -> Any:
    return _propagator.extract({"traceparent": value}) if parse(value) else None


@contextmanager
def span(
    name: str,
    parent: str | None,
    *,
    links: Sequence[str] = (),
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[str]:
    """A span named ``name`` under ``parent``; yields its ``traceparent``.

    ``links``: the trace contexts of other work this span takes part in (a batch
    delivery links the change of each record it carries).
    """
    if not _exporting:
        yield child_of(parent)
        return
    tracer = (_provider or trace.get_tracer_provider()).get_tracer("crossdock")
    linked = []
    for value in links:
        found = parse(value)
        if found:
            linked.append(
                Link(
                    SpanContext(
                        int(found[0], 16), int(found[1], 16), True, TraceFlags(int(found[2], 16))
                    )
                )
            )
    with tracer.start_as_current_span(
        name, context=_context_of(parent), links=linked, attributes=dict(attributes or {})
    ) as current:
        yield _format(current.get_span_context())


def configure(export: str, service_name: str = "crossdock") -> None:
    """Install the SDK's tracer provider for ``export`` (``otlp`` or ``console``), once."""
    global _exporting, _provider
    if export == "none" or _exporting:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if export == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    _exporting = True


def use_provider(provider: Any) -> None:
    """Export through ``provider`` (tests pass one with an in-memory exporter)."""
    global _exporting, _provider
    _provider = provider
    _exporting = True


def stop_exporting() -> None:
    """Back to making ids only (tests that installed a provider)."""
    global _exporting, _provider
    _exporting = False
    _provider = None


__all__ = [
    "child_of",
    "configure",
    "parse",
    "span",
    "stop_exporting",
    "trace_id",
    "use_provider",
]
