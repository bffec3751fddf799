"""The Tryton connector's source keeps the connector contract, against a real trytond."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.connectors.kit.testing import SourceContract
from crossdock.connectors.tryton import TrytonConnector
from crossdock.sync.runtime import Hub, parse_checked

from .conftest import hub_yaml
from .tryton_server import TrytonServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class _TrytonSourceHarness:
    def __init__(self, hub: Hub) -> None:
        connector = hub.connector("tryton")
        assert isinstance(connector, TrytonConnector)
        self.connector = connector
        source = connector.source()
        assert source is not None
        self.source = source

    def offer(self, names: list[str]) -> list[str]:
        ids = self.connector.client.create(
            "party.party", [{"name": f"Contract {n}", "code": f"K-{n}"} for n in names]
        )
        return [str(i) for i in ids]


class TestTrytonSource(SourceContract):
    @pytest.fixture
    def harness(
        self, tryton: TrytonServer, tmp_path: Path, hub_env: None
    ) -> Iterator[_TrytonSourceHarness]:
        hub = Hub.open(parse_checked(hub_yaml(tryton, tmp_path), str(tmp_path / "hub.yaml")))
        try:
            yield _TrytonSourceHarness(hub)
        finally:
            hub.close()
