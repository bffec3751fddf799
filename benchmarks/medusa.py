"""Pushing a catalog into a real Medusa v2: through the hub's routes against Medusa's own batch API.

Starts one Medusa (the integration tests' starter: the cached install, a
fresh database on ``--pg``), then pushes the same shape of catalog twice, each
into its own sales channel with its own SKUs:

* anchor, measured first: the catalog straight through Medusa's batch
  endpoints, the fastest a client can load it: ``POST /admin/products/batch``
  (100 products with their 3 variants and prices per call; Medusa makes each
  base variant's inventory item) and ``POST /admin/inventory-items/location-
  levels/batch`` (the stock of those 100 at every location);
* hub: the catalog ingested into a SQLite hub (not timed), then timed while
  the ``products-to-shop`` and ``stock-to-shop`` routes deliver it: every
  record through the outbox, the destination and the crosswalk, each case and
  pallet variant tied to the product's one inventory item.

Records are products plus stock levels (1,000 x 3 units at 2 locations: 3,000
records). Target: hub / anchor >= 0.5.

    python benchmarks/medusa.py                 # 1000 products
    python benchmarks/medusa.py --products 200

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from crossdock.config.hub import HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub

# The integration tests' Medusa starter and catalog (no pytest in them).
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "integration"))
from connectors_medusa.catalog import (
    LOCATIONS,
    catalog,
    hub_document,
    sales_channel,
)
from connectors_medusa.medusa_server import MedusaPeer, drop_database, start, stop

CHUNK = 100


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def anchor_product(data: dict[str, Any], channel_id: str) -> dict[str, Any]:
    """The product as a direct client would send it: three variants, the base one stocked."""
    units = data["units"]
    return {
        "title": data["description"],
        "handle": data["sku"].lower(),
        "status": "published",
        "sales_channels": [{"id": channel_id}],
        "options": [{"title": "Unit", "values": [u["code"] for u in units]}],
        "variants": [
            {
                "title": u["code"],
                "sku": data["sku"] if u["factor"] == "1" else f"{data['sku']}-{u['code']}",
                "options": {"Unit": u["code"]},
                "prices": [
                    {
                        "currency_code": "usd",
                        "amount": float(data["list_price"]) * int(u["factor"]),
                    }
                ],
                "manage_inventory": u["factor"] == "1",
            }
            for u in units
        ],
    }


def anchor(medusa: MedusaPeer, products: int, locations: dict[str, str]) -> tuple[float, int]:
    """Seconds to load the catalog through the batch endpoints, and the records loaded."""
    tag = secrets.token_hex(3).upper()
    channel_id = sales_channel(medusa, f"anchor {tag}")
    changes = catalog(f"AN{tag}", products)
    given = [c for c in changes if isinstance(c, Change)]
    items = [c.data for c in given if c.entity_type is EntityType.PRODUCT]
    stock = [c.data for c in given if c.entity_type is EntityType.INVENTORY]
    levels: dict[str, list[dict[str, Any]]] = {}
    for s in stock:
        levels.setdefault(s["sku"], []).append(s)
    records = 0
    with medusa.admin() as admin:
        admin.timeout = httpx.Timeout(300)
        where = {}
        for code, name in locations.items():
            r = admin.post("/admin/stock-locations", json={"name": f"{name} {tag}"})
            r.raise_for_status()
            where[code] = r.json()["stock_location"]["id"]
            admin.post(
                f"/admin/stock-locations/{where[code]}/sales-channels",
                json={"add": [channel_id]},
            ).raise_for_status()
        started = time.perf_counter()
        for i in range(0, len(items), CHUNK):
            chunk = items[i : i + CHUNK]
            r = admin.post(
                "/admin/products/batch",
                params={"fields": "id,handle,*variants,*variants.inventory_items"},
                json={"create": [anchor_product(d, channel_id) for d in chunk]},
            )
            r.raise_for_status()
            rows = []
            for p in r.json()["created"]:
                for v in p["variants"]:
                    if not v["inventory_items"]:
                        continue
                    item = v["inventory_items"][0]["inventory_item_id"]
                    for s in levels.get(v["sku"], []):
                        rows.append(
                            {
                                "inventory_item_id": item,
                                "location_id": where[s["location"]],
                                "stocked_quantity": int(s["available_by_channel"]["web"]),
                            }
                        )
            admin.post(
                "/admin/inventory-items/location-levels/batch", json={"create": rows}
            ).raise_for_status()
            records += len(chunk) + len(rows)
        return time.perf_counter() - started, records


def through_hub(medusa: MedusaPeer, products: int, root: Path) -> tuple[float, int]:
    """Seconds the hub's two routes take to deliver the ingested catalog, and the records."""
    tag = secrets.token_hex(3).upper()
    channel = f"hub {tag}"
    sales_channel(medusa, channel)
    os.environ["CROSSDOCK_BENCH_MEDUSA_KEY"] = medusa.secret_key
    doc = hub_document(root, medusa, "CROSSDOCK_BENCH_MEDUSA_KEY", channel)
    hub = Hub.open(HubConfig.model_validate(doc))
    try:
        hub.ingest(catalog(f"HB{tag}", products))
        started = time.perf_counter()
        done = 0
        for route in ("products-to-shop", "stock-to-shop"):
            report = hub.deliver([route])[route]
            if report.parked:
                raise RuntimeError(f"{route}: {report.parked} records parked")
            done += report.delivered
        elapsed = time.perf_counter() - started
        drift = hub.read_back("shop")
        if drift is None or drift.drifts:
            raise RuntimeError(f"Medusa does not hold what the hub sent: {drift}")
        return elapsed, done
    finally:
        hub.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "CROSSDOCK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server Medusa gets a fresh database on",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log("starting Medusa (installs once into $CROSSDOCK_MEDUSA_HOME) ...")
        medusa = start(args.pg, root / "medusa.log")
        log("  " + ", ".join(f"{k} {v:.1f}s" for k, v in medusa.timings.items()))
        try:
            log(f"anchor: {args.products} products x 3 units through /admin/products/batch ...")
            a_sec, a_n = anchor(medusa, args.products, LOCATIONS)
            log(f"  {a_n} records in {a_sec:.2f}s")
            log("hub: the same through the products and stock routes ...")
            h_sec, h_n = through_hub(medusa, args.products, root)
            log(f"  {h_n} records in {h_sec:.2f}s")
        finally:
            stop(medusa.process)
            drop_database(medusa.database_url)
    hub_rate, anchor_rate = h_n / h_sec, a_n / a_sec
    ratio = hub_rate / anchor_rate
    print(f"catalog push: hub {hub_rate:,.0f} records/s, Medusa batch API {anchor_rate:,.0f}/s")
    print(f"              ratio {ratio:.3f}  (target: >= 0.5)")
    print(
        json.dumps(
            {
                "benchmark": "medusa_catalog_push",
                "products": args.products,
                "units": 3,
                "locations": len(LOCATIONS),
                "value": round(hub_rate, 1),
                "unit": "records/s",
                "records": h_n,
                "seconds": round(h_sec, 3),
                "anchor": "POST /admin/products/batch + location-levels/batch, called directly",
                "anchor_value": round(anchor_rate, 1),
                "anchor_records": a_n,
                "anchor_seconds": round(a_sec, 3),
                "ratio": round(ratio, 4),
                "target_ratio": 0.5,
            }
        )
    )


if __name__ == "__main__":
    main()
