"""A hub process that runs the onboarding pump and SIGKILLs itself at a step boundary.

Run as ``python onboard_worker.py <hub file> <k> <log>``. It counts boundaries
as it goes: each step committed, and the moment Tryton has answered
``party.party.create`` but the hub has not yet recorded the party (the
window a duplicate would come from). At the k-th it appends the boundary's
name to ``<log>`` and kills itself with SIGKILL: no cleanup, no flush, no
rollback beyond what the database does itself. With fewer than k boundaries
left it finishes and exits 0. The kill lives here, in the test, not in the
code under test.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from crossdock.app import Application
from crossdock.connectors.tryton import TrytonConnector
from crossdock.store.onboarding_rows import OnboardingRow
from crossdock.sync.runtime import Hub, load_checked


def main(path: str, k: int, log: str) -> None:
    app = Application(Hub.open(load_checked(path)))
    onboarder = app.onboarding
    conn = app.hub.connector("tryton")
    assert isinstance(conn, TrytonConnector)
    client = conn.client
    seen = 0

    def boundary(name: str) -> None:
        nonlocal seen
        seen += 1
        if seen == k:
            with open(log, "a") as f:
                f.write(name + "\n")
            os.kill(os.getpid(), signal.SIGKILL)

    real_call = client.call

    def call(method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        result = real_call(method, *params, context=context)
        if method == "model.party.party.create":
            boundary("erp-created")
        return result

    real_step = onboarder.step

    def step(row: OnboardingRow) -> OnboardingRow:
        out = real_step(row)
        boundary(f"after-{row.step.value}")
        return out

    client.call = call  # type: ignore[method-assign]
    onboarder.step = step  # type: ignore[method-assign]
    onboarder.run_once()
    app.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
