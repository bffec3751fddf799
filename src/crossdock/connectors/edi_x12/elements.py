"""Checking one segment's data elements against its definition (types, lengths, codes, conditions).

Types: ``AN`` strings and ``ID`` codes (no control characters; an ID whose
element names a code list must hold one of its codes), ``DT`` dates
(CCYYMMDD or YYMMDD), ``TM`` times (HHMM[SS[d..]]), ``Nn`` integers with n
implied decimals and ``R`` decimals. Lengths leave out a minus sign and a
decimal point, as X12 counts them. Each problem carries its 997 code (AK403).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from crossdock.connectors.edi_x12.codes import ElementCode
from crossdock.connectors.edi_x12.grammar import Condition, ElementDef, SegmentDef, code_lists

_NUMBER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ElementError:
    """AK4: element ``position`` (1-based) with reference ``ref`` is wrong (``code``)."""

    position: int
    ref: str
    code: ElementCode
    value: str = ""


def _length(ed: ElementDef, value: str) -> int:
    if ed.type == "R":
        return len(value) - value.count("-") - value.count(".")
    if ed.type[0] == "N":
        return len(value) - value.count("-")
    return len(value)


@lru_cache(maxsize=4096)
def _valid_date(v: str) -> bool:
    if not v.isdigit() or len(v) not in (6, 8):
        return False
    year = int(v[:4]) if len(v) == 8 else 2000 + int(v[:2])
    try:
        date(year, int(v[-4:-2]), int(v[-2:]))
    except ValueError:
        return False
    return True


def _valid_time(v: str) -> bool:
    if not v.isdigit() or len(v) not in (4, 6, 7, 8):
        return False
    return int(v[:2]) < 24 and int(v[2:4]) < 60 and (len(v) < 6 or int(v[4:6]) < 60)


def check_value(ed: ElementDef, value: str) -> ElementCode | None:
    """The problem with a present value of element ``ed``, or None."""
    t = ed.type
    if t == "R":
        if not _DECIMAL.match(value):
            return ElementCode.INVALID_CHARACTER
    elif t[0] == "N":
        if not _NUMBER.match(value):
            return ElementCode.INVALID_CHARACTER
    elif _CONTROL.search(value):
        return ElementCode.INVALID_CHARACTER
    n = _length(ed, value)
    if n < ed.min_len:
        return ElementCode.TOO_SHORT
    if n > ed.max_len:
        return ElementCode.TOO_LONG
    if t == "DT":
        return None if _valid_date(value) else ElementCode.INVALID_DATE
    if t == "TM":
        return None if _valid_time(value) else ElementCode.INVALID_TIME
    if ed.codes is not None and value not in code_lists()[ed.codes]:
        return ElementCode.INVALID_CODE
    return None


Check = Callable[[str], bool]


def _fast(ed: ElementDef) -> Check:
    """A quick yes for the common sound value of ``ed`` (no means: ask :func:`check_value`).

    Hot path of every element of every set; a value it does not vouch for is
    judged in full, so it only ever saves time, never changes an answer.
    """
    lo, hi = ed.min_len, ed.max_len
    if ed.codes is not None:
        codes = frozenset(code_lists()[ed.codes])
        return codes.__contains__
    t = ed.type
    if t == "AN" or t == "ID":
        return lambda v: lo <= len(v) <= hi and v.isprintable()
    if t == "DT":
        return lambda v: len(v) == 8 and lo <= 8 <= hi and _valid_date(v)
    if t[0] == "N":
        return lambda v: lo <= len(v) <= hi and v.isdigit() and v.isascii()
    if t == "R":
        return lambda v: (
            lo <= len(v) - ("." in v) <= hi and v.replace(".", "", 1).isdigit() and v.isascii()
        )
    return lambda v: False


Plan = tuple[tuple[int, ElementDef, Check], ...]
_PLANS: dict[str, tuple[SegmentDef, Plan]] = {}


def _plan(sdef: SegmentDef) -> Plan:
    """Each element's quick check, made once per segment definition (keyed by segment id)."""
    kept = _PLANS.get(sdef.id)
    if kept is None or kept[0] is not sdef:
        kept = (sdef, tuple((ed.position, ed, _fast(ed)) for ed in sdef.elements))
        _PLANS[sdef.id] = kept
    return kept[1]


def check_segment(seg: list[str], sdef: SegmentDef) -> list[ElementError]:
    """Every problem with one segment's elements (empty: the segment is sound)."""
    errors: list[ElementError] = []
    defs = sdef.elements
    count = len(seg) - 1
    if count > len(defs):
        errors.append(
            ElementError(len(defs) + 1, "", ElementCode.TOO_MANY, seg[len(defs) + 1][:99])
        )
    if sdef.id == "ISA":  # fixed-width fields padded with spaces; the reader took it apart
        for ed in defs:
            if ed.mandatory and not (ed.position <= count and seg[ed.position].strip()):
                errors.append(ElementError(ed.position, ed.ref, ElementCode.MANDATORY_MISSING))
        return errors
    for (position, ed, fast), value in zip(_plan(sdef), seg[1:], strict=False):
        if value:
            if fast(value):
                continue
            problem = check_value(ed, value)
            if problem is not None:
                errors.append(ElementError(position, ed.ref, problem, value[:99]))
        elif ed.req == "M":
            errors.append(ElementError(position, ed.ref, ElementCode.MANDATORY_MISSING))
    for ed in defs[count:]:
        if ed.req == "M":
            errors.append(ElementError(ed.position, ed.ref, ElementCode.MANDATORY_MISSING))
    for kind, a, b, cond in _pairs(sdef):
        if a:  # the usual two-element condition, judged here; _conditions names the failure
            pa = a <= count and seg[a] != ""
            pb = b <= count and seg[b] != ""
            if kind == "P":
                if pa is pb:
                    continue
            elif kind == "R":
                if pa or pb:
                    continue
            elif kind == "C":
                if not pa or pb:
                    continue
            elif not (pa and pb):  # E
                continue
        errors += _conditions(seg, sdef, count, (cond,))
    return errors


_PAIRS: dict[str, tuple[SegmentDef, tuple[tuple[str, int, int, Condition], ...]]] = {}


def _pairs(sdef: SegmentDef) -> tuple[tuple[str, int, int, Condition], ...]:
    """The segment's conditions with their two positions (0, 0 when they have more)."""
    kept = _PAIRS.get(sdef.id)
    if kept is None or kept[0] is not sdef:
        pairs = []
        for c in sdef.syntax:
            a, b = c.positions if len(c.positions) == 2 else (0, 0)
            pairs.append((c.kind, a, b, c))
        kept = (sdef, tuple(pairs))
        _PAIRS[sdef.id] = kept
    return kept[1]


def _conditions(
    seg: list[str], sdef: SegmentDef, count: int, conditions: tuple[Condition, ...]
) -> list[ElementError]:
    """What the relational conditions find wrong (P paired, R one of, C if-then, E only one)."""
    defs = sdef.elements
    errors: list[ElementError] = []
    for cond in conditions:
        ps = cond.positions
        present = [p <= count and seg[p] != "" for p in ps]
        missing: list[int] = []
        if cond.kind == "P" and any(present) and not all(present):
            missing = [p for p, ok in zip(ps, present, strict=True) if not ok]
        elif cond.kind == "R" and not any(present):
            missing = [ps[0]]
        elif cond.kind == "C" and present[0] and not all(present[1:]):
            missing = [p for p, ok in zip(ps, present, strict=True) if not ok]
        elif cond.kind == "E" and sum(present) > 1:
            p = [p for p, ok in zip(ps, present, strict=True) if ok][1]
            errors.append(ElementError(p, defs[p - 1].ref, ElementCode.EXCLUSION_VIOLATED))
        errors.extend(
            ElementError(p, defs[p - 1].ref, ElementCode.CONDITIONAL_MISSING) for p in missing
        )
    return errors


__all__ = ["ElementError", "check_segment", "check_value"]
