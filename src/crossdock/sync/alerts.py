"""Alerts: the hub file's rules measured against the hub's health, and their notices sent.

:meth:`AlertKeeper.run_once` measures every rule, records each in the store
(:mod:`crossdock.store.alert_state`), and sends the notices of alerts that
changed state to the ``send_to`` systems. The store's row decides "changed",
so any number of workers evaluating the same rules send each change once (the
notice id stays the same on retries; a receiver drops repeats).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crossdock.config.alerts import AlertKind, AlertRule
from crossdock.errors import CrossdockError
from crossdock.store import alert_state, guard_state
from crossdock.sync.runtime import Hub, RouteStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Measure:
    firing: bool
    value: float | None
    message: str


class AlertKeeper:
    def __init__(self, hub: Hub, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.hub = hub
        self.clock = clock

    def run_once(self) -> list[alert_state.AlertState]:
        """Measure every rule, record it, send what changed; the states after."""
        config = self.hub.config.alerts
        if not config.rules:
            return []
        now = self.clock()
        routes = self.hub.route_status()
        out = []
        for rule in config.rules:
            m = self.measure(rule, routes, now)
            out.append(
                alert_state.observe(self.hub.store, rule.name, m.firing, m.value, m.message, now)
            )
        alert_state.forget_others(self.hub.store, {r.name for r in config.rules})
        self.send_pending()
        return out

    # -- measuring ----------------------------------------------------------------------
    def measure(self, rule: AlertRule, routes: list[RouteStatus], now: datetime) -> Measure:
        store = self.hub.store
        if rule.kind is AlertKind.ROUTE_LAG:
            lag = max((r.lag_seconds or 0.0 for r in routes if r.route == rule.route), default=0)
            return Measure(
                lag > rule.over,
                lag,
                f"route {rule.route} is {lag:.0f}s behind (alert over {rule.over:.0f}s)",
            )
        if rule.kind is AlertKind.PARKED:
            n = sum(r.parked for r in routes if rule.route in (None, r.route))
            where = f"route {rule.route}" if rule.route else "all routes"
            return Measure(n > rule.over, n, f"{n} deliveries parked on {where}")
        if rule.kind is AlertKind.EXCEPTIONS:
            n = store.exceptions.count_open(rule.system)
            of = f" from {rule.system}" if rule.system else ""
            return Measure(n > rule.over, n, f"{n} open exceptions{of}")
        if rule.kind is AlertKind.CIRCUIT_OPEN:
            system = rule.system or ""
            policy = self.hub.config.system(system).circuit
            state = guard_state.read(store, system).circuit_at(now.timestamp(), policy.open_seconds)
            return Measure(state == guard_state.OPEN, None, f"circuit to {system} is {state}")
        if rule.kind is AlertKind.ONBOARDING_STUCK:
            n = store.onboarding.stuck(now - timedelta(minutes=rule.over))
            return Measure(
                n > 0, n, f"{n} customer onboardings have not moved for over {rule.over:g} min"
            )
        return self._freshness(rule, now)

    def _freshness(self, rule: AlertRule, now: datetime) -> Measure:
        system = rule.system or ""
        window = timedelta(minutes=rule.over)
        last = alert_state.last_change_from(self.hub.store, system, now - window)
        if last is None:
            return Measure(True, None, f"nothing from {system} for over {rule.over:.0f} minutes")
        minutes = (now - last).total_seconds() / 60
        return Measure(
            minutes > rule.over,
            minutes,
            f"last change from {system} {minutes:.0f} minutes ago",
        )

    # -- telling ------------------------------------------------------------------------
    def send_pending(self) -> int:
        """Send every pending notice to every ``send_to`` system; how many went out."""
        sent = 0
        for st in alert_state.states(self.hub.store).values():
            if st.pending_notice is None or st.notice_id is None:
                continue
            if self._tell_all(st.notice_id, _document(st)):
                alert_state.notice_sent(self.hub.store, st.name, st.notice_id)
                sent += 1
        return sent

    def _tell_all(self, notice_id: str, document: dict[str, Any]) -> bool:
        ok = True
        for system in self.hub.config.alerts.send_to:
            notifier = self.hub.connector(system).notifier()
            if notifier is None:
                log.warning("alerts.send_to names %s, which takes no notices", system)
                continue
            try:
                notifier.notify(notice_id, document)
            except CrossdockError as exc:
                ok = False  # tried again on the next pass, with the same id
                log.warning("alert notice %s to %s failed: %s", notice_id, system, exc)
        return ok


def _document(st: alert_state.AlertState) -> dict[str, Any]:
    return {
        "type": f"dev.crossdock.alert.{st.pending_notice}",
        "id": st.notice_id,
        "alert": st.name,
        "state": st.pending_notice,
        "since": st.since.isoformat().replace("+00:00", "Z"),
        "value": st.value,
        "message": st.message,
    }


__all__ = ["AlertKeeper", "Measure"]
