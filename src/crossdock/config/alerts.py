"""Alerts: rules over the hub's own health, and where firing and resolved alerts go.

Each rule watches one measure against a threshold (``over``):

* ``route_lag``: seconds the oldest undelivered change of a route has waited;
* ``freshness``: minutes since the last change that came from a system;
* ``parked``: deliveries parked on a route (on every route, without ``route``);
* ``exceptions``: open business exceptions (of one system, with ``system``);
* ``circuit_open``: a destination's circuit is open (``over`` is not used);
* ``onboarding_stuck``: customer onboardings, not done, that have not moved for
  more than ``over`` minutes (waiting for a person, or the ERP step failing).

The workers evaluate the rules every ``every_seconds``. An alert that starts
firing, and the same alert when it resolves, is sent once to each system in
``send_to`` (a ``webhook`` system: a chat tool, a pager), with an id that stays
the same on retries, so a receiver that drops repeated ids sees each once.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AlertKind(StrEnum):
    ROUTE_LAG = "route_lag"
    FRESHNESS = "freshness"
    PARKED = "parked"
    EXCEPTIONS = "exceptions"
    CIRCUIT_OPEN = "circuit_open"
    ONBOARDING_STUCK = "onboarding_stuck"


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$", max_length=64)
    kind: AlertKind
    route: str | None = Field(default=None, description="route_lag, parked: the route")
    system: str | None = Field(
        default=None, description="freshness, circuit_open, exceptions: the system"
    )
    over: float = Field(
        default=0, ge=0, description="the threshold (seconds, minutes, count; stuck: minutes)"
    )

    @model_validator(mode="after")
    def _target(self) -> AlertRule:
        needs = {
            AlertKind.ROUTE_LAG: "route",
            AlertKind.FRESHNESS: "system",
            AlertKind.CIRCUIT_OPEN: "system",
        }.get(self.kind)
        if needs is not None and getattr(self, needs) is None:
            raise ValueError(f"a {self.kind.value} alert names its {needs}")
        return self


class AlertsConfig(BaseModel):
    """The ``alerts:`` section of the hub file."""

    model_config = ConfigDict(extra="forbid")

    send_to: list[str] = Field(default_factory=list, description="webhook systems told of alerts")
    every_seconds: float = Field(default=30, gt=0, le=3600)
    rules: list[AlertRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"alert names must be unique; repeated: {repeated}")
        return self


__all__ = ["AlertKind", "AlertRule", "AlertsConfig"]
