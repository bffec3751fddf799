"""The matching benchmark's scoring: pairwise precision, recall and F1 over true links.

``benchmarks/matching.py`` is not run by the suite (speed and quality are
measured there); its scoring is, on a case small enough to count by hand.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "matching.py"


@pytest.fixture(scope="module")
def matching() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_matching", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_precision_recall_f1_counted_by_hand(matching: ModuleType) -> None:
    # true: a-b, c-d, e-f; found: b-a (same pair, other order), c-d, a-c (wrong), a-a (self)
    true = [("a", "b"), ("c", "d"), ("e", "f")]
    found = [("b", "a"), ("c", "d"), ("a", "c"), ("a", "a")]
    q = matching.score_links(found, true)
    assert (q.true_positives, q.found, q.true) == (2, 3, 3)
    assert q.precision == pytest.approx(2 / 3)
    assert q.recall == pytest.approx(2 / 3)
    assert q.f1 == pytest.approx(2 / 3)


def test_duplicated_links_count_once(matching: ModuleType) -> None:
    q = matching.score_links([("a", "b"), ("b", "a"), ("a", "b")], [("a", "b"), ("b", "a")])
    assert (q.true_positives, q.found, q.true) == (1, 1, 1)
    assert q.f1 == 1.0


def test_precision_and_recall_differ(matching: ModuleType) -> None:
    # 1 of 4 found is true; 1 of 2 true is found: P 0.25, R 0.5, F1 = 2PR/(P+R) = 1/3
    q = matching.score_links(
        [("a", "b"), ("a", "x"), ("a", "y"), ("a", "z")], [("a", "b"), ("c", "d")]
    )
    assert q.precision == pytest.approx(0.25)
    assert q.recall == pytest.approx(0.5)
    assert q.f1 == pytest.approx(1 / 3)


def test_nothing_found_has_zero_recall_and_f1(matching: ModuleType) -> None:
    q = matching.score_links([], [("a", "b")])
    assert (q.precision, q.recall, q.f1) == (1.0, 0.0, 0.0)
