"""An order's status moves only along its lifecycle, whichever system sends the move."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.model.order import OrderStatus, can_transition
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
T0 = datetime(2026, 6, 1, tzinfo=UTC)
CONFIG = HubConfig(
    systems=[SystemConfig(name="portal", kind="files"), SystemConfig(name="erp", kind="files")],
    ownership={EntityType.ORDER: EntityOwnership(owner="portal", fields={"status": "*"})},
)


def _order(status: str, minute: int, system: str = "portal") -> Change:
    return Change(
        system=system,
        entity_type=EntityType.ORDER,
        native_id="SO-1",
        data={"order_number": "SO-1", "status": status},
        source_ts=T0 + timedelta(minutes=minute),
    )


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    h = Hub(CONFIG, Store.open(store_url))
    yield h
    h.close()


def _status(hub: Hub) -> str:
    (record,) = hub.store.records.page(EntityType.ORDER)
    return str(record.data["status"])


def test_a_move_back_to_draft_is_an_exception_naming_both_statuses(hub: Hub) -> None:
    hub.ingest([_order("draft", 0)])
    hub.ingest([_order("submitted", 1)])
    report = hub.ingest([_order("draft", 2, system="erp")])
    assert report.exceptions == 1
    assert _status(hub) == "submitted"
    (problem,) = hub.store.exceptions.page()
    assert problem.code == "illegal_transition" and problem.field == "status"
    assert "SO-1 is submitted; draft cannot follow it" in problem.reason
    assert hub.ingest([_order("confirmed", 3, system="erp")]).exceptions == 0
    assert _status(hub) == "confirmed"


def test_a_final_status_stays_final(hub: Hub) -> None:
    for minute, status in enumerate(["draft", "cancelled"]):
        hub.ingest([_order(status, minute)])
    assert hub.ingest([_order("submitted", 5)]).exceptions == 1
    assert _status(hub) == "cancelled"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(list(OrderStatus)), min_size=1, max_size=12))
def test_the_stored_status_only_ever_follows_legal_moves(
    tmp_path_factory: pytest.TempPathFactory, statuses: list[OrderStatus]
) -> None:
    path: Path = tmp_path_factory.mktemp("lifecycle") / "hub.sqlite"
    hub = Hub(CONFIG, Store.open(f"sqlite:///{path}"))
    try:
        seen: list[str] = []
        for minute, status in enumerate(statuses):
            hub.ingest([_order(status.value, minute)])
            now = _status(hub)
            if not seen or seen[-1] != now:
                seen.append(now)
        for before, after in itertools.pairwise(seen):
            assert can_transition(OrderStatus(before), OrderStatus(after)), seen
    finally:
        hub.close()
