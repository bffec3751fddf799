"""The ``tryton`` connector: a Tryton ERP (trytond 8.2) over JSON-RPC, in both directions.

Pulls customers, products, price lists, stock per warehouse and the status of
the sales it pushed, incrementally by Tryton's change timestamps behind a
bookmark in the hub's store; pushes orders as confirmed sales (never twice)
and customers as parties. Registered under the ``crossdock.connectors``
entry point ``tryton``.
"""

from crossdock.connectors.tryton.client import TrytonClient
from crossdock.connectors.tryton.config import PullKind, TrytonSettings
from crossdock.connectors.tryton.connector import TrytonConnector

__all__ = ["PullKind", "TrytonClient", "TrytonConnector", "TrytonSettings"]
