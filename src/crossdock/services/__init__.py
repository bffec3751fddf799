"""Services: domain logic on canonical data (pricing, availability, ...).

:func:`attach` gives a hub the sync steps its hub file asks of the services
(publishing customer prices for routes to channels; feeding committed
inventory to the stock positions, sweeping expired reservations and sending
queued availability changes). The faces that run
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
    # Availability is always on: inventory the hub holds is stock it can promise.
    from crossdock.services.availability.service import service_for

    availability = service_for(hub)

    def feed_inventory() -> None:
        # Canonical inventory committed since the last pass reaches the stock positions.
        availability.inventory.run()

    def sweep_and_publish() -> None:
        # Expired holds give their units back; ATP changes a crashed process had
        # queued but not yet sent go out now.
        availability.reservations.sweep()
        availability.ctx.publisher.drain()

    hub.add_step("availability.inventory", feed_inventory)
    hub.add_step("availability.sweep", sweep_and_publish)


__all__ = ["attach"]
