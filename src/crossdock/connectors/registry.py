"""Finding a connector class by kind: entry points, plus explicit registration for tests.

The engine never names a concrete connector. A new system kind is a module
that declares an entry point in the ``crossdock.connectors`` group.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from pydantic import ValidationError

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.config.problems import first_problem
from crossdock.connectors.base import AnyConnector, Connector
from crossdock.errors import ConfigInvalid

GROUP = "crossdock.connectors"
_registered: dict[str, type[AnyConnector]] = {}


def register(kind: str, cls: type[AnyConnector]) -> None:
    """Register a connector class by hand (tests, plugins loaded without packaging)."""
    _registered[kind] = cls


def known_kinds() -> list[str]:
    kinds = set(_registered) | {ep.name for ep in entry_points(group=GROUP)}
    return sorted(kinds)


def connector_class(kind: str) -> type[AnyConnector]:
    if kind in _registered:
        return _registered[kind]
    for ep in entry_points(group=GROUP):
        if ep.name == kind:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise TypeError(f"entry point {ep.value} is not a Connector subclass")
            _registered[kind] = cls
            return cls
    raise ConfigInvalid(
        f"unknown connector kind {kind!r}; known: {', '.join(known_kinds())}", field="kind"
    )


def build_connector(system: SystemConfig, hub: HubConfig) -> AnyConnector:
    """Instantiate a system's connector with its settings validated."""
    cls = connector_class(system.kind)
    try:
        settings = cls.Settings.model_validate(system.settings)
    except ValidationError as exc:
        path, reason = first_problem(exc, cls.Settings, prefix="settings")
        raise ConfigInvalid(
            f"systems.{system.name}.{path}: {reason}", field=path, reason=reason
        ) from exc
    return cls(system, settings, hub)


__all__ = ["GROUP", "build_connector", "connector_class", "known_kinds", "register"]
