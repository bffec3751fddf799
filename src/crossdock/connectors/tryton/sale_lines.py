"""What a Tryton sale's lines must change to match an order: the plan of an amendment.

Tryton's sale module (8.2, ``sale/sale.py``) makes every field of a sale line
read-only unless the sale is ``draft``, and lets a sale go back to draft from
``quotation``, ``confirmed`` (confirmed but not yet processed) and
``cancelled``. Once ``process`` has run (state ``processing`` or ``done``) the
sale's shipments and invoices are planned from its lines, and it never goes
back to draft. So the hub forwards an amendment to a sale in
:data:`AMENDABLE_STATES` and refuses it otherwise.

Lines are matched by ``sequence``, which the hub sets to the order line
number, so a plan computed again after a crash or a retry finds the lines
already written and plans nothing more: an amendment never doubles a line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

AMENDABLE_STATES = frozenset({"draft", "quotation", "confirmed"})
"""Sale states whose lines the hub may change (going back to draft first)."""

_COMPARED = ("product", "unit", "quantity", "unit_price")


@dataclass(slots=True)
class LinePlan:
    """Tryton line ids to delete, (id, values) to write, values to create."""

    delete: list[int] = field(default_factory=list)
    write: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    create: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.delete or self.write or self.create)


def _same(field_name: str, have: Any, want: Any) -> bool:
    if field_name in ("quantity", "unit_price"):
        if have is None or want is None:
            return have is want
        # Tryton keeps quantities as floats: compare through their shortest text
        return Decimal(str(have)) == Decimal(str(want))
    return bool(have == want)


def line_plan(have: Sequence[Mapping[str, Any]], want: Sequence[Mapping[str, Any]]) -> LinePlan:
    """The changes that make the sale's lines ``have`` equal to ``want`` (by sequence).

    ``have``: Tryton's ``sale.line`` rows (``id``, ``sequence`` and the compared
    fields); ``want``: the line values the destination builds for the order.
    A second line with a sequence already seen (none the hub makes) is deleted.
    """
    plan = LinePlan()
    by_seq: dict[int, Mapping[str, Any]] = {}
    for row in have:
        if row.get("type", "line") != "line":
            continue  # a comment or subtotal line someone added in Tryton stays
        seq = int(row.get("sequence") or 0)
        if seq in by_seq:
            plan.delete.append(int(row["id"]))
        else:
            by_seq[seq] = row
    wanted = {int(v["sequence"]): v for v in want}
    for seq, row in by_seq.items():
        if seq not in wanted:
            plan.delete.append(int(row["id"]))
    for seq, values in sorted(wanted.items()):
        old = by_seq.get(seq)
        if old is None:
            plan.create.append(dict(values))
            continue
        changed = {
            k: values[k] for k in _COMPARED if k in values and not _same(k, old.get(k), values[k])
        }
        if changed:
            plan.write.append((int(old["id"]), changed))
    return plan


__all__ = ["AMENDABLE_STATES", "LinePlan", "line_plan"]
