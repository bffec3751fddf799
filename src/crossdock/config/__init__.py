"""The hub file (crossdock.yaml): typed config, loading and validation."""

from crossdock.config.hub import (
    EntityOwnership,
    HubConfig,
    NonOwnerPolicy,
    RetryPolicy,
    RouteConfig,
    StoreConfig,
    SystemConfig,
)
from crossdock.config.loader import ConfigError, load_hub, parse_hub

__all__ = [
    "ConfigError",
    "EntityOwnership",
    "HubConfig",
    "NonOwnerPolicy",
    "RetryPolicy",
    "RouteConfig",
    "StoreConfig",
    "SystemConfig",
    "load_hub",
    "parse_hub",
]
