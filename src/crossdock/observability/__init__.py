"""Logs, metrics and lineage an operator can act on."""

from crossdock.observability.logging import configure_logging
from crossdock.observability.metrics import OrderGauges, RouteGauges, StoreGauges, render

__all__ = ["OrderGauges", "RouteGauges", "StoreGauges", "configure_logging", "render"]
