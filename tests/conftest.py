"""Shared fixtures: a store URL per backend (SQLite file; PostgreSQL schema per test).

PostgreSQL tests run when ``CROSSDOCK_TEST_PG_URL`` names a server, e.g.
``CROSSDOCK_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/test``. Without it
they are skipped with that hint; with ``CROSSDOCK_REQUIRE_PG=1`` (CI) a missing or
unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests derandomized, so a red run is reproducible and a green one
# is not luck; locally they explore new examples on every run.
# No per-example deadline: these machines are shared, and a slow example is not a bug
# (speed is measured in benchmarks/, never asserted in tests).
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

PG_URL = os.environ.get("CROSSDOCK_TEST_PG_URL")
REQUIRE_PG = os.environ.get("CROSSDOCK_REQUIRE_PG") == "1"
PG_HINT = (
    "PostgreSQL tests skipped: set CROSSDOCK_TEST_PG_URL="
    "postgresql://postgres@127.0.0.1:5432/test to run them"
)


def _pg_schema_url() -> Iterator[str]:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("CROSSDOCK_REQUIRE_PG=1 but CROSSDOCK_TEST_PG_URL is not set")
        pytest.skip(PG_HINT)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
        pytest.skip(f"{PG_HINT} (unreachable: {exc})")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    yield from _pg_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that asks for it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.sqlite'}"
    else:
        yield from _pg_schema_url()
