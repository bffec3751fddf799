"""Fellegi-Sunter match weights: how much each comparison level says for or against a match.

For one field at one level, ``m`` is how often true duplicates compare so
and ``u`` how often different customers do; the level's weight is
log2(m/u) bits, and a pair's match weight is the sum over its fields
(``missing`` weighs nothing). The probabilities come from three places, the
later winning: the priors below (sound guesses for distributor data), the
EM estimates ``crossdock customers train`` stores, and the hub file's
``customers.overrides``.

Weights are kept monotone per field (exact >= close >= partial >=
different, exact >= 0 >= different): a better agreement never counts against a pair, even
where a small or odd sample would estimate it so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crossdock.config.customers import CustomersConfig, Level, MatchField
from crossdock.services.customers.compare import LEVELS, compare
from crossdock.services.customers.profile import Profile

MU = tuple[float, float]
Probabilities = dict[MatchField, dict[Level, MU]]

AGREEMENT_LEVELS = (Level.EXACT, Level.CLOSE, Level.PARTIAL, Level.DIFFERENT)
"""Every level that weighs something, best first; :data:`LEVELS` says which a field has."""


def _levels(f: MatchField, *mu: MU) -> dict[Level, MU]:
    return dict(zip(LEVELS[f], mu, strict=True))


PRIORS: Probabilities = {
    MatchField.NAME: _levels(
        MatchField.NAME, (0.70, 0.005), (0.17, 0.02), (0.05, 0.02), (0.08, 0.965)
    ),
    MatchField.STREET: _levels(
        MatchField.STREET, (0.60, 0.002), (0.20, 0.005), (0.05, 0.005), (0.15, 0.988)
    ),
    MatchField.CITY: _levels(MatchField.CITY, (0.85, 0.05), (0.07, 0.01), (0.08, 0.94)),
    MatchField.POSTCODE: _levels(
        MatchField.POSTCODE, (0.85, 0.01), (0.05, 0.01), (0.02, 0.02), (0.08, 0.96)
    ),
    MatchField.PHONE: _levels(MatchField.PHONE, (0.70, 0.0005), (0.10, 0.005), (0.20, 0.9945)),
    MatchField.EMAIL_DOMAIN: _levels(MatchField.EMAIL_DOMAIN, (0.86, 0.002), (0.14, 0.998)),
    MatchField.TAX_ID: _levels(MatchField.TAX_ID, (0.95, 0.0001), (0.03, 0.001), (0.02, 0.9989)),
}
"""Before any training: (m, u) per level of :data:`LEVELS`, guessed for distributor data
(exact tax ids are near proof, a shared city is common among strangers)."""


@dataclass(frozen=True, slots=True)
class FieldScore:
    """One comparison's part in a decision: its level, m, u and weight in bits."""

    field: MatchField
    level: Level
    m: float | None
    u: float | None
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "level": self.level.value,
            "m": self.m,
            "u": self.u,
            "weight": round(self.weight, 4),
        }


@dataclass(frozen=True, slots=True)
class Score:
    """A pair's match weight and the comparisons that make it up."""

    total: float
    fields: tuple[FieldScore, ...]

    def explain(self) -> dict[str, Any]:
        return {"weight": round(self.total, 4), "comparisons": [f.as_dict() for f in self.fields]}


def _monotone(raw: dict[Level, float]) -> dict[Level, float]:
    """Each level at least the one below it, from ``different`` (<= 0) up to ``exact`` (>= 0)."""
    floor = min(raw[Level.DIFFERENT], 0.0)
    out = {Level.MISSING: 0.0, Level.DIFFERENT: floor}
    for lv in (Level.PARTIAL, Level.CLOSE, Level.EXACT):
        if lv in raw:
            floor = out[lv] = max(raw[lv], floor)
    out[Level.EXACT] = max(out[Level.EXACT], 0.0)
    return out


class MatchModel:
    """The weights of one set of m/u probabilities over the compared fields."""

    def __init__(self, fields: Sequence[MatchField], probabilities: Probabilities) -> None:
        self.fields = tuple(fields)
        self.probabilities = {f: dict(probabilities[f]) for f in self.fields}
        self.weights = {
            f: _monotone({lv: math.log2(m / u) for lv, (m, u) in levels.items()})
            for f, levels in self.probabilities.items()
        }

    @classmethod
    def build(
        cls, config: CustomersConfig, estimated: Mapping[MatchField, Mapping[Level, MU]] | None
    ) -> MatchModel:
        """Priors, then ``estimated`` (EM), then the hub file's overrides, per field and level."""
        # A level a field does not have (an older estimate's or override's) is ignored.
        probs: Probabilities = {f: dict(PRIORS[f]) for f in config.compare}
        for source in (estimated or {}, _overrides(config)):
            for f, levels in source.items():
                if f in probs:
                    probs[f].update({lv: mu for lv, mu in levels.items() if lv in probs[f]})
        return cls(config.compare, probs)

    def weight(self, levels: Sequence[Level]) -> float:
        return sum(self.weights[f][lv] for f, lv in zip(self.fields, levels, strict=True))

    def score(self, x: Profile, y: Profile) -> Score:
        return self.explain(compare(x, y, self.fields))

    def explain(self, levels: Sequence[Level]) -> Score:
        """The score of a comparison vector, each field's part spelt out."""
        parts = []
        for f, lv in zip(self.fields, levels, strict=True):
            m, u = self.probabilities[f].get(lv, (None, None))
            parts.append(FieldScore(f, lv, m, u, self.weights[f][lv]))
        return Score(sum(p.weight for p in parts), tuple(parts))


def _overrides(config: CustomersConfig) -> Probabilities:
    return {
        f: {lv: (p.m, p.u) for lv, p in levels.items()} for f, levels in config.overrides.items()
    }


def probabilities_to_json(probs: Mapping[MatchField, Mapping[Level, MU]]) -> dict[str, Any]:
    return {
        f.value: {lv.value: {"m": m, "u": u} for lv, (m, u) in levels.items()}
        for f, levels in probs.items()
    }


def probabilities_from_json(doc: Mapping[str, Any]) -> Probabilities:
    return {
        MatchField(f): {Level(lv): (float(mu["m"]), float(mu["u"])) for lv, mu in levels.items()}
        for f, levels in doc.items()
        if f in MatchField._value2member_map_
    }


__all__ = [
    "AGREEMENT_LEVELS",
    "MU",
    "PRIORS",
    "FieldScore",
    "MatchModel",
    "Probabilities",
    "Score",
    "probabilities_from_json",
    "probabilities_to_json",
]
