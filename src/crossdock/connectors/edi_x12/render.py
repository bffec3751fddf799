"""An X12 file rendered for a person: segment and element names, code meanings, problems.

What ``crossdock edi show FILE`` prints: every interchange, group and set,
each segment with its name and each element with its id, name and value
(and the meaning of a code where the hub knows the list), the set's 997
judgment with every error, and for an 850 the values the hub reads from it.
"""

from __future__ import annotations

from crossdock.connectors.edi_x12 import render_out
from crossdock.connectors.edi_x12.envelope import Interchange, Segment, read
from crossdock.connectors.edi_x12.grammar import code_lists, segments
from crossdock.connectors.edi_x12.po850 import read_850
from crossdock.connectors.edi_x12.validate import validate_group


def _segment(seg: Segment, indent: str) -> list[str]:
    sdef = segments().get(seg[0])
    lists = code_lists()
    lines = [f"{indent}{seg[0]}  {sdef.name if sdef else '(not in the hub dictionary)'}"]
    for i, value in enumerate(seg[1:], start=1):
        if value == "":
            continue
        ed = sdef.elements[i - 1] if sdef and i <= len(sdef.elements) else None
        name = f"{ed.name} ({ed.ref})" if ed else "?"
        meaning = lists[ed.codes].get(value.strip()) if ed and ed.codes else None
        shown = value.strip() if seg[0] == "ISA" else value
        lines.append(
            f"{indent}  {seg[0]}{i:02d} {name}: {shown}" + (f"  [{meaning}]" if meaning else "")
        )
    return lines


def _interchange(ic: Interchange) -> list[str]:
    out = [f"Interchange {ic.control} from {'/'.join(ic.sender)} to {'/'.join(ic.receiver)}"]
    seps = ic.separators
    out.append(
        f"  separators: element {seps.element!r} component {seps.component!r} "
        f"segment {seps.segment!r} repetition {seps.repetition!r}"
    )
    if ic.problems:
        out.append("  envelope problems: " + ", ".join(p.name.lower() for p in ic.problems))
    out += _segment(ic.header, "  ")
    for group in ic.groups:
        result = validate_group(group)
        out.append(
            f"  Group {group.control} ({group.functional_id}, {group.version}): "
            f"AK9 {result.ack.value} " + " ".join(c.value for c in result.codes)
        )
        out += _segment(group.header, "    ")
        for sr in result.sets:
            codes = " ".join(c.value for c in sr.codes)
            out.append(f"    Set {sr.tset.code} {sr.tset.control}: AK5 {sr.ack.value} {codes}")
            for err in sr.errors:
                out.append(f"      ! {err.describe()} (AK304 {err.code.value})")
            for seg in sr.tset.segments:
                out += _segment(seg, "      ")
            if sr.tset.code == "850" and sr.accepted:
                out += _canonical(sr.tset)
            elif sr.accepted:
                out += render_out.canonical(sr.tset)
        if group.trailer is not None:
            out += _segment(group.trailer, "    ")
    if ic.trailer is not None:
        out += _segment(ic.trailer, "  ")
    return out


def _canonical(tset: object) -> list[str]:
    from crossdock.connectors.edi_x12.envelope import TransactionSet

    assert isinstance(tset, TransactionSet)
    po = read_850(tset)
    out = [
        "      => order "
        f"{po.number} (BEG01 {po.purpose}, BEG02 {po.po_type}) dated {po.po_date}, "
        f"currency {po.currency or '-'}, requested {po.requested or '-'}"
    ]
    for role, party in po.parties.items():
        out.append(f"         {role}: {party.name or '-'} {party.qualifier} {party.code}")
    for line in po.lines:
        ids = ", ".join(f"{i.qualifier} {i.value}" for i in line.ids)
        out.append(
            f"         line {line.number}: {line.quantity} {line.unit} at {line.price} [{ids}]"
        )
    return out


def render(data: bytes) -> str:
    """The whole file as text (raises X12SyntaxError when it is not X12)."""
    lines: list[str] = []
    for ic in read(data):
        lines += _interchange(ic)
    return "\n".join(lines) + "\n"


__all__ = ["render"]
