"""ATP is one rule: the service's arithmetic and the store's reserve condition agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.model.inventory import ATP_CLAIMS
from crossdock.services.availability.publisher import buckets_of
from crossdock.store import Store
from crossdock.store.availability import StockStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StockStore]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('atp') / 'hub.sqlite'}")
    yield StockStore(store)
    store.close()


UNITS = st.integers(min_value=0, max_value=50).map(lambda n: n * 1_000_000)


@settings(max_examples=60, deadline=None)
@given(on_hand=UNITS, claims=st.tuples(UNITS, UNITS, UNITS, UNITS), want=UNITS)
def test_a_reserve_succeeds_exactly_when_the_service_says_atp_covers_it(
    stock: StockStore, on_hand: int, claims: tuple[int, int, int, int], want: int
) -> None:
    now = datetime.now(UTC)
    values = dict(zip(ATP_CLAIMS, claims, strict=True))
    with stock.write() as stx:
        stx.ensure_position("S", "DAL", now)
        row = stx.set_values("S", "DAL", now, on_hand=on_hand, **values)
        covered = buckets_of(row).raw_atp * 1_000_000 >= want
        reserved = stx.reserve("S", "DAL", want, now) if want else None
        assert (reserved is not None) == (covered and want > 0) or want == 0
