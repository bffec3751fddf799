"""Field comparisons: how two profiles agree on each field, as a level.

Each comparison answers one :class:`Level`: ``exact`` (equal once
normalized), ``close`` (a typo, a word order, a missing suite number),
``partial`` (weaker: a name word in common, the same house number on a
street spelt otherwise, the same postcode area; name, street and postcode
only, see :data:`LEVELS`), ``different``, or ``missing`` when either side
does not know the field. String similarity is rapidfuzz's (Jaro-Winkler
and Indel ratios for names and cities, token ratios for word order,
optimal-string-alignment distance for one-key typos and swapped keys in
codes). How much each level counts is not decided here: EM estimates it
per level from the data (:mod:`.em`).

Every comparison is symmetric: swapping the two profiles gives the same
levels (the property tests hold it), so a pair has one weight.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from crossdock.config.customers import Level, MatchField
from crossdock.services.customers.normalize import CACHED
from crossdock.services.customers.profile import Profile

RANK = {Level.EXACT: 4, Level.CLOSE: 3, Level.PARTIAL: 2, Level.DIFFERENT: 1, Level.MISSING: 0}
"""The more two values agree, the higher; ``missing`` is lowest only for taking the best."""

_GRADED = (Level.EXACT, Level.CLOSE, Level.PARTIAL, Level.DIFFERENT)
_PLAIN = (Level.EXACT, Level.CLOSE, Level.DIFFERENT)
LEVELS: dict[MatchField, tuple[Level, ...]] = {
    MatchField.NAME: _GRADED,
    MatchField.STREET: _GRADED,
    MatchField.CITY: _PLAIN,
    MatchField.POSTCODE: _GRADED,
    MatchField.PHONE: _PLAIN,
    MatchField.EMAIL_DOMAIN: (Level.EXACT, Level.DIFFERENT),
    MatchField.TAX_ID: _PLAIN,
}
"""The levels each field's comparison can give besides ``missing``, best first."""

Comparison = Callable[[Profile, Profile], Level]


Grade = Callable[[str, str], Level]
"""How two different, non-empty values agree: ``close``, ``partial`` or ``different``."""


def _text(a: str, b: str, grade: Grade) -> Level:
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    return grade(a, b)


def _close_or_not(close: Callable[[str, str], bool]) -> Grade:
    return lambda a, b: Level.CLOSE if close(a, b) else Level.DIFFERENT


_STOP = frozenset({"and", "of", "the"})


def _grade_name(a: str, b: str) -> Level:
    # close: a typo, swapped words or a misplaced space ("meridianr estaurant").
    # Jaro-Winkler only from 0.95: below, its bonus for a common start makes
    # "alexander dixon" and "alexander dent" close (0.93). (Each score_cutoff lets
    # rapidfuzz stop early on the many pairs that are nowhere near.)
    if (
        fuzz.ratio(a, b, score_cutoff=90)
        or fuzz.token_sort_ratio(a, b, score_cutoff=90)
        or fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""), score_cutoff=90)
        or JaroWinkler.similarity(a, b, score_cutoff=0.95)
        or (min(len(a), len(b)) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1)
    ):
        return Level.CLOSE
    # partial: one name is the other with words added ("acme" / "acme industrial
    # supply"), or the two share a word ("annika ryan" / "jack ryan"); how much that
    # says is EM's to learn (a lot among people, little among "Acme ..." companies)
    wa, wb = _word_set(a), _word_set(b)
    shared = wa & wb
    if shared and (wa <= wb or wb <= wa or any(len(w) > 2 for w in shared - _STOP)):
        return Level.PARTIAL
    return Level.DIFFERENT


@lru_cache(maxsize=CACHED)
def _word_set(s: str) -> frozenset[str]:
    return frozenset(s.split())


_NUMBER = re.compile(r"\S*\d\S*")  # a word with a digit: a house or suite number


@lru_cache(maxsize=CACHED)
def _numbers(s: str) -> tuple[str, ...]:
    """Cached: a street is compared with many others in training's random pairs."""
    return tuple(sorted(_NUMBER.findall(s)))


def _grade_street(a: str, b: str) -> Level:
    # A different house or suite number is another door, however alike the words.
    na, nb = _numbers(a), _numbers(b)
    # one street's words all in the other's: "12 main street" / "12 main street suite 4"
    # (a suite number one side left out, when the house numbers agree)
    wa, wb = _word_set(a), _word_set(b)
    within = bool(wa & wb) and (wa <= wb or wb <= wa)
    if na == nb and (
        within
        or fuzz.token_sort_ratio(a, b, score_cutoff=80)
        or fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""), score_cutoff=90)  # "p lace"
    ):
        return Level.CLOSE
    if na and na[:1] == nb[:1] and within:
        return Level.CLOSE
    # partial: the same house number (or one side without any) on a street whose
    # words mostly agree ("238 berne creswcent" / "238 berne crescent civic centre")
    if (na[:1] == nb[:1] or not na or not nb) and (
        fuzz.token_set_ratio(a, b, score_cutoff=85) or fuzz.partial_ratio(a, b, score_cutoff=90)
    ):
        return Level.PARTIAL
    return Level.DIFFERENT


def _close_city(a: str, b: str) -> bool:
    return bool(JaroWinkler.similarity(a, b, score_cutoff=0.92))


_grade_city = _close_or_not(_close_city)


def _grade_code(a: str, b: str) -> Level:
    if min(len(a), len(b)) <= 3:
        return Level.DIFFERENT
    # one key off or two keys swapped ("4117" / "4171"): a typo
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return Level.CLOSE
    # the same area: a ZIP's first three digits are its sectional centre
    return Level.PARTIAL if a[:3] == b[:3] else Level.DIFFERENT


def _best(levels: Iterable[Level]) -> Level:
    return max(levels, key=RANK.__getitem__, default=Level.MISSING)


def _places(field: str, grade: Grade) -> Comparison:
    def compare(x: Profile, y: Profile) -> Level:
        if len(x.places) == 1 == len(y.places):  # the common case, without the search
            return _text(getattr(x.places[0], field), getattr(y.places[0], field), grade)
        return _best(
            _text(getattr(p, field), getattr(q, field), grade) for p in x.places for q in y.places
        )

    return compare


def _sets(a: frozenset[str], b: frozenset[str], close: Callable[[str, str], bool]) -> Level:
    if not a or not b:
        return Level.MISSING
    if a & b:
        return Level.EXACT
    return Level.CLOSE if any(close(p, q) for p in a for q in b) else Level.DIFFERENT


def _close_phone(a: str, b: str) -> bool:
    return a[-7:] == b[-7:] or Levenshtein.distance(a, b) <= 1


def _never(a: str, b: str) -> bool:
    return False  # a domain is the same or another: no 'close' level


def _close_tax(a: str, b: str) -> bool:
    # The same number filed under another scheme name ("EIN:12..." / "TAXID:12..."),
    # or one digit mistyped or two swapped: a number of five or more characters one
    # key off is a typing error far more often than another company's number.
    va, vb = a.split(":", 1)[1], b.split(":", 1)[1]
    return va == vb or (min(len(va), len(vb)) >= 5 and OSA.distance(va, vb, score_cutoff=1) <= 1)


COMPARISONS: dict[MatchField, Comparison] = {
    MatchField.NAME: lambda x, y: _text(x.name, y.name, _grade_name),
    MatchField.STREET: _places("street", _grade_street),
    MatchField.CITY: _places("city", _grade_city),
    MatchField.POSTCODE: _places("postcode", _grade_code),
    MatchField.PHONE: lambda x, y: _sets(x.phones, y.phones, _close_phone),
    MatchField.EMAIL_DOMAIN: lambda x, y: _sets(
        x.email_domains, y.email_domains, lambda a, b: False
    ),
    MatchField.TAX_ID: lambda x, y: _sets(x.tax_ids, y.tax_ids, _close_tax),
}


Pairs = Sequence[tuple[int, int]]


def _text_column(
    values: Sequence[str | None],
    pairs: Pairs,
    grade: Grade,
    profiles: Sequence[Profile],
    whole: Comparison,
) -> list[Level]:
    """:func:`_text` over ``pairs``, without a call per pair.

    A ``None`` value (a profile with several places) takes the ``whole`` comparison.
    """
    missing, exact = Level.MISSING, Level.EXACT
    out: list[Level] = []
    add = out.append
    for i, j in pairs:
        a, b = values[i], values[j]
        if a is None or b is None:
            add(whole(profiles[i], profiles[j]))
        elif not a or not b:
            add(missing)
        elif a == b:
            add(exact)
        else:
            add(grade(a, b))
    return out


def _set_column(
    values: Sequence[frozenset[str]], pairs: Pairs, close: Callable[[str, str], bool]
) -> list[Level]:
    """:func:`_sets` over ``pairs``."""
    missing, exact, near, other = Level.MISSING, Level.EXACT, Level.CLOSE, Level.DIFFERENT
    out: list[Level] = []
    add = out.append
    for i, j in pairs:
        a, b = values[i], values[j]
        if not a or not b:
            add(missing)
        elif not a.isdisjoint(b):
            add(exact)
        elif len(a) == 1 == len(b):  # the common case, without the search
            (p,), (q,) = a, b
            add(near if close(p, q) else other)
        elif any(close(p, q) for p in a for q in b):
            add(near)
        else:
            add(other)
    return out


def _place_values(profiles: Sequence[Profile], field: str) -> list[str | None]:
    """Each profile's one place's ``field``: "" (missing) with none, None with several."""
    return [
        getattr(p.places[0], field) if len(p.places) == 1 else (None if p.places else "")
        for p in profiles
    ]


_COLUMN_TEXT: dict[MatchField, tuple[str, Grade]] = {
    MatchField.STREET: ("street", _grade_street),
    MatchField.CITY: ("city", _grade_city),
    MatchField.POSTCODE: ("postcode", _grade_code),
}
_COLUMN_SETS: dict[MatchField, tuple[str, Callable[[str, str], bool]]] = {
    MatchField.PHONE: ("phones", _close_phone),
    MatchField.EMAIL_DOMAIN: ("email_domains", _never),
    MatchField.TAX_ID: ("tax_ids", _close_tax),
}


class Table:
    """Many profiles' compared values, read once: the levels of any of their index pairs.

    What :func:`compare` gives, field by field over plain values: bulk matching compares
    tens of thousands of pairs, and this spends a fraction of the per-pair calls.
    """

    def __init__(self, profiles: Sequence[Profile], fields: Sequence[MatchField]) -> None:
        self.profiles = profiles
        self.fields = tuple(fields)
        self._values: dict[MatchField, Sequence[Any]] = {}

    def _read(self, field: MatchField) -> Sequence[Any]:
        values = self._values.get(field)
        if values is None:
            if field is MatchField.NAME:
                values = [p.name for p in self.profiles]
            elif field in _COLUMN_TEXT:
                values = _place_values(self.profiles, _COLUMN_TEXT[field][0])
            else:
                values = [getattr(p, _COLUMN_SETS[field][0]) for p in self.profiles]
            self._values[field] = values
        return values

    def column(self, pairs: Pairs, field: MatchField) -> list[Level]:
        """The level of ``field`` for each of ``pairs``."""
        whole = COMPARISONS[field]
        if field is MatchField.NAME:
            return _text_column(self._read(field), pairs, _grade_name, self.profiles, whole)
        if field in _COLUMN_TEXT:
            grade = _COLUMN_TEXT[field][1]
            return _text_column(self._read(field), pairs, grade, self.profiles, whole)
        if field in _COLUMN_SETS:
            return _set_column(self._read(field), pairs, _COLUMN_SETS[field][1])
        profiles = self.profiles
        return [whole(profiles[i], profiles[j]) for i, j in pairs]

    def vectors(self, pairs: Pairs) -> list[tuple[Level, ...]]:
        """The comparison vector of each of ``pairs`` over :attr:`fields`."""
        return list(zip(*(self.column(pairs, f) for f in self.fields), strict=True))


def compare(x: Profile, y: Profile, fields: Iterable[MatchField]) -> tuple[Level, ...]:
    """The comparison vector of ``x`` and ``y`` over ``fields``, in their order."""
    return tuple([c(x, y) for c in _comparisons(tuple(fields))])


@lru_cache(maxsize=16)
def _comparisons(fields: tuple[MatchField, ...]) -> tuple[Comparison, ...]:
    # looked up once per field list: bulk matching compares hundreds of thousands of pairs
    return tuple(COMPARISONS[f] for f in fields)


__all__ = ["COMPARISONS", "LEVELS", "RANK", "Table", "compare"]
