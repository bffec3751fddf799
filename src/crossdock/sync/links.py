"""Each system's link as its connector sees it now: connected, its lag, or why not.

Only kinds that can say (a connector overriding
:meth:`~crossdock.connectors.base.Connector.link_status`, the brokers today)
are asked; the others are left out rather than guessed at. Every system is
asked at once, each within the timeout, so one broker that is down or silent
costs the caller that timeout once, not once per system.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crossdock.config.hub import SystemConfig
from crossdock.connectors.base import Connector, LinkStatus
from crossdock.connectors.registry import connector_class
from crossdock.errors import CrossdockError

if TYPE_CHECKING:
    from crossdock.sync.runtime import Hub

DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class SystemLink:
    system: str
    kind: str
    link: LinkStatus


def _reports(cfg: SystemConfig) -> bool:
    try:
        cls = connector_class(cfg.kind)
    except CrossdockError:
        return False
    return cls.link_status is not Connector.link_status


def system_links(hub: Hub, timeout: float = DEFAULT_TIMEOUT) -> list[SystemLink]:
    """The link of every system whose kind reports one, in the hub file's order."""
    systems = [s for s in hub.config.systems if _reports(s)]
    if not systems:
        return []

    def one(cfg: SystemConfig) -> SystemLink | None:
        try:
            link = hub.connector(cfg.name).link_status(timeout)
        except CrossdockError as exc:  # e.g. its password variable is not set here
            link = LinkStatus(connected=False, detail=f"not configured: {exc}")
        return None if link is None else SystemLink(cfg.name, cfg.kind, link)

    with ThreadPoolExecutor(max_workers=min(8, len(systems)), thread_name_prefix="links") as pool:
        found = list(pool.map(one, systems))
    return [s for s in found if s is not None]


__all__ = ["DEFAULT_TIMEOUT", "SystemLink", "system_links"]
