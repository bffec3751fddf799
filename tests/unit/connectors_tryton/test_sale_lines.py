"""The plan that brings a Tryton sale's lines to an amended order: applied, it matches;
planned again (a retry, a push after a crash), it is empty; a line is never doubled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.tryton.sale_lines import line_plan

_LINE = st.tuples(
    st.sampled_from([11, 12]),  # product id
    st.sampled_from([1, 2]),  # unit id
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal(50), places=1),
    st.decimals(min_value=Decimal(1), max_value=Decimal(20), places=2),
)
_LINES = st.dictionaries(st.integers(1, 8), _LINE, max_size=6)


def _wanted(lines: dict[int, tuple[int, int, Decimal, Decimal]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "line",
            "sequence": seq,
            "product": p,
            "unit": u,
            "quantity": float(q),
            "unit_price": price,
        }
        for seq, (p, u, q, price) in lines.items()
    ]


def _apply(have: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Tryton holds after the plan: deletes, writes and creates as the destination sends."""
    plan = line_plan(have, want)
    rows = {r["id"]: dict(r) for r in have if r["id"] not in set(plan.delete)}
    for line_id, values in plan.write:
        rows[line_id].update(values)
    next_id = max([0, *rows]) + 1
    for values in plan.create:
        rows[next_id] = {**values, "id": next_id}
        next_id += 1
    return list(rows.values())


@given(_LINES, _LINES)
def test_the_plan_makes_the_sale_match_and_a_second_plan_is_empty(
    before: dict[int, tuple[int, int, Decimal, Decimal]],
    after: dict[int, tuple[int, int, Decimal, Decimal]],
) -> None:
    have = [{**v, "id": i + 1} for i, v in enumerate(_wanted(before))]
    want = _wanted(after)
    now = _apply(have, want)
    assert sorted(int(r["sequence"]) for r in now) == sorted(after)  # one line per hub line
    for r in now:
        p, u, q, price = after[int(r["sequence"])]
        assert (r["product"], r["unit"], Decimal(str(r["quantity"])), r["unit_price"]) == (
            p,
            u,
            q,
            price,
        )
    assert line_plan(now, want).empty


def test_a_line_doubled_in_tryton_is_deleted_and_comment_lines_stay() -> None:
    want = _wanted({1: (11, 1, Decimal(2), Decimal(3))})
    have = [
        {**want[0], "id": 1},
        {**want[0], "id": 2},  # the same sequence twice
        {"id": 3, "type": "comment", "sequence": 9},
    ]
    plan = line_plan(have, want)
    assert plan.delete == [2] and not plan.write and not plan.create


def test_a_float_quantity_from_tryton_equals_its_decimal() -> None:
    have = [
        {
            "id": 1,
            "type": "line",
            "sequence": 1,
            "product": 11,
            "unit": 1,
            "quantity": 2.0,
            "unit_price": Decimal("3.00"),
        }
    ]
    want = [
        {
            "sequence": 1,
            "product": 11,
            "unit": 1,
            "quantity": Decimal(2),
            "unit_price": Decimal("3"),
        }
    ]
    assert line_plan(have, want).empty
