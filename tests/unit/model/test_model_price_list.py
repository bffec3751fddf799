"""Price list: scope, validity window, rounding, entries and their quantity breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from crossdock.model import PriceList, PriceListKind, PriceMethod, RoundingMode
from crossdock.model.price_list import ends_at, starts_at


def entry(**over: Any) -> dict[str, Any]:
    return {"sku": "A", "breaks": [{"min_quantity": "1", "value": "10"}], **over}


CONTRACT: dict[str, Any] = {
    "code": "CTR-C100",
    "name": "Contract C100",
    "kind": "contract",
    "currency": "USD",
    "scope": {"customers": ["C100"], "ship_tos": ["C100-ST1"], "channels": ["edi"]},
    "valid_from": "2025-01-01T00:00:00Z",
    "valid_to": "2026-01-01T00:00:00-05:00",
    "timezone": "America/Chicago",
    "priority": 10,
    "rounding": {"places": 2, "mode": "half_even"},
    "entries": [
        entry(
            unit="CS",
            breaks=[
                {"min_quantity": "1", "value": "100.00"},
                {"min_quantity": "10", "value": "95.00"},
            ],
        ),
        entry(
            sku=None,
            category="fasteners",
            method="percent_off",
            base_list="BASE",
            breaks=[{"min_quantity": "1", "value": "5"}, {"min_quantity": "100", "value": "12.5"}],
        ),
        entry(sku="B", method="markup_on_cost", breaks=[{"min_quantity": "1", "value": "35"}]),
    ],
}


def locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def refused(data: dict[str, Any]) -> pytest.ExceptionInfo[ValidationError]:
    with pytest.raises(ValidationError) as err:
        PriceList.model_validate({"code": "X", **data})
    return err


def test_a_full_price_list_expresses_every_method() -> None:
    pl = PriceList.model_validate(CONTRACT)
    assert pl.kind is PriceListKind.CONTRACT
    assert pl.rounding is not None and pl.rounding.mode is RoundingMode.HALF_EVEN
    fixed, pct, markup = pl.entries
    assert fixed.method is PriceMethod.FIXED and fixed.breaks[1].value == Decimal("95.00")
    assert pct.method is PriceMethod.PERCENT_OFF and pct.base_list == "BASE"
    assert markup.method is PriceMethod.MARKUP_ON_COST and markup.breaks[0].value == 35
    assert pl.valid_to == datetime(2026, 1, 1, 5, tzinfo=UTC)


def test_only_the_code_is_required() -> None:
    pl = PriceList.model_validate({"code": "BASE"})
    assert pl.timezone == "UTC" and pl.kind is None and pl.priority is None and pl.entries == []
    assert locs(refused({"code": None})) == [("code",)]


def test_breaks_ascend_without_repeats() -> None:
    down = [{"min_quantity": "10", "value": "9"}, {"min_quantity": "1", "value": "10"}]
    twice = [{"min_quantity": "5", "value": "9"}, {"min_quantity": "5", "value": "8"}]
    for breaks in (down, twice):
        err = refused({"entries": [entry(breaks=breaks)]})
        assert locs(err) == [("entries", 0, "breaks")] and "ascending" in str(err.value)
    assert locs(refused({"entries": [entry(breaks=[])]})) == [("entries", 0, "breaks")]
    zero = [{"min_quantity": "0", "value": "1"}]
    assert locs(refused({"entries": [entry(breaks=zero)]})) == [
        ("entries", 0, "breaks", 0, "min_quantity")
    ]


def test_an_entry_prices_exactly_one_of_sku_or_category() -> None:
    for e in (entry(category="c"), entry(sku=None)):
        err = refused({"entries": [e]})
        assert locs(err) == [("entries", 0)] and "exactly one of sku or category" in str(err.value)


def test_percent_off_is_between_0_and_100_and_names_its_list() -> None:
    over = entry(
        method="percent_off", base_list="BASE", breaks=[{"min_quantity": "1", "value": "101"}]
    )
    err = refused({"entries": [over]})
    assert locs(err) == [("entries", 0, "breaks")] and "between 0 and 100" in str(err.value)
    err = refused({"entries": [entry(method="percent_off")]})
    assert locs(err) == [("entries", 0, "method")] and "base_list" in str(err.value)


def test_a_fixed_price_is_not_negative() -> None:
    err = refused({"entries": [entry(breaks=[{"min_quantity": "1", "value": "-1"}])]})
    assert locs(err) == [("entries", 0, "breaks")]


def test_the_window_is_aware_and_ends_after_it_starts() -> None:
    err = refused({"valid_from": "2025-06-01T00:00:00Z", "valid_to": "2025-06-01T00:00:00Z"})
    assert locs(err) == [("valid_to",)] and "after valid_from" in str(err.value)
    assert locs(refused({"valid_from": "2025-06-01T00:00:00"})) == [("valid_from",)]


def test_timezone_and_rounding_are_checked() -> None:
    err = refused({"timezone": "Mars/Olympus"})
    assert locs(err) == [("timezone",)] and "IANA" in str(err.value)
    assert locs(refused({"rounding": {"places": 9}})) == [("rounding", "places")]
    assert locs(refused({"rounding": {"mode": "bankers"}})) == [("rounding", "mode")]


def test_floats_are_refused_for_prices() -> None:
    err = refused({"entries": [entry(breaks=[{"min_quantity": "1", "value": 9.99}])]})
    assert locs(err) == [("entries", 0, "breaks", 0, "value")]


def test_natural_keys() -> None:
    assert PriceList.natural_keys({"code": "BASE"}) == [("code", "BASE")]
    assert PriceList.natural_keys({"name": "no code"}) == []


def test_json_round_trip() -> None:
    pl = PriceList.model_validate(CONTRACT)
    doc = pl.model_dump(mode="json", exclude_none=True)
    assert doc["entries"][1]["breaks"][1]["value"] == "12.5"
    assert doc["valid_to"] == "2026-01-01T00:00:00-05:00"
    assert PriceList.model_validate(doc) == pl


def test_a_date_is_a_day_in_the_lists_zone_and_valid_to_runs_through_it() -> None:
    pl = PriceList.model_validate(
        {
            **CONTRACT,
            "timezone": "Europe/Paris",
            "valid_from": "2027-01-01",
            "valid_to": "2027-01-31",
        }
    )
    assert pl.model_dump(mode="json")["valid_from"] == "2027-01-01"  # kept as written
    tz = ZoneInfo("Europe/Paris")
    assert starts_at(pl.valid_from, tz) == datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert ends_at(pl.valid_to, tz) == datetime(2027, 1, 31, 23, tzinfo=UTC)
    # through 31 December in Paris ends where the instant starts: an empty window
    err = refused(
        {"timezone": "Europe/Paris", "valid_from": "2027-01-01T00:00:00+01:00",
         "valid_to": "2026-12-31"}
    )  # fmt: skip
    assert locs(err) == [("valid_to",)] and "after valid_from" in str(err.value)


def test_entry_windows_are_checked_in_the_lists_zone() -> None:
    err = refused({"entries": [entry(valid_to="2027-01-15"), entry(valid_from="2027-01-15")]})
    assert locs(err) == [("entries",)] and "entries.0 and entries.1" in str(err.value)
    ok = PriceList.model_validate(
        {**CONTRACT, "entries": [entry(valid_to="2027-01-14"), entry(valid_from="2027-01-15")]}
    )
    assert [e.valid_from for e in ok.entries] == [None, date(2027, 1, 15)]
    err = refused({"entries": [entry(valid_from="2027-01-15T00:00:00")]})
    assert locs(err) == [("entries", 0, "valid_from")] and "UTC offset" in str(err.value)


def test_rounding_to_an_increment_or_an_ending() -> None:
    pl = PriceList.model_validate(
        {**CONTRACT, "rounding": {"increment": "0.05", "ending": "0.04", "mode": "up"}}
    )
    assert pl.rounding is not None and pl.rounding.increment == Decimal("0.05")
    assert locs(refused({"rounding": {"ending": "1"}})) == [("rounding",)]
    assert locs(refused({"rounding": {"increment": "0.001"}})) == [("rounding",)]
