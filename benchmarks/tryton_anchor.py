"""The benchmark's anchor: Tryton's own price list engine on SQLite, in process.

A fresh Tryton database (``trytond-admin`` activating ``sale_price_list``
and its dependencies: about 45 s; set ``CROSSDOCK_BENCH_TRYTON_TEMPLATE`` to
an already initialised ``.sqlite`` file to copy it instead), then one
company, the products (list price, category) and one price list per
customer whose lines, first match wins, are: the customer's contract
(product, quantity; fixed), its tier (category; ``unit_price * (1 - p)``),
the base breaks (category, quantity; percent off) and the list price.
``compute`` calls ``PriceList.compute(product, quantity, uom)`` for every
line inside one transaction, as Tryton's sale line does.
"""

# ruff: noqa: N806  (Tryton models are classes: Pool().get names them as classes)

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

DB = "anchor"
SHORT = "\x00short"
"""The key of a one-line list (``unit_price``): Tryton's compute at its fastest."""
CENT = Decimal("0.01")


class TrytonAnchor:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.lists: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.unit = 0

    def _database(self) -> None:
        env = {
            "TRYTOND_DATABASE__URI": "sqlite://",
            "TRYTOND_DATABASE_URI": "sqlite://",
            "TRYTOND_DATABASE__PATH": str(self.work),
        }
        os.environ.update(env)
        target = self.work / f"{DB}.sqlite"
        template = os.environ.get("CROSSDOCK_BENCH_TRYTON_TEMPLATE")
        if template:
            shutil.copy(template, target)
            return
        (self.work / "pass").write_text("admin\n")
        target.touch()
        admin = Path(sys.executable).parent / "trytond-admin"
        subprocess.run(  # our own venv's tool, fixed arguments
            [str(admin), "-d", DB, "--all", "-u", "sale_price_list", "--activate-dependencies",
             "--email", "admin@example.com"],
            env={**os.environ, **env, "TRYTONPASSFILE": str(self.work / "pass")},
            check=True,
            capture_output=True,
        )  # fmt: skip

    def setup(
        self, products: list[dict[str, Any]], customers: list[dict[str, Any]], cat: Any
    ) -> None:
        self._database()
        from trytond.modules.company.tests import create_company, set_company
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        Pool.start()
        Pool(DB).init()
        with Transaction().start(DB, 0, context={}) as tx:
            pool = Pool()
            Uom = pool.get("product.uom")
            Category = pool.get("product.category")
            Template = pool.get("product.template")
            PriceList = pool.get("product.price_list")
            Party = pool.get("party.party")
            company = create_company()
            with set_company(company):
                (unit,) = Uom.search([("name", "=", "Unit")])
                self.unit = unit.id
                names = sorted({p["category"] for p in products})
                cats = {c.name: c for c in Category.create([{"name": n} for n in names])}
                templates = []
                for i in range(0, len(products), 50):  # python-sql recurses on big batches
                    templates += Template.create([
                        {"name": p["sku"], "list_price": Decimal(p["list_price"]),
                         "default_uom": unit.id, "categories": [("add", [cats[p["category"]].id])],
                         "products": [("create", [{"code": p["sku"]}])]}
                        for p in products[i : i + 50]
                    ])  # fmt: skip
                for t in templates:
                    self.products[t.name] = t.products[0].id
                base = _base_lines(cat, cats)
                tiers = {
                    pl["scope"]["tiers"][0]: pl for pl in cat.lists if pl.get("kind") == "tier"
                }
                for c in customers:
                    lines: list[dict[str, Any]] = []
                    contract = cat.contracts.get(c["account_number"])
                    for e in contract["entries"] if contract else []:
                        if e["sku"] not in self.products:
                            continue
                        for b in reversed(e["breaks"]):  # first match wins: largest first
                            lines.append({"product": self.products[e["sku"]],
                                          "quantity": float(b["min_quantity"]),
                                          "formula": b["value"]})  # fmt: skip
                    tier = tiers.get(c.get("tier", ""))
                    for e in tier["entries"] if tier else []:
                        pct = Decimal(e["breaks"][0]["value"])
                        lines.append({"category": cats[e["category"]].id,
                                      "formula": f"unit_price * {1 - pct / 100}"})  # fmt: skip
                    lines += base
                    lines.append({"formula": "unit_price"})
                    for n, line in enumerate(lines):
                        line["sequence"] = n + 1
                    pl, = PriceList.create([{"name": c["account_number"], "price": "list_price",
                                             "lines": [("create", lines)]}])  # fmt: skip
                    self.lists[c["account_number"]] = pl.id
                    Party.create([{"name": c["account_number"], "sale_price_list": pl.id}])
                # the shortest list there is, for Tryton's best case: one line, the list price
                short, = PriceList.create([{"name": "SHORT", "price": "list_price",
                    "lines": [("create", [{"formula": "unit_price"}])]}])  # fmt: skip
                self.lists[SHORT] = short.id
            tx.commit()

    def compute(self, lines: list[tuple[str, str, Decimal]]) -> tuple[list[Decimal | None], float]:
        """Tryton's price per line, rounded to cents (half up, as Crossdock's lists round),
        and the seconds of a second, timed pass.

        Both passes run in one transaction: the first reads the products and
        lists into Tryton's record caches, as Crossdock's index is built and
        warm before it is timed; the second is timed.
        """
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        out: list[Decimal | None] = []
        with Transaction().start(DB, 0, context={}, readonly=True):
            pool = Pool()
            Product = pool.get("product.product")
            PriceList = pool.get("product.price_list")
            Uom = pool.get("product.uom")
            Company = pool.get("company.company")
            (company,) = Company.search([])
            with Transaction().set_context(company=company.id):
                unit = Uom(self.unit)
                products = {sku: Product(pid) for sku, pid in self.products.items()}
                lists = {a: PriceList(lid) for a, lid in self.lists.items()}
                for account, sku, qty in lines:
                    price = lists[account].compute(products[sku], float(qty), unit)
                    out.append(None if price is None else price.quantize(CENT, ROUND_HALF_UP))
                t0 = time.perf_counter()
                for account, sku, qty in lines:
                    lists[account].compute(products[sku], float(qty), unit)
                elapsed = time.perf_counter() - t0
        return out, elapsed


def _base_lines(cat: Any, cats: dict[str, Any]) -> list[dict[str, Any]]:
    base = next(pl for pl in cat.lists if pl["code"] == "BASE")
    lines = []
    for e in base["entries"]:
        if e["category"] not in cats:
            continue
        for b in reversed(e["breaks"]):
            pct = Decimal(b["value"])
            lines.append({"category": cats[e["category"]].id,
                          "quantity": float(b["min_quantity"]),
                          "formula": f"unit_price * {1 - pct / 100}"})  # fmt: skip
    return lines
