"""Transaction set grammars as data: the YAML files in ``grammars/`` turned into typed objects.

``segments.yaml`` is the segment dictionary (each element's reference number,
name, type, lengths, requirement and code list, and the segment's relational
conditions); ``codes.yaml`` the code lists; one file per transaction set
(``850.yaml``, ``997.yaml``) gives the set's structure: segments with their
requirement and maximum use, loops with their repeat count. Adding a set is
adding a file, not code. The files are read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

ElementType = Literal["AN", "ID", "DT", "TM", "R", "N0", "N1", "N2", "N3", "N4", "N6"]
_TYPES = {"AN", "ID", "DT", "TM", "R", "N0", "N1", "N2", "N3", "N4", "N6"}


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One data element of a segment (position is 1-based: ``BEG03`` is 3)."""

    position: int
    ref: str
    name: str
    type: str
    min_len: int
    max_len: int
    req: str
    codes: str | None

    @property
    def mandatory(self) -> bool:
        return self.req == "M"


@dataclass(frozen=True, slots=True)
class Condition:
    """A relational condition between element positions: P, R, C or E."""

    kind: str
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SegmentDef:
    id: str
    name: str
    elements: tuple[ElementDef, ...]
    syntax: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class SegmentUse:
    """A segment's place in a set: mandatory or not, how many times."""

    id: str
    req: str
    max_use: int

    @property
    def first(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop: its body's first segment starts each of at most ``repeat`` repetitions."""

    id: str
    req: str
    repeat: int
    body: tuple[Node, ...]

    @property
    def first(self) -> str:
        return self.body[0].first


Node = SegmentUse | Loop


@dataclass(frozen=True, slots=True)
class SetGrammar:
    code: str
    name: str
    functional_id: str
    body: tuple[Node, ...]

    def segment_ids(self) -> frozenset[str]:
        out: set[str] = set()

        def walk(nodes: tuple[Node, ...]) -> None:
            for n in nodes:
                if isinstance(n, Loop):
                    walk(n.body)
                else:
                    out.add(n.id)

        walk(self.body)
        return frozenset(out)


def _text(name: str) -> Any:
    return yaml.safe_load(
        resources.files("crossdock.connectors.edi_x12")
        .joinpath("grammars")
        .joinpath(name)
        .read_text("utf-8")
    )


@cache
def code_lists() -> dict[str, dict[str, str]]:
    """Code list name -> {code: meaning}."""
    out: dict[str, dict[str, str]] = {}
    for part in ("codes.yaml", "codes-out.yaml"):
        for name, codes in _text(part).items():
            out.setdefault(name, {}).update({str(k): str(v) for k, v in codes.items()})
    return out


@cache
def segments() -> dict[str, SegmentDef]:
    """The segment dictionary, by segment id."""
    lists = code_lists()
    out: dict[str, SegmentDef] = {}
    # The outbound documents' segments live in their own file; an id in both is an error.
    inbound, outbound = _text("segments.yaml"), _text("segments-out.yaml")
    if clash := set(inbound) & set(outbound):
        raise ValueError(f"grammar: segments {sorted(clash)} defined twice")
    for sid, spec in (inbound | outbound).items():
        elements = []
        for i, row in enumerate(spec["elements"], start=1):
            ref, name, typ, lo, hi, req, *rest = row
            codes = str(rest[0]) if rest else None
            if typ not in _TYPES or req not in ("M", "O", "X") or (codes and codes not in lists):
                raise ValueError(f"grammar: {sid}{i:02d} is not a valid element definition")
            elements.append(ElementDef(i, str(ref), str(name), typ, int(lo), int(hi), req, codes))
        syntax = tuple(
            Condition(str(c[0]), tuple(int(p) for p in c[1:])) for c in spec.get("syntax", [])
        )
        out[sid] = SegmentDef(sid, str(spec["name"]), tuple(elements), syntax)
    return out


def _node(raw: Any, known: dict[str, SegmentDef]) -> Node:
    if isinstance(raw, dict):
        body = tuple(_node(r, known) for r in raw["body"])
        return Loop(str(raw["loop"]), str(raw["req"]), int(raw["repeat"]), body)
    sid, req, max_use = raw
    if sid not in known:
        raise ValueError(f"grammar: segment {sid} is not in segments.yaml")
    return SegmentUse(str(sid), str(req), int(max_use))


@cache
def grammar(code: str) -> SetGrammar:
    """The grammar of transaction set ``code`` (``850``); KeyError when the hub has none."""
    try:
        raw = _text(f"{code}.yaml")
    except FileNotFoundError:
        raise KeyError(code) from None
    known = segments()
    return SetGrammar(
        str(raw["set"]),
        str(raw["name"]),
        str(raw["functional_id"]),
        tuple(_node(r, known) for r in raw["body"]),
    )


SUPPORTED = ("850", "860", "997", "855", "856", "810", "846")
"""Transaction sets the hub has a grammar for."""


def supported(code: str) -> bool:
    return code in SUPPORTED


__all__ = [
    "SUPPORTED",
    "Condition",
    "ElementDef",
    "Loop",
    "Node",
    "SegmentDef",
    "SegmentUse",
    "SetGrammar",
    "code_lists",
    "grammar",
    "segments",
    "supported",
]
