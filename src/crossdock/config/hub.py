"""The hub file's typed shape: systems, ownership, routes.

Connector settings stay an open mapping here and are validated against the
connector's own settings model by :mod:`crossdock.config.loader`, so a new
connector kind never edits this module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from crossdock.config.access import AccessConfig
from crossdock.config.alerts import AlertsConfig
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.customers import CustomersConfig
from crossdock.config.event_stream import EventStreamConfig, expand
from crossdock.config.masking import CHANNELS, MaskingConfig, Viewer
from crossdock.config.orders import PUBLISHER as ORDERS_PUBLISHER
from crossdock.config.orders import OrdersConfig
from crossdock.config.pricing import PricingConfig
from crossdock.config.retention import RetentionConfig
from crossdock.model.base import EntityType
from crossdock.model.paths import any_glob_matches


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NonOwnerPolicy(StrEnum):
    """What happens when a system that does not own a field sends a value for it."""

    REJECT = "reject"
    IGNORE = "ignore"
    PROPOSE = "propose"


class RateLimit(_Strict):
    """At most ``per_second`` deliveries a second to one destination, ``burst`` at once."""

    per_second: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)


class ThrottleConfig(_Strict):
    """Inbound throttling: each key, and each system over all its keys, has a token bucket.

    Shared by every API process on one store. A request over the limit is answered
    429 with ``Retry-After``.
    """

    enabled: bool = True
    per_key: RateLimit = RateLimit(per_second=500, burst=1000)
    per_system: RateLimit = RateLimit(per_second=1000, burst=2000)
    systems: dict[str, RateLimit] = Field(
        default_factory=dict, description="per system name: its own limit (over all its keys)"
    )
    keys: dict[str, RateLimit] = Field(
        default_factory=dict, description="per key prefix: its own limit"
    )

    def for_key(self, prefix: str) -> RateLimit:
        return self.keys.get(prefix, self.per_key)

    def for_system(self, system: str) -> RateLimit:
        return self.systems.get(system, self.per_system)


class TracingConfig(_Strict):
    """Span export; the trace context itself always flows (see observability.tracing)."""

    export: Literal["none", "otlp", "console"] = Field(
        default="none",
        description="otlp: to the collector in OTEL_EXPORTER_OTLP_ENDPOINT (needs crossdock[otel])",
    )
    service_name: str = Field(default="crossdock", min_length=1, max_length=64)


class CircuitPolicy(_Strict):
    """Open after ``failures`` consecutive failed pushes; probe again after ``open_seconds``."""

    failures: int = Field(default=5, ge=1, le=1000)
    open_seconds: float = Field(default=30.0, gt=0)


class SystemConfig(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$", description="unique system name")
    kind: str = Field(description="connector kind, e.g. files, webhook")
    settings: dict[str, Any] = Field(default_factory=dict)
    rate_limit: RateLimit | None = Field(default=None, description="as a destination")
    circuit: CircuitPolicy = CircuitPolicy()


class EntityOwnership(_Strict):
    """Who owns an entity's fields; the most specific matching glob wins."""

    owner: str = Field(description="system of record for fields no glob names")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description='field path glob -> owning system, or "*" for a field every system shares',
    )
    non_owner: NonOwnerPolicy = NonOwnerPolicy.REJECT
    create: list[str] | None = Field(
        default=None,
        description="systems that may create a record; default: any system that owns a field",
    )


class RetryPolicy(_Strict):
    attempts: int = Field(default=5, ge=1, le=100)
    base_seconds: float = Field(default=0.5, gt=0)
    cap_seconds: float = Field(default=60.0, gt=0)


class RouteConfig(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    entities: list[EntityType] = Field(min_length=1)
    destination: str
    fields: list[str] = Field(default_factory=lambda: ["*"], description="field path globs sent")
    filter: dict[str, list[Any]] = Field(
        default_factory=dict, description="field path -> allowed values (all must match)"
    )
    batch_size: int = Field(default=500, ge=1, le=10_000)
    batch_wait_seconds: float = Field(
        default=0.0,
        ge=0,
        le=300,
        description="hold a partial batch until its oldest change is this old (0: send at once); "
        "a batch closes at batch_size or at this age, whichever comes first",
    )
    partitions: int = Field(
        default=1,
        ge=1,
        le=64,
        description="split by entity; each partition is ordered and worked by one lease holder",
    )
    retry: RetryPolicy = RetryPolicy()
    every_version: bool = Field(
        default=False,
        description="send every version of a record in order instead of only the newest of a "
        "batch (compaction off): for status feeds where each step matters to the receiver",
    )
    receipts: bool = Field(
        default=False,
        description="record what the destination answered for each version (delivered with its "
        "id and number, or parked with its error) for services that act on it (the order engine)",
    )
    _masked: dict[EntityType, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    def masked(self, entity_type: EntityType) -> tuple[str, ...]:
        """Field globs of ``entity_type`` the destination may not see (the hub file's masking)."""
        return self._masked.get(entity_type, ())

    def sends(self, path: str) -> bool:
        """Whether a field path is one this route sends."""
        return any_glob_matches(self.fields, path)


class DeliveryConfig(_Strict):
    lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="how long a worker holds a route partition without renewing it; "
        "also how long a dead worker's partitions wait before another takes them",
    )
    max_concurrent_partitions: int = Field(
        default=4,
        ge=1,
        le=64,
        description="route partitions one process works at the same time (each still in "
        "order); a slow entity range then holds up only its own partition",
    )


class StoreConfig(_Strict):
    url: str = "sqlite:///crossdock.sqlite"


class HubConfig(_Strict):
    version: int = 1
    store: StoreConfig = StoreConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    systems: list[SystemConfig] = Field(default_factory=list)
    ownership: dict[EntityType, EntityOwnership] = Field(default_factory=dict)
    routes: list[RouteConfig] = Field(default_factory=list)
    pricing: PricingConfig = PricingConfig()
    availability: AvailabilityConfig | None = None
    access: AccessConfig = AccessConfig()
    masking: MaskingConfig = MaskingConfig()
    throttle: ThrottleConfig = ThrottleConfig()
    retention: RetentionConfig = RetentionConfig()
    alerts: AlertsConfig = AlertsConfig()
    tracing: TracingConfig = TracingConfig()
    orders: OrdersConfig = OrdersConfig()
    customers: CustomersConfig | None = None
    """Customer matching; absent: customers are identified by crosswalk and account number only."""
    event_stream: EventStreamConfig | None = None
    """Every committed event to a JetStream stream (a system and route added at load)."""

    @model_validator(mode="before")
    @classmethod
    def _event_stream(cls, data: Any) -> Any:
        return expand(data)

    @model_validator(mode="after")
    def _references(self) -> HubConfig:
        names = [s.name for s in self.systems]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"system names must be unique; repeated: {sorted(dupes)}")
        known = set(names)
        owners = known | {ORDERS_PUBLISHER}  # the order engine writes orders as a system
        for entity, own in self.ownership.items():
            for where, system in [
                ("owner", own.owner),
                *((f"fields.{g}", s) for g, s in own.fields.items()),
            ]:
                if system not in owners and not (system == "*" and where != "owner"):
                    raise ValueError(
                        f"ownership.{entity.value}.{where}: unknown system {system!r}; "
                        f"known: {sorted(known)}"
                    )
        route_names = [r.name for r in self.routes]
        if len(set(route_names)) != len(route_names):
            raise ValueError("route names must be unique")
        for i, route in enumerate(self.routes):
            if route.destination not in known:
                raise ValueError(
                    f"routes[{i}].destination: unknown system {route.destination!r}; "
                    f"known: {sorted(known)}"
                )
        for system in self.availability.feeds if self.availability else {}:
            if system not in known:
                raise ValueError(
                    f"availability.feeds.{system}: unknown system {system!r}; "
                    f"known: {sorted(known)}"
                )
        self._check_governance(known)
        return self

    def _onboarding_systems(self) -> list[tuple[str, list[str]]]:
        ob = self.customers.onboarding if self.customers else None
        if ob is None:
            return []
        return [
            ("customers.onboarding.sources", ob.sources),
            ("customers.onboarding.erp", [ob.erp]),
            ("customers.onboarding.write_as", [ob.writer]),
        ]

    def _check_governance(self, known: set[str]) -> None:
        for where, names in (
            ("access.systems", list(self.access.systems)),
            ("masking.channels", self.masking.channels),
            ("throttle.systems", list(self.throttle.systems)),
            ("orders.channels", [c for c in self.orders.channels if c != "default"]),
            ("alerts.send_to", self.alerts.send_to),
            *self._onboarding_systems(),
            *(
                (f"alerts.rules.{a.name}.system", [a.system])
                for a in self.alerts.rules
                if a.system is not None
            ),
        ):
            for system in names:
                if system not in known:
                    raise ValueError(
                        f"{where}.{system}: unknown system {system!r}; known: {sorted(known)}"
                    )
        route_names = {r.name for r in self.routes}
        erp = self.orders.erp_route
        if erp is not None and erp not in route_names:
            raise ValueError(
                f"orders.erp_route: unknown route {erp!r}; known: {sorted(route_names)}"
            )
        for alert in self.alerts.rules:
            if alert.route is not None and alert.route not in route_names:
                raise ValueError(
                    f"alerts.rules.{alert.name}.route: unknown route {alert.route!r}; "
                    f"known: {sorted(route_names)}"
                )
        who = known | set(self.access.roles) | {CHANNELS}
        for entity, rules in self.masking.fields.items():
            for glob, rule in rules.items():
                for name in (rule.visible_to or []) + (rule.hidden_from or []):
                    if name not in who:
                        raise ValueError(
                            f"masking.fields.{entity.value}.{glob}: {name!r} is neither a "
                            f"system, a role nor 'channels'"
                        )
        for i, route in enumerate(self.routes):
            viewer = Viewer(system=route.destination)
            for entity in route.entities:
                hidden = self.masking.hidden(entity, viewer)
                named = [f for f in route.fields if f != "*" and any_glob_matches(hidden, f)]
                if named:
                    raise ValueError(
                        f"routes[{i}].fields: {', '.join(named)} of {entity.value} is masked "
                        f"from {route.destination} (masking.fields); a route cannot send it"
                    )
                if hidden:
                    route._masked[entity] = hidden

    def system(self, name: str) -> SystemConfig:
        for s in self.systems:
            if s.name == name:
                return s
        raise KeyError(name)

    def route(self, name: str) -> RouteConfig:
        for r in self.routes:
            if r.name == name:
                return r
        raise KeyError(name)


__all__ = [
    "CircuitPolicy",
    "DeliveryConfig",
    "EntityOwnership",
    "HubConfig",
    "NonOwnerPolicy",
    "RateLimit",
    "RetryPolicy",
    "RouteConfig",
    "StoreConfig",
    "SystemConfig",
    "ThrottleConfig",
    "TracingConfig",
]
