"""Services: domain logic on canonical data (pricing, availability, ...).

:func:`attach` gives a hub the sync steps its hub file asks of the services
(today: publishing customer prices for routes to channels). The faces that run
sync passes (`crossdock serve`, `crossdock sync`) call it once per hub.
"""

from __future__ import annotations

from crossdock.sync.runtime import Hub


def attach(hub: Hub) -> None:
    """Add the services' steps the hub file configures to the hub's sync passes."""
    pricing = hub.config.pricing
    if pricing is not None and pricing.publish:
        from crossdock.services.pricing.publish import PricePublisher
        from crossdock.services.pricing.service import PricingService

        publisher = PricePublisher(PricingService(hub.store, pricing), hub.ingestor)
        hub.add_step("pricing.publish", publisher.run)


__all__ = ["attach"]
