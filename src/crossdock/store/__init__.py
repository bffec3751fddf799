"""Persistence: canonical records, crosswalk, outbox, cursors, exceptions; SQLite or PostgreSQL.

``Store`` opens transactions and exposes one repository per table family
(``store.records``, ``store.crosswalk``, ``store.outbox``, ...); no code outside
this package writes SQL or imports SQLAlchemy.
"""

from crossdock.store.errors import StoreConflict, StoreError, StoreUnavailable
from crossdock.store.facade import Store
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.records import (
    ApiKeyRow,
    EventRow,
    ExceptionRow,
    ExceptionStatus,
    NewException,
    ParkedRow,
    ParkedStatus,
    ProposalRow,
    ProposalStatus,
    RouteCursor,
    StoredRecord,
)
from crossdock.store.repos.parked import NewParked
from crossdock.store.write import WriteTx

__all__ = [
    "ApiKeyRow",
    "EventRow",
    "ExceptionRow",
    "ExceptionStatus",
    "NewException",
    "NewParked",
    "ParkedRow",
    "ParkedStatus",
    "ProposalRow",
    "ProposalStatus",
    "RouteCursor",
    "Store",
    "StoreConflict",
    "StoreError",
    "StoreUnavailable",
    "StoredRecord",
    "WriteTx",
    "dumps",
    "loads",
]
