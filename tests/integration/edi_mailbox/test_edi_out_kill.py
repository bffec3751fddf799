"""SIGKILL loop: a sender killed between numbers, file and record never reuses a number or skips.

The worker (``edi_out_worker.py``, the partner's real destination) is killed
at every boundary of several documents in turn, each time restarted like the
delivery engine would (re-pushing what it had not acknowledged). At the end:
every invoice went out in exactly one file, no two files carry one ISA13,
GS06 or ST02, every number in a file is recorded ``used``, and the numbers
a kill left unwritten are ``void`` (visible gaps), none still ``allocated``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crossdock.connectors.edi_x12.envelope import read
from crossdock.store import Store
from crossdock.store.edi_rows import ControlKind, ControlState

pytestmark = pytest.mark.integration

WORKER = Path(__file__).parent / "edi_out_worker.py"
COUNT = 15  # enough that every killed run still has its n-th document ahead


def _run(url: str, mailbox: Path, n: int, where: str) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, str(WORKER), url, str(mailbox), str(COUNT), str(n), where],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr.decode()[-2000:]
    return done.returncode


def test_killed_sender_never_reuses_a_number_nor_skips_a_document(
    store_url: str, tmp_path: Path
) -> None:
    Store.open(store_url).close()  # the schema, once, before the workers race nothing
    mailbox = tmp_path / "bigbox"
    kills = 0
    for n in (1, 2, 3):
        for where in ("allocated", "written", "recorded"):
            kills += _run(store_url, mailbox, n, where) == -signal.SIGKILL
    assert kills == 9  # every run died where it was told to
    assert _run(store_url, mailbox, 0, "none") == 0
    files = sorted((mailbox / "outbound").iterdir())
    numbers: dict[ControlKind, list[int]] = {k: [] for k in ControlKind}
    invoices = []
    for f in files:
        (ic,) = read(f.read_bytes())
        assert ic.problems == []
        numbers[ControlKind.ISA].append(int(ic.control))
        for g in ic.groups:
            numbers[ControlKind.GS].append(int(g.control))
            for s in g.sets:
                numbers[ControlKind.ST].append(int(s.control))
                invoices += [seg[2] for seg in s.segments if seg[0] == "BIG"]
    assert sorted(invoices) == sorted(f"INV-{i}" for i in range(1, COUNT + 1))  # once, none lost
    store = Store.open(store_url)
    try:
        for kind, used in numbers.items():
            assert len(used) == len(set(used)) == COUNT  # no number in two files
            rows = {r.number: r.state for r in store.edi.numbers("bigbox", kind)}
            assert {rows[u] for u in used} == {ControlState.USED}
            assert {s for num, s in rows.items() if num not in used} <= {ControlState.VOID}
        assert len(store.edi.sent_groups("bigbox")) == COUNT
    finally:
        store.close()
