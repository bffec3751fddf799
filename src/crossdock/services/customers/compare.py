"""Field comparisons: how two profiles agree on each field, as a level.

Each comparison answers one :class:`Level`: ``exact`` (equal once
normalized), ``close`` (a typo, a word order, a missing suite number),
``different``, or ``missing`` when either side does not know the field.
String similarity is rapidfuzz's (Jaro-Winkler for short names and cities,
token ratios for word order, Levenshtein for one-key typos in codes).

Every comparison is symmetric: swapping the two profiles gives the same
levels (the property tests hold it), so a pair has one weight.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from crossdock.config.customers import Level, MatchField
from crossdock.services.customers.profile import Profile

RANK = {Level.EXACT: 3, Level.CLOSE: 2, Level.DIFFERENT: 1, Level.MISSING: 0}
"""The more two values agree, the higher; ``missing`` is lowest only for taking the best."""

Comparison = Callable[[Profile, Profile], Level]


def _text(a: str, b: str, close: Callable[[str, str], bool]) -> Level:
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    return Level.CLOSE if close(a, b) else Level.DIFFERENT


def _close_name(a: str, b: str) -> bool:
    return (
        JaroWinkler.similarity(a, b) >= 0.93
        or fuzz.token_sort_ratio(a, b) >= 90
        # one name is the other with words added ("acme" / "acme industrial supply")
        or fuzz.token_set_ratio(a, b) >= 100
    )


_NUMBER = re.compile(r"\S*\d\S*")  # a word with a digit: a house or suite number


def _numbers(s: str) -> list[str]:
    return sorted(_NUMBER.findall(s))


def _close_street(a: str, b: str) -> bool:
    # A different house or suite number is another door, however alike the words.
    na, nb = _numbers(a), _numbers(b)
    if na == nb:
        return fuzz.token_sort_ratio(a, b) >= 80 or fuzz.token_set_ratio(a, b) >= 100
    # a suite number one side left out: "12 main street" / "12 main street suite 4"
    return na[:1] == nb[:1] and fuzz.token_set_ratio(a, b) >= 100


def _close_city(a: str, b: str) -> bool:
    return JaroWinkler.similarity(a, b) >= 0.92


def _close_code(a: str, b: str) -> bool:
    return min(len(a), len(b)) > 3 and Levenshtein.distance(a, b) <= 1


def _best(levels: Iterable[Level]) -> Level:
    return max(levels, key=RANK.__getitem__, default=Level.MISSING)


def _places(field: str, close: Callable[[str, str], bool]) -> Comparison:
    def compare(x: Profile, y: Profile) -> Level:
        if len(x.places) == 1 == len(y.places):  # the common case, without the search
            return _text(getattr(x.places[0], field), getattr(y.places[0], field), close)
        return _best(
            _text(getattr(p, field), getattr(q, field), close) for p in x.places for q in y.places
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
    # the same number filed under another scheme name ("EIN:12..." / "TAXID:12...")
    return a.split(":", 1)[1] == b.split(":", 1)[1]


COMPARISONS: dict[MatchField, Comparison] = {
    MatchField.NAME: lambda x, y: _text(x.name, y.name, _close_name),
    MatchField.STREET: _places("street", _close_street),
    MatchField.CITY: _places("city", _close_city),
    MatchField.POSTCODE: _places("postcode", _close_code),
    MatchField.PHONE: lambda x, y: _sets(x.phones, y.phones, _close_phone),
    MatchField.EMAIL_DOMAIN: lambda x, y: _sets(
        x.email_domains, y.email_domains, lambda a, b: False
    ),
    MatchField.TAX_ID: lambda x, y: _sets(x.tax_ids, y.tax_ids, _close_tax),
}


def compare(x: Profile, y: Profile, fields: Iterable[MatchField]) -> tuple[Level, ...]:
    """The comparison vector of ``x`` and ``y`` over ``fields``, in their order."""
    return tuple(COMPARISONS[f](x, y) for f in fields)


__all__ = ["COMPARISONS", "RANK", "compare"]
