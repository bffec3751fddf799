# ruff: noqa: N806  (proteus model classes are named like classes)
"""Seed a freshly activated Tryton database: company, chart, fiscal year, master data.

Run as a subprocess (``python seed.py``) with ``TRYTOND_DATABASE_URI``,
``TRYTOND_DATABASE__PATH`` and ``DB_NAME`` set: proteus works on the database
in-process, so the hub's RPC client is the only thing that talks HTTP.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from proteus import Model, config
from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
from trytond.modules.company.tests.tools import create_company


def main() -> None:
    cfg = config.set_trytond()
    create_company(currency="USD")
    create_chart()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(today=dt.date.today()))
    fiscalyear.click("create_period")
    accounts = get_accounts()

    Category = Model.get("product.category")
    acc = Category(name="Goods", accounting=True)
    acc.account_revenue = accounts["revenue"]
    acc.account_expense = accounts["expense"]
    acc.save()

    Term = Model.get("account.invoice.payment_term")
    term = Term(name="Net 30")
    line = term.lines.new(type="remainder")
    line.relativedeltas.new(days=30)
    term.save()

    # Units: the template's default unit is "Unit" (symbol u); the dozen is a sale unit.
    Uom = Model.get("product.uom")
    (unit,) = Uom.find([("name", "=", "Unit")])
    dozen = Uom(name="Dozen", symbol="dz", category=unit.category, factor=12.0)
    dozen.rate = round(1 / 12.0, 12)
    dozen.save()

    Template = Model.get("product.template")
    Product = Model.get("product.product")
    for code, name, price, cost in [
        ("WID", "Widget", "10.00", "6.00"),
        ("GAD", "Gadget", "25.50", "15.00"),
    ]:
        tpl = Template(name=name, code=code)
        tpl.default_uom = unit
        tpl.sale_uom = dozen if code == "GAD" else unit
        tpl.type = "goods"
        tpl.salable = True
        tpl.list_price = Decimal(price)
        tpl.account_category = acc
        tpl.save()
        (variant,) = tpl.products
        variant.suffix_code = "-1"
        variant.cost_price = Decimal(cost)
        variant.save()
        if code == "WID":  # a second variant of the same template
            v2 = Product(template=tpl, suffix_code="-2")
            v2.cost_price = Decimal("6.50")
            v2.save()

    Party = Model.get("party.party")
    Country = Model.get("country.country")
    us = Country(code="US", name="United States")
    us.save()
    party = Party(name="Acme Hardware", code="C-100")
    party.customer_payment_term = term
    party.credit_limit_amount = Decimal("5000")
    (addr,) = party.addresses
    addr.street = "1 Main St"
    addr.city = "Dallas"
    addr.postal_code = "75201"
    addr.country = us
    addr.invoice = True
    addr.delivery = False
    ship = party.addresses.new(street="9 Dock Rd", city="Fort Worth", postal_code="76102")
    ship.country = us
    ship.delivery = True
    party.contact_mechanisms.new(type="email", value="buyer@acme.example")
    party.contact_mechanisms.new(type="phone", value="+1 214 555 0100")
    party.save()

    PriceList = Model.get("product.price_list")
    wid = Product.find([("code", "=", "WID-1")])[0]
    pl = PriceList(name="Wholesale")
    # First match wins in Tryton: the quantity break comes before the general line.
    pl.lines.new(product=wid, quantity=100, formula="Decimal('8.50')", sequence=1)
    pl.lines.new(product=wid, formula="Decimal('9.00')", sequence=2)
    pl.lines.new(formula="unit_price * Decimal('0.95')", sequence=3)
    pl.save()

    # Stock: 40 widgets in the warehouse's storage location.
    Location = Model.get("stock.location")
    (storage,) = Location.find([("code", "=", "STO")])
    Inventory = Model.get("stock.inventory")
    inv = Inventory(location=storage)
    inv.lines.new(product=wid, quantity=Decimal(40))
    inv.click("confirm")

    User = Model.get("res.user")
    admin = User(cfg.user)
    admin.password = "admin-password-1"
    admin.save()
    clerk = User(login="clerk", name="Clerk")  # no groups: Tryton denies it sales
    clerk.password = "clerk-password-1"
    clerk.save()


if __name__ == "__main__":
    main()
