"""The console's pure parts for orders, customer review and the last-hour charts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.ui.activity import BUCKETS, WINDOW, SystemActivity, bar_chart, first_exception_since
from crossdock.ui.customers import shown
from crossdock.ui.orders import step_detail

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class _Exc:
    id: int
    created_at: datetime


class _Exceptions:
    def __init__(self, rows: list[_Exc]) -> None:
        self.rows = rows
        self.asked = 0

    def page(self, *, status: Any, after_id: int, limit: int) -> list[_Exc]:
        self.asked += 1
        return [r for r in self.rows if r.id > after_id][:limit]


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=50), max_size=80),
    minutes=st.lists(st.integers(min_value=0, max_value=5), max_size=80),
    cut=st.integers(min_value=-5, max_value=400),
)
def test_the_first_exception_of_the_hour_is_found_by_a_search(
    gaps: list[int], minutes: list[int], cut: int
) -> None:
    rows, ident, at = [], 0, T0
    for gap, step in zip(gaps, minutes, strict=False):
        ident += gap
        at += timedelta(minutes=step)
        rows.append(_Exc(ident, at))
    since = T0 + timedelta(minutes=cut)
    exceptions = _Exceptions(rows)
    after = first_exception_since(SimpleNamespace(exceptions=exceptions), since)  # type: ignore[arg-type]
    assert [r for r in rows if r.id > after] == [r for r in rows if r.created_at >= since]
    assert exceptions.asked <= 4 * (max(ident, 1).bit_length() + 2), "a search, not a scan"


def test_the_error_rate_counts_refused_over_all_input() -> None:
    a = SystemActivity("erp", [3, 0, 0] + [0] * (BUCKETS - 3), [1, 0, 2] + [0] * (BUCKETS - 3))
    assert a.rates[:3] == [0.25, None, 1.0]
    assert a.total_rate == 3 / 6
    assert SystemActivity("x", [0] * BUCKETS, [0] * BUCKETS).total_rate is None


def test_a_chart_says_everything_in_text() -> None:
    since = T0
    svg = str(bar_chart([5.0, None, 12_345.0], label='erp: "busy" <hour>', unit="", since=since))
    assert 'role="img"' in svg and 'aria-label="erp: &quot;busy&quot; &lt;hour&gt;"' in svg
    minutes = int(WINDOW.total_seconds() // 60 // 3)
    tips = re.findall(r"<title>([^<]*)</title>", svg)
    assert tips[1:] == [
        f"00:00 to 00:{minutes:02d} UTC: 5",
        f"00:{minutes:02d} to 00:{2 * minutes:02d} UTC: no input",
        f"00:{2 * minutes:02d} to 01:00 UTC: 12,345",
    ]
    assert ">12k</text>" in svg and ">-60 min</text>" in svg and ">now</text>" in svg
    rate = str(bar_chart([0.5], label="rate", unit="%", since=since, top=1.0))
    assert ": 50 %</title>" in rate and ">100 %</text>" in rate


def test_review_fields_show_what_is_stored() -> None:
    data = {
        "name": "Acme",
        "sites": [
            {"address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "62701"}},
            {"address": {"line1": "1 Main St", "city": "Shelbyville"}},
        ],
        "contacts": [{"phone": "555-1234", "email": "a@acme.example"}],
        "tax_ids": [{"scheme": "EIN", "value": "12-3456789"}],
    }
    assert shown(data, "name") == "Acme"
    assert shown(data, "street") == "1 Main St", "the same value once"
    assert shown(data, "city") == "Springfield; Shelbyville"
    assert shown(data, "email_domain") == "acme.example"
    assert shown(data, "tax_id") == "12-3456789"
    assert shown({}, "phone") == "-"


def test_a_step_detail_reads_as_pairs() -> None:
    got = step_detail({"actor": "Ada", "holds": ["credit"], "recheck": {"limit": "30"}, "x": None})
    assert got == [("actor", "Ada"), ("holds", "0=credit"), ("recheck", "limit=30"), ("x", "")]
