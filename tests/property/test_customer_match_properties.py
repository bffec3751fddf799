"""Properties of the customer match weight and of EM.

The weight is symmetric in its two records; raising any comparison to a
better level never lowers it; EM's estimates stay inside (0, 1), and on data
with known duplicates m exceeds u at the agreeing levels. Bulk comparison
and blocking give what the one-pair-at-a-time definitions give.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.customers import CustomersConfig, Level, MatchField
from crossdock.demo.customers import generate
from crossdock.services.customers import dedupe
from crossdock.services.customers.compare import LEVELS, RANK, Table, compare
from crossdock.services.customers.profile import blocking_keys, profile
from crossdock.services.customers.weights import MatchModel

MODEL = MatchModel.build(CustomersConfig(), None)
words = st.sampled_from(["Acme", "ACME", "Corp.", "Inc", "Supply", "Acme Co", "Beacon", "& Sons"])
text = st.lists(words, max_size=3).map(" ".join)
digits = st.text("0123456789 -", max_size=12)


@st.composite
def customers(draw: st.DrawFn) -> dict[str, object]:
    site = {
        "code": "S",
        "roles": ["sold_to"],
        "address": {
            "line1": draw(st.sampled_from(["12 Main St", "12 Main Street #4", "14 Main", ""])),
            "city": draw(st.sampled_from(["Springfield", "Springfeld", ""])),
            "postal_code": draw(st.sampled_from(["62701", "62701-1234", "62710", ""])),
        },
    }
    return {
        "name": draw(text),
        "sites": [site],
        "contacts": [{"phone": draw(digits), "email": draw(st.sampled_from(["a@acme.com", ""]))}],
        "tax_ids": [{"scheme": "EIN", "value": draw(st.sampled_from(["1", "2", " "]))}],
    }


@given(customers(), customers())
def test_the_weight_is_symmetric(a: dict[str, object], b: dict[str, object]) -> None:
    x, y = profile("x", a), profile("y", b)
    assert MODEL.score(x, y).total == MODEL.score(y, x).total


def given_levels(f: MatchField) -> list[Level]:
    return [*LEVELS[f], Level.MISSING]


vectors = st.tuples(*(st.sampled_from(given_levels(f)) for f in MODEL.fields)).map(list)


@given(vectors, st.data())
def test_more_agreement_never_lowers_the_weight(vec: list[Level], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(vec) - 1))
    f = MODEL.fields[i]
    better = data.draw(st.sampled_from([lv for lv in given_levels(f) if RANK[lv] >= RANK[vec[i]]]))
    if vec[i] is Level.MISSING and better is Level.DIFFERENT:
        return  # learning a value that differs is not more agreement
    raised = [*vec[:i], better, *vec[i + 1 :]]
    assert MODEL.weight(raised) >= MODEL.weight(vec)


@settings(max_examples=10)
@given(st.integers(0, 10_000), st.sampled_from([0.1, 0.2, 0.3]))
def test_trained_estimates_stay_in_range_and_m_exceeds_u(seed: int, share: float) -> None:
    g = generate(300, duplicates=share, seed=seed)
    profiles = [profile(n, d) for n, d in g.customers]
    fitted, est = dedupe.fit(profiles, MODEL, 200, 5000)
    for f, probs in fitted.items():
        assert set(probs) == set(LEVELS[f])
        for lv in LEVELS[f]:
            m, u = probs[lv]
            assert 0 < m < 1
            assert 0 < u < 1
        for lv in {Level.EXACT, Level.CLOSE} & set(LEVELS[f]):  # the agreeing levels
            m, u = probs[lv]
            assert m > u, (f, lv, m, u)
    assert 0 < est.match_share < 1


@st.composite
def customers_with_sites(draw: st.DrawFn) -> dict[str, object]:
    """A customer with no, one or two sites (bulk comparison takes another path for two)."""
    data = draw(customers())
    sites = data["sites"]
    assert isinstance(sites, list)
    extra = draw(customers())["sites"]
    assert isinstance(extra, list)
    return {**data, "sites": draw(st.sampled_from([[], sites, sites + extra]))}


@settings(max_examples=50)
@given(st.lists(customers_with_sites(), min_size=2, max_size=8))
def test_bulk_comparison_gives_the_levels_of_one_by_one(datas: list[dict[str, object]]) -> None:
    profiles = [profile(f"r{i}", d) for i, d in enumerate(datas)]
    pairs = [(i, j) for i in range(len(profiles)) for j in range(len(profiles)) if i != j]
    bulk = Table(profiles, MODEL.fields).vectors(pairs)
    assert bulk == [compare(profiles[i], profiles[j], MODEL.fields) for i, j in pairs]


@settings(max_examples=50)
@given(st.lists(customers_with_sites(), min_size=2, max_size=8), st.integers(2, 4))
def test_blocking_pairs_exactly_the_records_sharing_a_small_block(
    datas: list[dict[str, object]], max_block: int
) -> None:
    profiles = [profile(f"r{i}", d) for i, d in enumerate(datas)]
    keys = [set(blocking_keys(p)) for p in profiles]
    size = {k: sum(k in ks for ks in keys) for ks in keys for k in ks}
    expected = [
        (i, j)
        for i in range(len(profiles))
        for j in range(i + 1, len(profiles))
        if any(size[k] <= max_block for k in keys[i] & keys[j])
    ]
    assert dedupe.blocked_pairs(profiles, max_block).pairs == expected
