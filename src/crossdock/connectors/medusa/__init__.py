"""The ``medusa`` connector: a Medusa v2 commerce store, fed products, prices and stock.

Pushes canonical products as Medusa products with one variant per sellable
unit (each, case, pallet) priced from the list price, and stock as inventory
levels per stock location from the web channel's available-to-promise; never
creates anything twice (found by handle, SKU and name before any create).
Registered under the ``crossdock.connectors`` entry point ``medusa``.
"""

from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.connector import MedusaConnector
from crossdock.connectors.medusa.destination import MedusaDestination

__all__ = ["MedusaClient", "MedusaConnector", "MedusaDestination", "MedusaSettings"]
