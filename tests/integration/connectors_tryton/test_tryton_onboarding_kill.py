"""Kill the onboarding pump at every kind of step boundary, again and again: one party per customer.

A subprocess runs the pump over two dozen portal sign-ups (some waiting
for a credit approval or held for an expired exemption certificate) and
SIGKILLs itself at its k-th boundary, k cycling through small numbers so
that the kills land after every step and between Tryton creating a party
and the hub recording it. Restarted until a run finishes. Afterwards every
onboarding is done or waiting with a reason, every done one has exactly one
Tryton party with its code, and no waiting one has any.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from crossdock.connectors.tryton.client import TrytonClient
from crossdock.model.base import EntityType
from crossdock.store.onboarding_rows import OnboardingStatus, Step
from crossdock.sync.runtime import Hub, load_checked

from .conftest import PASSWORD, TrytonServer
from .onboarding_hub import onboarding_yaml, signup

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]
HERE = Path(__file__).parent
CUS = EntityType.CUSTOMER
N = 24
KINDS = {f"after-{s.value}" for s in list(Step)[:-1]} | {"erp-created"}


def sign_ups() -> list:
    out = []
    for n in range(1, N + 1):
        extra: dict = {}
        if n % 6 == 0:
            extra["credit_limit"] = "20000"  # above the automatic 10000: waits for a person
        if n % 7 == 0:
            extra["tax_ids"] = [
                {"scheme": "exemption", "value": f"EX-{n}", "expires_on": date(2020, 1, 1)}
            ]
        change = signup(n, **extra)
        if n % 7 == 0:
            change.data["sites"][0]["tax_exempt"] = True
        out.append(change)
    return out


def test_kill_at_every_step_boundary_leaves_one_party_per_customer(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    # the portal's credit application and certificates are its to send in this hub
    text = onboarding_yaml(tryton, tmp_path).replace(
        "      contacts: portal\n",
        "      contacts: portal\n      credit_limit: portal\n      tax_ids: portal\n",
    )
    hub_file.write_text(text)
    hub = Hub.open(load_checked(hub_file))
    hub.ingest(sign_ups())
    hub.close()

    log = tmp_path / "kills.log"
    worker = [sys.executable, str(HERE / "onboard_worker.py"), str(hub_file)]
    runs = 0
    for k in itertools.cycle([2, 3, 5, 1, 7, 4]):
        runs += 1
        assert runs < 150, "the pump never finished"
        done = subprocess.run(
            [*worker, str(k), str(log)], env=os.environ.copy(), capture_output=True, timeout=120
        )
        if done.returncode == 0:
            break
        assert done.returncode == -9, done.stderr.decode()[-2000:]
    kills = log.read_text().split()
    print(f"{len(kills)} kills over {runs} runs: {sorted(set(kills))}")
    assert set(kills) >= KINDS, f"no kill landed at {KINDS - set(kills)}"

    hub = Hub.open(load_checked(hub_file))
    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    try:
        rows = hub.store.onboarding.listing(None, limit=1000)
        assert len(rows) == N
        parties = client.search_read("party.party", [["code", "like", "ON-%"]], ["code"])
        codes = [p["code"] for p in parties]
        assert len(codes) == len(set(codes)), "a second party for one account"
        for row in rows:
            code = f"ON-{row.id:06d}"
            if row.status is OnboardingStatus.DONE:
                assert codes.count(code) == 1
                rec = hub.store.records.get(CUS, row.customer_id)
                assert rec is not None and rec.data["account_number"] == code
            else:
                assert row.status is OnboardingStatus.WAITING and row.reason
                assert row.step in (Step.CREDIT, Step.TAX)
                assert code not in codes
        waiting = [r for r in rows if r.status is OnboardingStatus.WAITING]
        assert len(waiting) == len([n for n in range(1, N + 1) if n % 6 == 0 or n % 7 == 0])
        assert len(codes) == N - len(waiting)
    finally:
        client.close()
        hub.close()
