"""The migrations build exactly the tables ``store/schema`` declares (SQLite and PostgreSQL).

Migrations after the first are written by hand (and chained by hand when
branches meet); this catches a column, index or table that one side lacks.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crossdock.store import Store
from crossdock.store.migrate import current_revision, head_revision
from crossdock.store.schema import metadata

pytestmark = pytest.mark.integration


def test_upgrading_to_head_gives_the_declared_schema(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()
