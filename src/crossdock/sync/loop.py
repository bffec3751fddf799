"""The background loop `crossdock serve` runs: pull, ingest webhooks, deliver, repeat."""

from __future__ import annotations

import logging
import threading

from crossdock.sync.runtime import Hub, SyncSummary

log = logging.getLogger(__name__)


class SyncLoop:
    """Runs ``hub.sync_once()`` every ``interval`` seconds in a thread until stopped.

    A failing pass is logged and the loop goes on: one broken source or
    destination must not stop the others. The next pass starts from the
    committed cursors, so nothing is lost by a failed pass.
    """

    def __init__(self, hub: Hub, interval: float = 2.0) -> None:
        self.hub = hub
        self.interval = interval
        self.stop_event = threading.Event()
        self.passes = 0
        self.last: SyncSummary | None = None
        self._thread: threading.Thread | None = None

    def run_pass(self) -> SyncSummary:
        summary = self.hub.sync_once()
        self.passes += 1
        self.last = summary
        return summary

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.run_pass()
            except Exception:
                log.exception("sync pass failed; retrying in %.1fs", self.interval)
            self.stop_event.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="crossdock-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = ["SyncLoop"]
