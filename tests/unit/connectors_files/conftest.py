"""Fixtures for the files connector tests: a connector built through the registry in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import InboundUnit, SourceError, SourceItem
from crossdock.connectors.files import FilesConnector
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.registry import build_connector
from crossdock.model.change import Change

BuildFiles = Callable[..., FilesConnector]


@pytest.fixture
def build(tmp_path: Path) -> Iterator[BuildFiles]:
    """Build ``erp`` (kind files) through the registry; relative paths land in tmp_path."""
    made: list[FilesConnector] = []

    def make(**settings: Any) -> FilesConnector:
        system = SystemConfig(name="erp", kind="files", settings=settings)
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, FilesConnector)
        made.append(connector)
        return connector

    yield make
    for c in made:
        c.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


Drained = tuple[list[Change], list[SourceError]]


def _drain(unit: InboundUnit) -> Drained:
    changes: list[Change] = []
    errors: list[SourceError] = []
    item: SourceItem
    for item in unit.items:
        if isinstance(item, SourceError):
            errors.append(item)
        else:
            changes.append(item)
    return changes, errors


@pytest.fixture
def drain() -> Callable[[InboundUnit], Drained]:
    """Split a unit's items into changes and source errors."""
    return _drain


@pytest.fixture
def read(build: BuildFiles, inbox: Path) -> Callable[..., Drained]:
    """Write one file into the inbox, read it through a one-mapping connector."""

    def run(name: str, content: str | bytes, **mapping: Any) -> Drained:
        path = inbox / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        mapping.setdefault("pattern", name)
        source = build(inbox=str(inbox), mappings=[mapping]).source()
        assert isinstance(source, FilesSource)
        return _drain(source.read_file(path))

    return run
