"""The collector's threshold is raised while batches run and restored after, however they nest."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from crossdock.sync.gc_pause import BULK_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def _known_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_raised_inside_restored_after_even_on_error() -> None:
    seen: list[tuple[int, int, int]] = []

    def failing_batch() -> None:
        with fewer_collections():
            seen.append(gc.get_threshold())
            assert gc.isenabled()
            raise RuntimeError("batch failed")

    with pytest.raises(RuntimeError):
        failing_batch()
    assert seen == [(BULK_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_and_threaded_batches_restore_once_the_last_ends() -> None:
    inside = threading.Event()
    release = threading.Event()

    def other_batch() -> None:
        with fewer_collections():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other_batch)
    with fewer_collections():
        t.start()
        assert inside.wait(5)
        with fewer_collections():
            assert gc.get_threshold()[0] == BULK_THRESHOLD
    assert gc.get_threshold()[0] == BULK_THRESHOLD, "the other thread's batch still runs"
    release.set()
    t.join(5)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_someone_set_is_left_alone() -> None:
    gc.set_threshold(BULK_THRESHOLD * 2, 5, 5)
    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD * 2, 5, 5)
    assert gc.get_threshold() == (BULK_THRESHOLD * 2, 5, 5)
