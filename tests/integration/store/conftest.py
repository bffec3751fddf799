"""The store of each kind the repository contracts run on: SQLite, PostgreSQL, in-memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crossdock.store import Store
from crossdock.store.memory import MemoryStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "memory"])
def any_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """A store of each kind: the same suite runs on all three."""
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")  # skipped (or failed) as conftest says
    s = Store.open(url)
    yield s
    s.close()
