"""The database errors callers outside the store may catch, under names that say what they mean.

Code outside ``crossdock.store`` imports no SQLAlchemy; it catches these.
Whether an error is worth a retry is the dialect's answer
(:meth:`crossdock.store.dialect.Dialect.is_transient`, through ``Store.is_transient``).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

StoreError = DBAPIError
"""Any error the database raised."""
StoreConflict = IntegrityError
"""A constraint refused a write (a concurrent writer took the key first)."""
StoreUnavailable = OperationalError
"""The database is busy, locked or out of reach."""

__all__ = ["StoreConflict", "StoreError", "StoreUnavailable"]
