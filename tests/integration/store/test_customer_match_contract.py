"""The customer matching repository's contract, on SQLite, PostgreSQL and the in-memory twin."""

from __future__ import annotations

from typing import Any

import pytest

from crossdock.errors import ConflictError, NotFound
from crossdock.store.customer_rows import (
    NewReview,
    ReviewKind,
    ReviewStatus,
    incoming_key,
    pair_key,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def store(any_store: Any) -> Any:
    return any_store


def test_keys_candidates_and_rebuild(store: Any) -> None:
    cm = store.customer_match
    with store.write() as tx:
        cm.replace_keys(tx, ["a", "b"], [("nm:acme", "a"), ("ph:1", "a"), ("nm:acme", "b")])
    assert cm.candidates(["nm:acme", "ph:1"], 10) == ["a", "b"]  # most shared first
    assert cm.candidates(["nm:acme"], 1) == ["a"]  # ties by id, limited
    assert cm.candidates([], 10) == []
    with store.write() as tx:
        assert cm.candidates(["ph:1"], 10, tx) == ["a"]
        cm.replace_keys(tx, ["a"], [("nm:zenith", "a")])
    assert cm.keys_of("a") == ["nm:zenith"]
    assert cm.candidates(["nm:acme"], 10) == ["b"]
    cm.rebuild_keys([("x", "c")])
    assert cm.keys_of("b") == []
    assert cm.candidates(["x"], 10) == ["c"]


def _incoming(held: dict[str, Any]) -> NewReview:
    return NewReview(
        incoming_key("portal", "P-1"),
        ReviewKind.INCOMING,
        "a",
        8.5,
        {"weight": 8.5},
        system="portal",
        native_id="P-1",
        held=[held],
    )


def test_review_queue(store: Any) -> None:
    cm = store.customer_match
    pair = NewReview(pair_key("b", "a"), ReviewKind.PAIR, "a", 9.25, {"w": 1}, other_id="b")
    assert cm.file([pair, pair]) == 1
    assert cm.file([pair]) == 0
    with store.write() as tx:
        first = cm.hold(tx, _incoming({"n": 1}))
        assert cm.hold(tx, _incoming({"n": 2})) == first
        assert cm.find(incoming_key("portal", "P-1"), tx) is not None
    task = cm.review(first)
    assert task.held == [{"n": 1}, {"n": 2}]
    assert task.weight == 8.5
    assert [t.id for t in cm.reviews()] == sorted([first, cm.find(pair.pair_key).id])
    with store.write() as tx:
        decided = cm.decide(tx, first, ReviewStatus.REJECTED, "steward")
    assert decided.status is ReviewStatus.REJECTED
    assert cm.review(first).decided_by == "steward"
    assert [t.id for t in cm.reviews(ReviewStatus.REJECTED)] == [first]
    assert len(cm.reviews(None)) == 2
    with store.write() as tx, pytest.raises(ConflictError):
        cm.decide(tx, first, ReviewStatus.ACCEPTED, "steward")
    with store.write() as tx, pytest.raises(NotFound):
        cm.decide(tx, 999, ReviewStatus.ACCEPTED, "steward")
    assert cm.review(999) is None


def test_trained_parameters(store: Any) -> None:
    cm = store.customer_match
    assert cm.trained() is None
    cm.save_trained({"name": {"exact": {"m": 0.9, "u": 0.01}}}, 10)
    cm.save_trained({"name": {"exact": {"m": 0.8, "u": 0.02}}}, 20)
    assert cm.trained() == ({"name": {"exact": {"m": 0.8, "u": 0.02}}}, 20)
