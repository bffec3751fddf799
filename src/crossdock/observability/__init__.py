"""Logs, metrics and lineage an operator can act on."""

from crossdock.observability.logging import configure_logging
from crossdock.observability.metrics import RouteGauges, StoreGauges, render

__all__ = ["RouteGauges", "StoreGauges", "configure_logging", "render"]
