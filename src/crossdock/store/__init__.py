"""Persistence: canonical records, crosswalk, outbox, cursors, exceptions; SQLite or PostgreSQL."""

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
from crossdock.store.repository import Store, save_cursor
from crossdock.store.write import WriteTx

__all__ = [
    "ApiKeyRow",
    "EventRow",
    "ExceptionRow",
    "ExceptionStatus",
    "NewException",
    "ParkedRow",
    "ParkedStatus",
    "ProposalRow",
    "ProposalStatus",
    "RouteCursor",
    "Store",
    "StoredRecord",
    "WriteTx",
    "dumps",
    "loads",
    "save_cursor",
]
