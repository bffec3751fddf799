from __future__ import annotations

from decimal import Decimal

from crossdock.store.jsoncodec import dumps, loads


def test_round_trips_what_orjson_alone_cannot() -> None:
    for value in ({"big": 10**30}, {"lone": "\ud800x"}, {"d": "é", "n": None}):
        assert loads(dumps(value)) == value


def test_sorted_compact_and_decimal_as_text() -> None:
    assert dumps({"b": 1, "a": Decimal("1.50")}) == '{"a":"1.50","b":1}'
