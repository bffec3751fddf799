"""API unit fixtures: a hub on an in-memory SQLite store (no files), keys, a client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from crossdock.app import Application
from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector
from crossdock.connectors.registry import register
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    # Starlette warns that it prefers httpx2 over httpx; the client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from crossdock.api import create_api_key, create_app

KIND = "apitest-unit"


class _NoSettings(BaseModel):
    pass


class NullConnector(Connector):
    """A system that is neither source nor destination: enough for the API's own checks."""

    kind = KIND
    Settings = _NoSettings


@dataclass(frozen=True)
class Keys:
    read: str
    write: str
    admin: str
    revoked: str


@pytest.fixture
def hub() -> Iterator[Hub]:
    register(KIND, NullConnector)
    config = HubConfig(systems=[SystemConfig(name="erp", kind=KIND, settings={})])
    h = Hub(config, Store.open("sqlite:///:memory:"))
    yield h
    h.close()


@pytest.fixture
def keys(hub: Hub) -> Keys:
    revoked = create_api_key(hub.store, "gone", ["admin"])
    hub.store.keys.revoke(revoked.split("_")[1])
    return Keys(
        read=create_api_key(hub.store, "reader", ["read"]),
        write=create_api_key(hub.store, "erp", system="erp"),
        admin=create_api_key(hub.store, "boss", ["admin"]),
        revoked=revoked,
    )


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(Application(hub))) as c:
        yield c
