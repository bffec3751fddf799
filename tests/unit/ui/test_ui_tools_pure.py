"""The reconciliation, quote and ATP pages' pure parts: report summaries and naming bad fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crossdock.errors import InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.store.reconcile_reports import ReportRow
from crossdock.sync.reconcile import Drift, DriftKind, ReconcileReport, Remedy
from crossdock.sync.reconcile_log import HEAD, _stored, _summary
from crossdock.ui.prices import _field_name
from crossdock.ui.stock import _codes, _day, field_of


def _drift(i: int, remedy: Remedy, et: EntityType = EntityType.PRODUCT) -> Drift:
    return Drift(DriftKind.DIFFERENT, et, f"N-{i}", f"r{i}", "cost", "0.12", "0.10", remedy)


def test_a_summary_counts_every_drift_and_keeps_only_the_head() -> None:
    drifts = [_drift(i, Remedy.INGEST) for i in range(HEAD + 5)]
    drifts.append(_drift(0, Remedy.REPORT, EntityType.CUSTOMER))
    report = ReconcileReport("erp", records=600, drifts=drifts)
    row = ReportRow(
        "erp", "run", datetime.now(UTC), "cli", 600, 0, 0, len(drifts), _summary(report),
        None, None, None,
    )  # fmt: skip
    stored = _stored(row)
    assert len(stored.head) == HEAD and stored.head[0] == drifts[0]
    assert sum(c.count for c in stored.counts) == len(drifts)
    assert stored.remediable == HEAD + 5, "report-only drifts are not healed"
    assert not stored.in_sync


def test_the_quote_form_names_a_line_field_in_its_own_words() -> None:
    assert _field_name(("lines", 1, "quantity")) == "line 2 quantity"
    assert _field_name(("ship_to",)) == "ship_to", "the name of the input it came from"


def test_atp_input_is_checked_before_the_service() -> None:
    assert _codes("sku", " A, B  A\nC ", 5) == ["A", "B", "C"]
    with pytest.raises(InvalidInput) as too_many:
        _codes("sku", "A B C", 2)
    assert too_many.value.field == "sku"
    with pytest.raises(InvalidInput):
        _codes("location", "x" * 65, 5)
    assert _day("") is None
    with pytest.raises(InvalidInput) as bad:
        _day("31/12/2026")
    assert bad.value.field == "date"


def test_an_error_without_a_field_is_named_by_its_message() -> None:
    assert field_of(NotFound("location: unknown location 'ZZ'")) == "location"
    assert field_of(NotFound("nothing of the sort")) == "input"
    assert field_of(InvalidInput("x", field="lines.0.sku")) == "lines.0.sku"
