"""Connector bookmarks in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from crossdock.store import Store
from crossdock.store.connector_state import ConnectorState

pytestmark = pytest.mark.integration


def test_values_are_kept_per_system_and_replaced(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        erp, other = ConnectorState(store, "erp"), ConnectorState(store, "other")
        assert erp.get("since:products") is None
        erp.set("since:products", "2026-12-01T10:00:00+00:00")
        erp.set("since:products", "2026-12-01T11:00:00+00:00")
        erp.set("since:customers", "2026-12-01T09:00:00+00:00")
        other.set("since:products", "x")
        assert erp.get("since:products") == "2026-12-01T11:00:00+00:00"
        assert erp.all() == {
            "since:products": "2026-12-01T11:00:00+00:00",
            "since:customers": "2026-12-01T09:00:00+00:00",
        }
        # A second store on the same database (another process) sees them.
        again = Store.open(store_url)
        try:
            assert ConnectorState(again, "other").all() == {"since:products": "x"}
        finally:
            again.close()
    finally:
        store.close()
