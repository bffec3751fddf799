"""The ``medusa`` connector: a Medusa v2 commerce store, fed products, prices, stock, B2B buyers.

Pushes canonical products as Medusa products with one variant per sellable
unit (each, case, pallet) priced from the list price, and stock as inventory
levels per stock location from the web channel's available-to-promise; B2B
accounts as customer groups with their buyers, each account's published
prices as an override price list for its group (:mod:`.pricelists`,
:mod:`.customers`), and the hub's shipments and cancellations of the orders
placed there (:mod:`.fulfilment`). It never creates anything twice (found by
handle, SKU, name, e-mail or metadata before any create).
Registered under the ``crossdock.connectors`` entry point ``medusa``.
"""

from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.connector import MedusaConnector
from crossdock.connectors.medusa.destination import MedusaDestination

__all__ = ["MedusaClient", "MedusaConnector", "MedusaDestination", "MedusaSettings"]
