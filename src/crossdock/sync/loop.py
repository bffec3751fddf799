"""The background loop `crossdock serve` runs: pull, ingest webhooks, deliver, repeat."""

from __future__ import annotations

import logging
import threading
import time

from crossdock.sync.alerts import AlertKeeper
from crossdock.sync.runtime import Hub, SyncSummary

log = logging.getLogger(__name__)


class SyncLoop:
    """Runs ``hub.sync_once()`` every ``interval`` seconds in a thread until stopped.

    A failing pass is logged and the loop goes on: one broken source or
    destination must not stop the others. The next pass starts from the
    committed cursors, so nothing is lost by a failed pass.
    """

    def __init__(self, hub: Hub, interval: float = 2.0, *, retention: bool = True) -> None:
        self.hub = hub
        self.interval = interval
        self.stop_event = threading.Event()
        self.passes = 0
        self.last: SyncSummary | None = None
        self.retention = retention
        self._threads: list[threading.Thread] = []

    def run_pass(self) -> SyncSummary:
        summary = self.hub.sync_once()
        self.passes += 1
        self.last = summary
        return summary

    def _run(self) -> None:
        keeper = AlertKeeper(self.hub)
        every = self.hub.config.alerts.every_seconds
        next_alerts = time.monotonic()
        while not self.stop_event.is_set():
            try:
                self.run_pass()
            except Exception:
                log.exception("sync pass failed; retrying in %.1fs", self.interval)
            if self.hub.config.alerts.rules and time.monotonic() >= next_alerts:
                next_alerts = time.monotonic() + every
                try:
                    keeper.run_once()
                except Exception:
                    log.exception("alert evaluation failed; trying again in %.0fs", every)
            self.stop_event.wait(self.interval)

    def _prune(self) -> None:
        """Retention in a thread of its own: a long first prune must not hold up deliveries."""
        every = self.hub.config.retention.every_minutes * 60
        while not self.stop_event.wait(every):
            try:
                report = self.hub.prune()
                if report.total:
                    log.info("retention pruned %s", report.pruned)
            except Exception:
                log.exception("retention pass failed; trying again in %.0fs", every)

    def start(self) -> None:
        targets = [("crossdock-sync", self._run)]
        if self.retention:
            targets.append(("crossdock-retention", self._prune))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)


__all__ = ["SyncLoop"]
