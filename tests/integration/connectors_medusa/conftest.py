"""One real Medusa v2 per test run (see ``medusa_server.py``), skipped where it cannot run.

Without Node.js and npm, or without ``CROSSDOCK_TEST_PG_URL``, the Medusa tests
are skipped with the reason; with ``CROSSDOCK_REQUIRE_MEDUSA=1`` (``.ci/run``)
they fail instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import NoReturn

import pytest

from .medusa_server import MedusaPeer, drop_database, start, stop, tools_missing

REQUIRE = os.environ.get("CROSSDOCK_REQUIRE_MEDUSA") == "1"


def _unavailable(reason: str) -> NoReturn:
    if REQUIRE:
        pytest.fail(f"CROSSDOCK_REQUIRE_MEDUSA=1 but Medusa cannot run: {reason}")
    pytest.skip(f"Medusa tests skipped: {reason}")


@pytest.fixture(scope="session")
def medusa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedusaPeer]:
    """A running Medusa with a secret API key; stopped and its database dropped at the end."""
    missing = tools_missing()
    if missing:
        _unavailable(missing)
    server = os.environ.get("CROSSDOCK_TEST_PG_URL")
    if not server:
        _unavailable("set CROSSDOCK_TEST_PG_URL (Medusa keeps its data in PostgreSQL)")
    peer = start(server, tmp_path_factory.mktemp("medusa") / "medusa.log")
    print(
        "medusa peer: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in peer.timings.items())
        + f" at {peer.url}",
        file=sys.stderr,
    )
    try:
        yield peer
    finally:
        stop(peer.process)
        drop_database(peer.database_url)
