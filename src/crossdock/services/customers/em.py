"""Expectation-maximisation of m and u from unlabelled comparison vectors.

The pairs blocking finds are a mix of duplicates and different customers,
and nobody labelled them. EM treats "is a match" as the hidden variable of
a two-class mixture in which fields are independent given the class: the
E-step gives each distinct vector its probability of being a match under
the current m, u and match share; the M-step re-estimates m (u) per field
and level as the match-weighted (non-match-weighted) share of pairs at
that level, ``missing`` left out. A pseudo-count keeps every estimate
strictly inside (0, 1) (a level nobody showed is rare, not impossible).
Vectors are counted first, so a pass costs the number of distinct vectors,
not of pairs.

Blocked pairs are not a fair sample of non-matches: every one of them
shares a blocking key, so EM alone learns that a shared name or postcode is
common among strangers, and its u is too high. So training keeps EM's m
and measures u on random pairs instead (:func:`random_u`; nearly all of
them are different customers), as splink does. (Holding that u fixed inside
EM was tried: every blocked pair then looks likelier a match than a random
one, and EM calls them all matches.) A field too rarely known to learn from
(fewer than ``MIN_OBSERVED`` pairs) keeps its start values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crossdock.config.customers import Level, MatchField
from crossdock.services.customers.compare import LEVELS
from crossdock.services.customers.weights import PRIORS, Probabilities

PSEUDO = 0.5
"""Pairs added to every level's count in each class: keeps m and u off 0 and 1."""
MIN_OBSERVED = 20
"""Pairs that must know a field (not ``missing``) before its estimates replace the start."""


@dataclass(frozen=True, slots=True)
class Estimate:
    probabilities: Probabilities
    match_share: float
    """Estimated share of the compared pairs that are duplicates (lambda)."""
    iterations: int
    pairs: int


def estimate(
    vectors: Iterable[Sequence[Level]],
    fields: Sequence[MatchField],
    *,
    start: Probabilities | None = None,
    match_share: float = 0.1,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
) -> Estimate:
    """The m and u per field and level estimated from ``vectors`` (one per compared pair)."""
    counts = Counter(tuple(v) for v in vectors)
    n = sum(counts.values())
    probs: Probabilities = {f: dict((start or PRIORS)[f]) for f in fields}
    observed = [
        sum(k for v, k in counts.items() if v[i] is not Level.MISSING) for i in range(len(fields))
    ]
    lam = match_share
    if n == 0:
        return Estimate(probs, lam, 0, 0)
    it = 0
    while it < max_iterations:
        it += 1
        # E: probability that each distinct vector is a match
        posterior: list[tuple[tuple[Level, ...], int, float]] = []
        for vec, k in counts.items():
            pm, pu = lam, 1.0 - lam
            for f, lv in zip(fields, vec, strict=True):
                if lv is not Level.MISSING:
                    m, u = probs[f][lv]
                    pm *= m
                    pu *= u
            posterior.append((vec, k, pm / (pm + pu) if pm + pu > 0 else 0.0))
        # M: shares per class
        new_lam = sum(k * p for _, k, p in posterior) / n
        new: Probabilities = {}
        for i, f in enumerate(fields):
            cm = dict.fromkeys(LEVELS[f], PSEUDO)
            cu = dict.fromkeys(LEVELS[f], PSEUDO)
            for vec, k, p in posterior:
                lv = vec[i]
                if lv is not Level.MISSING:
                    cm[lv] += k * p
                    cu[lv] += k * (1.0 - p)
            tm, tu = sum(cm.values()), sum(cu.values())
            if observed[i] < MIN_OBSERVED:
                new[f] = dict(probs[f])
            else:
                new[f] = {lv: (cm[lv] / tm, cu[lv] / tu) for lv in LEVELS[f]}
        shift = max(
            abs(a - b)
            for f in fields
            for lv in LEVELS[f]
            for a, b in zip(new[f][lv], probs[f][lv], strict=True)
        )
        probs, lam = new, min(max(new_lam, 1e-6), 1 - 1e-6)
        if shift < tolerance:
            break
    # The two classes are only named by their start; make "match" the class where
    # exact agreement is likelier, should EM have swapped them.
    if sum(math.log(probs[f][Level.EXACT][0] / probs[f][Level.EXACT][1]) for f in fields) < 0:
        probs = {f: {lv: (u, m) for lv, (m, u) in levels.items()} for f, levels in probs.items()}
        lam = 1 - lam
    return Estimate(probs, lam, it, n)


def random_u(
    columns: Sequence[Sequence[Level]], fields: Sequence[MatchField], *, start: Probabilities
) -> Probabilities:
    """The u per field and level as measured on random pairs (m kept from ``start``).

    ``columns`` holds, per field, the level of every random pair.
    """
    out: Probabilities = {}
    for levels, f in zip(columns, fields, strict=True):
        seen = Counter(levels)
        counts = {lv: PSEUDO + seen[lv] for lv in LEVELS[f]}
        total = sum(counts.values())
        if total - len(LEVELS[f]) * PSEUDO < MIN_OBSERVED:
            out[f] = dict(start[f])
        else:
            out[f] = {lv: (start[f][lv][0], counts[lv] / total) for lv in LEVELS[f]}
    return out


__all__ = ["MIN_OBSERVED", "PSEUDO", "Estimate", "estimate", "random_u"]
