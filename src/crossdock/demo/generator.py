"""Sample data of a plausible distributor, as its ERP would export it.

The ERP's export speaks its own dialect on purpose (unit codes ``EA``/``CS``/
``PL``, warehouse codes ``W01``..``W03``, status letters, a semicolon-separated
file in Windows-1252), so the demo shows the files connector's mapping at work.
A few rows are wrong on purpose (an unknown unit, an unmapped warehouse, a
price that is not a number): they become exceptions a person can fix.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

BRANDS = ["Acme", "Borealis", "Cobalt", "Dunmore", "Everline", "Fairway", "Granite", "Helix"]
CATEGORIES = {
    "fasteners": ["Hex Bolt", "Lag Screw", "Wing Nut", "Anchor", "Rivet"],
    "plumbing": ["PVC Elbow", "Ball Valve", "Copper Tee", "Pipe Clamp", "Gasket"],
    "electrical": ["Wire Nut", "Conduit", "Breaker", "Junction Box", "Cable Tie"],
    "janitorial": ["Trash Liner", "Hand Towel", "Floor Cleaner", "Mop Head", "Nitrile Glove"],
    "safety": ["Hard Hat", "Safety Glasses", "Ear Plug", "Hi-Vis Vest", "First Aid Kit"],
}
SIZES = ["1/4in", "3/8in", "1/2in", "3/4in", "1in", "S", "M", "L", "XL", "10ft", "25ft"]
CITIES = [
    ("Dallas", "TX", "75201"),
    ("Atlanta", "GA", "30303"),
    ("Reno", "NV", "89501"),
    ("Denver", "CO", "80202"),
    ("Phoenix", "AZ", "85004"),
    ("Columbus", "OH", "43215"),
    ("Nashville", "TN", "37203"),
    ("Portland", "OR", "97204"),
    ("Tampa", "FL", "33602"),
]
NAMES = [
    "Müller Supply",
    "Lone Star Facilities",
    "Peachtree Maintenance",
    "Summit Builders",
    "Riverbend Plumbing",
    "Keystone Electric",
    "Harbor Janitorial",
    "Cedar Property Mgmt",
    "Northgate Contractors",
    "Bluebonnet Schools",
    "Sierra Hospitality",
    "Granite Works",
]
WAREHOUSES = {"W01": "DAL", "W02": "ATL", "W03": "RNO"}


@dataclass(frozen=True, slots=True)
class DemoFiles:
    products: Path
    customers: Path
    price_lists: Path
    inventory: Path
    product_count: int
    customer_count: int
    price_list_count: int
    inventory_count: int
    bad_rows: int


def _gtin(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(13)]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def generate(
    inbox: Path, *, products: int = 3000, customers: int = 300, seed: int = 7
) -> DemoFiles:
    """Write the ERP export files into ``inbox`` and say what is in them."""
    rng = random.Random(seed)
    inbox.mkdir(parents=True, exist_ok=True)
    bad = 0
    skus: list[tuple[str, Decimal, str]] = []
    p_path = inbox / "erp_products.csv"
    with p_path.open("w", newline="", encoding="cp1252") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(
            [
                "ITEMNO",
                "DESCR",
                "BRAND",
                "CATEGORY",
                "UOM",
                "CASE_QTY",
                "PALLET_QTY",
                "WEIGHT_LB",
                "COST",
                "LIST",
                "GTIN",
                "STATUS",
            ]
        )
        for i in range(products):
            cat = rng.choice(list(CATEGORIES))
            sku = f"{cat[:3].upper()}-{10000 + i}"
            cost = Decimal(rng.randint(20, 40000)) / 100
            price = (cost * Decimal(rng.choice(["1.35", "1.5", "1.8", "2.2"]))).quantize(
                Decimal("0.01")
            )
            case = rng.choice([6, 10, 12, 24, 50, 100])
            uom = "EA"
            cost_text = str(cost)
            if i % 997 == 13:
                uom, bad = "BX", bad + 1  # a unit the mapping does not know
            if i % 1499 == 7:
                cost_text, bad = "12,5O", bad + 1  # a typo no number parser forgives
            skus.append((sku, price, cat))
            w.writerow(
                [
                    sku,
                    f"{rng.choice(CATEGORIES[cat])} {rng.choice(SIZES)}",
                    rng.choice(BRANDS),
                    cat,
                    uom,
                    case,
                    case * rng.choice([20, 40, 60]),
                    f"{rng.randint(1, 400) / 10}",
                    cost_text,
                    str(price),
                    _gtin(rng),
                    rng.choice("AAAAAAAAAD"),
                ]
            )

    c_path = inbox / "erp_customers.jsonl"
    accounts: list[str] = []
    with c_path.open("w", encoding="utf-8") as f:
        for i in range(customers):
            acct = f"C{100000 + i}"
            accounts.append(acct)
            city, region, postal = rng.choice(CITIES)
            name = f"{rng.choice(NAMES)} #{i}"
            sites = [
                {
                    "code": f"{acct}-BT",
                    "roles": ["sold_to", "bill_to"],
                    "name": name,
                    "address": {
                        "line1": f"{rng.randint(1, 9999)} Main St",
                        "city": city,
                        "region": region,
                        "postal_code": postal,
                        "country": "US",
                    },
                }
            ]
            for s in range(rng.randint(1, 4)):
                c2, r2, p2 = rng.choice(CITIES)
                sites.append(
                    {
                        "code": f"{acct}-ST{s + 1}",
                        "roles": ["ship_to"],
                        "name": f"{name} store {s + 1}",
                        "address": {
                            "line1": f"{rng.randint(1, 9999)} Commerce Dr",
                            "city": c2,
                            "region": r2,
                            "postal_code": p2,
                            "country": "US",
                        },
                    }
                )
            doc = {
                "account_number": acct,
                "name": name,
                "status": "active",
                "currency": "USD",
                "payment_terms": rng.choice(["NET30", "NET45", "NET60", "COD"]),
                "credit_limit": str(rng.choice([5000, 10000, 25000, 50000, 100000])),
                "credit_hold": rng.random() < 0.03,
                "customer_group": rng.choice(["contractor", "institutional", "retail"]),
                "tier": rng.choice(["gold", "silver", "bronze"]),
                "territory": region,
                "sales_rep": f"rep{rng.randint(1, 12):02d}",
                "sites": sites,
                "contacts": [
                    {
                        "name": "Accounts Payable",
                        "email": f"ap@{acct.lower()}.example",
                        "role": "billing",
                    }
                ],
            }
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")

    pl_path = inbox / "erp_price_lists.jsonl"
    lists = 0
    with pl_path.open("w", encoding="utf-8") as f:
        entries = [
            {
                "sku": s,
                "unit": "EA",
                "method": "fixed",
                "breaks": [{"min_quantity": "1", "value": str(p)}],
            }
            for s, p, _ in skus
        ]
        f.write(
            json.dumps(
                {
                    "code": "BASE",
                    "name": "Base list",
                    "kind": "base",
                    "currency": "USD",
                    "priority": 0,
                    "entries": entries,
                }
            )
            + "\n"
        )
        lists += 1
        for n, acct in enumerate(rng.sample(accounts, k=max(1, len(accounts) // 10))):
            chosen = rng.sample(skus, k=min(len(skus), 20))
            entries = [
                {
                    "sku": s,
                    "unit": "EA",
                    "method": "fixed",
                    "breaks": [
                        {
                            "min_quantity": "1",
                            "value": str((p * Decimal("0.9")).quantize(Decimal("0.01"))),
                        },
                        {
                            "min_quantity": "100",
                            "value": str((p * Decimal("0.85")).quantize(Decimal("0.01"))),
                        },
                    ],
                }
                for s, p, _ in chosen
            ]
            code = f"CTR-{acct}"
            f.write(
                json.dumps(
                    {
                        "code": code,
                        "name": f"Contract {acct}",
                        "kind": "contract",
                        "currency": "USD",
                        "priority": 10 + n % 5,
                        "scope": {"customers": [acct]},
                        "entries": entries,
                    }
                )
                + "\n"
            )
            lists += 1

    i_path = inbox / "erp_inventory.csv"
    inv = 0
    with i_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ITEMNO", "WHSE", "ON_HAND", "ALLOCATED", "ON_HOLD", "SAFETY"])
        for n, (sku, _, _) in enumerate(skus):
            for code in WAREHOUSES:
                if rng.random() < 0.8:
                    whse = "W09" if n % 1201 == 5 and code == "W01" else code
                    if whse == "W09":
                        bad += 1  # a warehouse the mapping does not know
                    on_hand = rng.randint(0, 2000)
                    w.writerow(
                        [
                            sku,
                            whse,
                            on_hand,
                            rng.randint(0, on_hand // 4),
                            rng.choice([0, 0, 0, 5]),
                            rng.choice([0, 10, 25]),
                        ]
                    )
                    inv += 1
    return DemoFiles(p_path, c_path, pl_path, i_path, products, customers, lists, inv, bad)


__all__ = ["WAREHOUSES", "DemoFiles", "generate"]
