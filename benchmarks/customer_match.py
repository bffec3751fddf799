"""Customer matching: online identification rate, candidates scored per second, dedupe over 20k.

Store: 20k generated distributor customers (``crossdock.demo.customers``,
10 % planted duplicates) in a SQLite file (or ``--pg URL``), ingested with
matching off, then the blocking-key index rebuilt (``customers reindex``).

1. Online: 2,000 incoming customers (half a second system's spelling of a
   stored one, half new companies) placed by the matcher as ingest places
   them, in one write transaction: candidates from the index, each scored.
   Identifications per second, p50/p99 latency, candidates scored per second.
2. Anchor: the same 2,000 identities looked up the common way, a crosswalk
   hit (``WriteTx.crosswalk_lookup`` of one native id), in the same run on
   the same store. ``ratio`` = online rate / anchor rate: what an unknown
   customer costs next to a known one.
3. Dedupe over the whole store: blocking, scoring, filing; seconds, pairs
   compared and scored per second, precision and recall of the pairs filed
   (at or above ``lower``) and of those at or above ``upper``.

    python benchmarks/customer_match.py            # 20k customers
    python benchmarks/customer_match.py --quick    # 2k

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crossdock.app import Application
from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.demo.customers import generate, respell
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.customers import CustomerMatcher, Profile
from crossdock.sync.identity import BatchRecords

CUS = EntityType.CUSTOMER


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def hub(matching: bool) -> HubConfig:
    return HubConfig(
        systems=[SystemConfig(name=s, kind="files") for s in ("erp", "portal")],
        ownership={CUS: EntityOwnership(owner="erp", create=["erp", "portal"], fields={"*": "*"})},
        customers=CustomersConfig() if matching else None,
    )


class Counting(CustomerMatcher):
    """The matcher, counting the candidates it scores."""

    scored = 0
    seconds = 0.0

    def best(self, incoming: Profile, candidates: dict[str, Any]) -> Any:
        self.scored += len(candidates)
        t = time.perf_counter()
        try:
            return super().best(incoming, candidates)
        finally:
            self.seconds += time.perf_counter() - t


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--incoming", type=int, default=2_000)
    ap.add_argument("--pg", help="a PostgreSQL URL instead of a SQLite file")
    args = ap.parse_args()
    n = 2_000 if args.quick else args.customers
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg or f"sqlite:///{Path(tmp) / 'hub.sqlite'}"
        g = generate(n, duplicates=0.1, seed=3)
        t = time.perf_counter()
        loader = Application.open(hub(False), store_url=url)
        loader.hub.ingestor.ingest(
            Change(system="erp", entity_type=CUS, native_id=nid, data=d) for nid, d in g.customers
        )
        loader.close()
        log(f"loaded {n} customers in {time.perf_counter() - t:.1f}s")
        app = Application.open(hub(True), store_url=url)
        try:
            keys = app.customers.reindex()
            log(f"indexed {keys} blocking keys")
            run(app, g, n, args)
        finally:
            app.close()


def run(app: Application, g: Any, n: int, args: argparse.Namespace) -> None:
    store = app.hub.store
    assert app.hub.config.customers is not None
    matcher = Counting(store, app.hub.config.customers)
    # incoming: half another system's spelling of stored companies, half new companies
    half = args.incoming // 2
    datas = [d for _, d in respell(g, half, seed=99)]
    datas += [d for _, d in generate(args.incoming - half, duplicates=0.0, seed=98).customers]
    incoming = [
        Change(system="portal", entity_type=CUS, native_id=f"P{i}", data=d)
        for i, d in enumerate(datas)
    ]
    erp_ids = [nid for nid, _ in g.customers[: len(incoming)]]

    with store.write() as tx:
        for c in incoming[:50]:  # warm-up
            matcher.place(tx, c, BatchRecords())
        matcher.scored, matcher.seconds = 0, 0.0
        lat: list[float] = []
        placements: dict[str, int] = {}
        t0 = time.perf_counter()
        for c in incoming:
            s = time.perf_counter()
            d = matcher.place(tx, c, BatchRecords())
            lat.append(time.perf_counter() - s)
            placements[d.placement.value] = placements.get(d.placement.value, 0) + 1
        online = time.perf_counter() - t0
        scored, scoring_s = matcher.scored, matcher.seconds

        anchor_lat: list[float] = []
        t0 = time.perf_counter()
        for nid in erp_ids:
            s = time.perf_counter()
            tx.crosswalk_lookup(CUS, [("erp", nid)])
            anchor_lat.append(time.perf_counter() - s)
        anchor = time.perf_counter() - t0
        tx.conn.rollback()  # nothing was written; leave nothing behind

    rate, anchor_rate = len(incoming) / online, len(erp_ids) / anchor
    print(
        f"online: {rate:,.0f} identifications/s, p50 {pct(lat, 0.5) * 1000:.2f} ms, "
        f"p99 {pct(lat, 0.99) * 1000:.2f} ms; {scored / scoring_s:,.0f} candidates scored/s "
        f"({scored / len(incoming):.1f} per customer); placements {placements}"
    )
    print(
        f"anchor (crosswalk hit): {anchor_rate:,.0f} lookups/s, "
        f"p99 {pct(anchor_lat, 0.99) * 1000:.3f} ms; ratio {rate / anchor_rate:.3f}"
    )

    t0 = time.perf_counter()
    report = app.customers.dedupe()
    dedupe_s = time.perf_counter() - t0
    by_id = {v: k for k, v in store.crosswalk.of_system("erp", CUS).items()}
    truth = g.truth()
    tasks = store.customer_match.reviews(limit=10_000_000)
    cfg = app.hub.config.customers
    assert cfg is not None

    def quality(min_weight: float) -> tuple[float, float]:
        found = {
            frozenset((by_id[t.record_id], by_id[t.other_id or ""]))
            for t in tasks
            if t.weight >= min_weight
        }
        hits = len(found & truth)
        return hits / max(1, len(found)), hits / max(1, len(truth))

    p_low, r_low = quality(cfg.lower)
    p_up, r_up = quality(cfg.upper)
    print(
        f"dedupe {n}: {dedupe_s:.1f}s, {report.pairs_compared} pairs compared "
        f"({report.pairs_compared / dedupe_s:,.0f}/s incl. loading profiles), "
        f"filed {report.filed}; "
        f"precision/recall at lower {p_low:.3f}/{r_low:.3f}, at upper {p_up:.3f}/{r_up:.3f}"
    )
    print(
        json.dumps(
            {
                "benchmark": f"customer_match_{store.backend}",
                "value": round(rate),
                "unit": "identifications/s (matcher path: index, load, score)",
                "anchor": "crosswalk-hit identity lookup, same store, same run",
                "anchor_value": round(anchor_rate),
                "ratio": round(rate / anchor_rate, 4),
                "p50_ms": round(pct(lat, 0.5) * 1000, 3),
                "p99_ms": round(pct(lat, 0.99) * 1000, 3),
                "candidates_scored_per_s": round(scored / scoring_s),
                "candidates_per_customer": round(scored / len(incoming), 2),
                "customers": n,
                "dedupe_s": round(dedupe_s, 2),
                "dedupe_pairs": report.pairs_compared,
                "dedupe_precision_lower": round(p_low, 4),
                "dedupe_recall_lower": round(r_low, 4),
                "dedupe_precision_upper": round(p_up, 4),
                "dedupe_recall_upper": round(r_up, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
