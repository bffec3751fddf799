"""Bulk matching: every pair of stored customers that shares a blocking key, scored once.

Blocking keeps the work near-linear: a customer is compared only with the
customers in its blocks, and a block larger than ``max_block`` (a head
office phone on every branch, a name word in every record of one postcode)
is skipped, since its pairs would cost quadratically and say little. The
candidate pairs are the union over blocks, each scored once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import isqrt

from crossdock.config.customers import Level
from crossdock.services.customers.compare import Table
from crossdock.services.customers.em import Estimate, estimate, random_u
from crossdock.services.customers.profile import Profile, blocking_keys
from crossdock.services.customers.weights import MatchModel, Probabilities, Score


@dataclass(slots=True)
class Blocks:
    pairs: list[tuple[int, int]]
    blocks: int = 0
    skipped: list[str] = field(default_factory=list)
    """Keys whose blocks were too large to pair out."""


def blocked_pairs(profiles: Sequence[Profile], max_block: int) -> Blocks:
    """The index pairs (i < j) that share at least one blocking key, each once."""
    # Most keys are one record's alone: a key's first record is kept as a bare index and
    # a list made only for a second, and a pair is kept as one number (i * n + j) until
    # the end. (A list per key and a tuple per pair were half of blocking's time, most of
    # it the garbage collector walking them.)
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for i, p in enumerate(profiles):
        for k in blocking_keys(p):
            j = first.setdefault(k, i)
            if j != i:
                idx = shared.get(k)
                if idx is None:
                    shared[k] = [j, i]
                else:
                    idx.append(i)
    n = len(profiles)
    seen: set[int] = set()
    out = Blocks([])
    for key, idx in shared.items():
        if len(idx) > max_block:
            out.skipped.append(key)
            continue
        out.blocks += 1
        seen.update(a * n + b for a, b in combinations(idx, 2))  # idx ascends: a < b
    out.pairs = [divmod(x, n) for x in sorted(seen)]
    return out


def random_pairs(n: int, k: int, seed: int = 1) -> list[tuple[int, int]]:
    """Up to ``k`` distinct random index pairs of ``n`` records (for measuring u).

    Drawn as distinct numbers among the ``n * (n - 1) / 2`` pairs, each decoded to
    its (i, j): one draw per pair (drawing i and j apart, with ``randrange``, was a
    tenth of training's time).
    """
    if n < 2:
        return []
    total = n * (n - 1) // 2
    k = min(k, total)
    rng = random.Random(seed)
    drawn: set[int] = set()
    while len(drawn) < k:
        drawn.add(int(rng.random() * total))  # total < 2**53 for any store this serves
    out: list[tuple[int, int]] = []
    for x in drawn:
        j = (isqrt(8 * x + 1) + 1) // 2  # the pair numbered x is (i, j), x = j(j-1)/2 + i
        out.append((x - j * (j - 1) // 2, j))
    out.sort()
    return out


def vectors(
    profiles: Sequence[Profile], pairs: Sequence[tuple[int, int]], model: MatchModel
) -> list[tuple[Level, ...]]:
    """The comparison vectors of ``pairs`` (what EM learns from)."""
    return Table(profiles, model.fields).vectors(pairs)


def fit(
    profiles: Sequence[Profile], model: MatchModel, max_block: int, random_sample: int = 50_000
) -> tuple[Probabilities, Estimate]:
    """Training: m by EM over the blocked pairs, u measured on random pairs (see :mod:`.em`)."""
    pairs = blocked_pairs(profiles, max_block).pairs
    sample = random_pairs(len(profiles), random_sample)
    table = Table(profiles, model.fields)
    # u counts levels field by field: no vector per random pair
    u = random_u(
        [table.column(sample, f) for f in model.fields], model.fields, start=model.probabilities
    )
    est = estimate(table.vectors(pairs), model.fields)
    probs = {
        f: {lv: (m, u[f][lv][1]) for lv, (m, _) in levels.items()}
        for f, levels in est.probabilities.items()
    }
    return probs, est


CHUNK = 1000
"""Pairs compared at a time by :func:`scored_pairs` (and between progress reports)."""


def scored_pairs(
    profiles: Sequence[Profile],
    pairs: Sequence[tuple[int, int]],
    model: MatchModel,
    at_least: float,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[int, int, Score]]:
    """The pairs weighing ``at_least`` or more, heaviest first."""
    found: list[tuple[int, int, Score]] = []
    table = Table(profiles, model.fields)
    weights: dict[tuple[Level, ...], float] = {}  # few distinct vectors among many pairs
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        for (i, j), levels in zip(chunk, table.vectors(chunk), strict=True):
            w = weights.get(levels)
            if w is None:
                w = weights[levels] = model.weight(levels)
            # most pairs weigh too little to file: their explanation is never built
            if w >= at_least:
                found.append((i, j, model.explain(levels)))
        if progress is not None:
            progress(len(chunk))
    found.sort(key=lambda f: (-f[2].total, f[0], f[1]))
    return found


__all__ = ["CHUNK", "Blocks", "blocked_pairs", "fit", "random_pairs", "scored_pairs", "vectors"]
