"""One record's versions are confirmed in order and none goes after a failed one (no I/O)."""

from __future__ import annotations

import asyncio

from crossdock.connectors.broker.client import NotSent, _gather
from crossdock.connectors.broker.mapper import Message


def _m(key: str, v: int) -> Message:
    return Message(f"s.{key}", b"{}", {}, f"{key}:v{v}", key)


def test_a_failed_version_stops_its_record_but_not_the_others() -> None:
    sent: list[str] = []

    async def one(m: Message) -> None:
        await asyncio.sleep(0.001 if m.order_key == "a" else 0)
        if m.msg_id == "a:v2":
            raise ConnectionError("no confirm")
        sent.append(m.msg_id)

    batch = [_m("a", 1), _m("b", 1), _m("a", 2), _m("b", 2), _m("a", 3)]
    answers = asyncio.run(_gather(batch, 10, one))
    assert answers[0] is None and answers[1] is None and answers[3] is None
    assert isinstance(answers[2], ConnectionError)
    assert isinstance(answers[4], NotSent)
    assert "a:v3" not in sent
    assert [s for s in sent if s.startswith("a")] == ["a:v1"]
    assert [s for s in sent if s.startswith("b")] == ["b:v1", "b:v2"]
