"""``Hub.system_links``: which systems are asked, and a connector that cannot be built."""

from __future__ import annotations

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, LinkStatus
from crossdock.connectors.registry import register
from crossdock.errors import ConfigInvalid
from crossdock.store import Store
from crossdock.sync.runtime import Hub


class _Settings(BaseModel):
    lag: int = 0
    broken: bool = False


class _Linked(Connector[_Settings]):
    kind = "links-test"
    Settings = _Settings

    def __init__(self, system: SystemConfig, settings: BaseModel, hub: HubConfig) -> None:
        super().__init__(system, settings, hub)
        if self.settings.broken:
            raise ConfigInvalid("LINKS_TEST_TOKEN is not set", field="token_env")

    def link_status(self, timeout: float) -> LinkStatus:
        return LinkStatus(True, "connected", where="here", pending=self.settings.lag)


class _Silent(Connector[_Settings]):
    kind = "links-test-silent"
    Settings = _Settings


def test_only_kinds_that_report_are_asked_and_a_build_error_is_a_reason() -> None:
    register(_Linked.kind, _Linked)
    register(_Silent.kind, _Silent)
    cfg = HubConfig(
        systems=[
            SystemConfig(name="a", kind=_Linked.kind, settings={"lag": 4}),
            SystemConfig(name="quiet", kind=_Silent.kind),
            SystemConfig(name="b", kind=_Linked.kind, settings={"broken": True}),
        ]
    )
    hub = Hub(cfg, Store.open("sqlite:///:memory:"))
    try:
        links = hub.system_links(timeout=1)
    finally:
        hub.close()
    assert [(s.system, s.kind) for s in links] == [("a", _Linked.kind), ("b", _Linked.kind)]
    assert links[0].link == LinkStatus(True, "connected", where="here", pending=4)
    assert links[1].link.connected is False
    assert links[1].link.detail.startswith("not configured: ")
    assert "LINKS_TEST_TOKEN" in links[1].link.detail
