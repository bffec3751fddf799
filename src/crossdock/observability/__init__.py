"""Logs, metrics and lineage an operator can act on."""

from crossdock.observability.logging import configure_logging

__all__ = ["configure_logging"]
