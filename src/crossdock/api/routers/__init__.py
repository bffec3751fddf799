"""One router per domain; :data:`ROUTERS` is what the app mounts under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from crossdock.api.routers import (
    as2,
    audit,
    availability,
    changes,
    customer_stewardship,
    customers,
    events,
    exceptions,
    health,
    metrics,
    onboarding,
    orders,
    pricing,
    proposals,
    records,
    routes,
    systems,
    webhooks,
)

# A request is matched against the routers in this order (FastAPI tries each in
# turn), so the real-time routes that answer channels and the WMS come first.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    *(availability.router, availability.reservations_router),
    records.router,
    changes.router,
    events.router,
    exceptions.router,
    routes.router,
    systems.router,
    proposals.router,
    webhooks.router,
    as2.router,
    metrics.router,
    pricing.router,
    orders.router,
    customers.router,
    onboarding.router,
    customer_stewardship.router,
    audit.router,
)

__all__ = ["ROUTERS"]
