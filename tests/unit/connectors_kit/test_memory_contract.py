"""The in-memory source and destination keep the connector contract (the reference pair)."""

from __future__ import annotations

from typing import Any

import pytest

from crossdock.connectors.kit.testing import (
    DestinationContract,
    MemoryDestination,
    MemorySource,
    SourceContract,
)
from crossdock.model.base import EntityType
from crossdock.model.change import Change


class _MemorySourceHarness:
    def __init__(self) -> None:
        self.source = MemorySource("mem")
        self.n = 0

    def offer(self, native_ids: list[str]) -> list[str]:
        self.n += 1
        items = [
            Change(system="mem", entity_type=EntityType.PRODUCT, native_id=n, data={"sku": n})
            for n in native_ids
        ]
        self.source.offer(f"unit-{self.n}", list(items))
        return native_ids


class _MemoryDestinationHarness:
    entity_type = EntityType.PRODUCT

    def __init__(self) -> None:
        self.destination = MemoryDestination()

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}"}

    def held(self) -> dict[str, Any]:
        return {eid: data for (_, eid), data in self.destination.held.items()}

    def break_(self, how: str) -> bool:
        self.destination.failing = how
        return True


class TestMemorySource(SourceContract):
    @pytest.fixture
    def harness(self) -> _MemorySourceHarness:
        return _MemorySourceHarness()


class TestMemoryDestination(DestinationContract):
    @pytest.fixture
    def harness(self) -> _MemoryDestinationHarness:
        return _MemoryDestinationHarness()
