"""Control numbers: committed before any file is written; a crash leaves a gap, never a reuse."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.envelope import read
from crossdock.store import Store
from crossdock.store.edi_rows import ControlKind, ControlState, InboundState
from crossdock.store.repos.edi import SqlEdi

from .conftest import drop

pytestmark = pytest.mark.integration


class Crash(Exception):
    """The process dies here."""


def _exchange(app: Application) -> None:
    documents = app.hub.connector("bigbox").documents()
    assert documents is not None
    documents.exchange(app.take_order)


def _outbound(mailbox: Path) -> list[str]:
    return sorted(p.name for p in (mailbox / "outbound").iterdir())


def test_a_crash_after_allocation_leaves_a_gap_and_no_reuse(
    app: Application, mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(mailbox, "broken_missing_beg03.x12")

    def crash(self: Mailbox, name: str, text: str) -> Path:
        raise Crash(name)

    monkeypatch.setattr(Mailbox, "put", crash)
    with pytest.raises(Crash):
        _exchange(app)
    edi = app.hub.store.edi
    # allocated and committed before the write that never happened: visible as a gap
    gaps = edi.gaps("bigbox")
    assert {(r.kind, r.number, r.state) for r in gaps} == {
        (ControlKind.ISA, 1, ControlState.ALLOCATED),
        (ControlKind.GS, 1, ControlState.ALLOCATED),
        (ControlKind.ST, 1, ControlState.ALLOCATED),
    }
    assert _outbound(mailbox) == []
    assert (mailbox / "inbound" / "broken_missing_beg03.x12").exists()  # not acknowledged
    exceptions = app.hub.store.exceptions.count()
    assert exceptions == 1

    monkeypatch.undo()
    _exchange(app)
    assert _outbound(mailbox) == ["997-000000002.x12"]  # a new number, never 1 again
    isa = {r.number: r.state for r in edi.numbers("bigbox", ControlKind.ISA)}
    assert isa == {1: ControlState.VOID, 2: ControlState.USED}
    assert {(r.kind, r.number) for r in edi.gaps("bigbox")} == {
        (ControlKind.ISA, 1),
        (ControlKind.GS, 1),
        (ControlKind.ST, 1),
    }
    assert app.hub.store.exceptions.count() == exceptions  # filed once
    assert app.hub.store.orders.find("bigbox", "4500020002") is not None
    (ic,) = read((mailbox / "outbound" / "997-000000002.x12").read_bytes())
    assert ic.control == "000000002" and ic.groups[0].control == "2"


def test_a_crash_after_writing_keeps_the_file_and_sends_no_second(
    app: Application, mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(mailbox, "bigbox_two_orders.x12")
    real = SqlEdi.done

    def crash(self: SqlEdi, *args: Any) -> None:
        raise Crash("after the file was written")

    monkeypatch.setattr(SqlEdi, "done", crash)
    with pytest.raises(Crash):
        _exchange(app)
    assert _outbound(mailbox) == ["997-000000001.x12"]
    monkeypatch.setattr(SqlEdi, "done", real)
    _exchange(app)
    edi = app.hub.store.edi
    assert _outbound(mailbox) == ["997-000000001.x12"]  # the one written, not a second
    assert [(r.number, r.state) for r in edi.numbers("bigbox", ControlKind.ISA)] == [
        (1, ControlState.USED)
    ]
    assert edi.gaps("bigbox") == []
    data = (mailbox / "inbound" / "processed").iterdir().__next__().read_bytes()
    import hashlib

    row = edi.inbound("bigbox", hashlib.sha256(data).hexdigest())
    assert row is not None and row.state is InboundState.DONE and row.ack_control == 1


def test_racing_allocations_never_share_a_number(store_url: str) -> None:
    store = Store.open(store_url)
    got: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                n = store.edi.allocate("p", {ControlKind.ISA: 1}, "r")[ControlKind.ISA]
                with lock:
                    got.extend(n)
        except BaseException as exc:  # a lost race must not pass silently
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        assert sorted(got) == list(range(1, 31))
        other = store.edi.allocate("q", {ControlKind.ISA: 1}, "r")[ControlKind.ISA]
        assert other == [1]  # numbers are per partner
    finally:
        store.close()
