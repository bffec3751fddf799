"""Bulk matching: every pair of stored customers that shares a blocking key, scored once.

Blocking keeps the work near-linear: a customer is compared only with the
customers in its blocks, and a block larger than ``max_block`` (a head
office phone on every branch, a name word in every record of one postcode)
is skipped, since its pairs would cost quadratically and say little. The
candidate pairs are the union over blocks, each scored once.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import isqrt

from crossdock.config.customers import Level
from crossdock.services.customers.compare import compare
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
    members: defaultdict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for k in blocking_keys(p):
            members[k].append(i)
    seen: set[tuple[int, int]] = set()
    out = Blocks([])
    for key, idx in members.items():
        if len(idx) < 2:
            continue
        if len(idx) > max_block:
            out.skipped.append(key)
            continue
        out.blocks += 1
        seen.update(combinations(idx, 2))  # idx ascends: each pair as (i < j)
    out.pairs = sorted(seen)
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
    profiles: Sequence[Profile], pairs: Iterable[tuple[int, int]], model: MatchModel
) -> Iterator[tuple[Level, ...]]:
    """The comparison vectors of ``pairs`` (what EM learns from)."""
    for i, j in pairs:
        yield compare(profiles[i], profiles[j], model.fields)


def fit(
    profiles: Sequence[Profile], model: MatchModel, max_block: int, random_sample: int = 50_000
) -> tuple[Probabilities, Estimate]:
    """Training: m by EM over the blocked pairs, u measured on random pairs (see :mod:`.em`)."""
    pairs = blocked_pairs(profiles, max_block).pairs
    sample = random_pairs(len(profiles), random_sample)
    u = random_u(vectors(profiles, sample, model), model.fields, start=model.probabilities)
    est = estimate(vectors(profiles, pairs, model), model.fields)
    probs = {
        f: {lv: (m, u[f][lv][1]) for lv, (m, _) in levels.items()}
        for f, levels in est.probabilities.items()
    }
    return probs, est


def scored_pairs(
    profiles: Sequence[Profile],
    pairs: Sequence[tuple[int, int]],
    model: MatchModel,
    at_least: float,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[int, int, Score]]:
    """The pairs weighing ``at_least`` or more, heaviest first."""
    found: list[tuple[int, int, Score]] = []
    for n, (i, j) in enumerate(pairs, 1):
        levels = compare(profiles[i], profiles[j], model.fields)
        # most pairs weigh too little to file: their explanation is never built
        if model.weight(levels) >= at_least:
            found.append((i, j, model.explain(levels)))
        if progress is not None and n % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(pairs) % 1000)
    found.sort(key=lambda f: (-f[2].total, f[0], f[1]))
    return found


__all__ = ["Blocks", "blocked_pairs", "fit", "random_pairs", "scored_pairs", "vectors"]
