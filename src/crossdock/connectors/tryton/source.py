"""Tryton as a source: incremental pulls by change timestamp, and full snapshots.

Each kind (customers, products, price lists, stock, sales, shipments,
invoices) is one
:class:`InboundUnit`. A pull asks Tryton for the rows changed since the
kind's bookmark (``write_date`` or ``create_date`` at or after it, less
``overlap_seconds`` for transactions that committed late), including the
rows a record is built from (a party's addresses, a template's list price,
a price list's lines, stock moves), and maps the records they belong to.

Bookmarks, the overlap and the ack after commit are the connector kit's
:class:`~crossdock.connectors.kit.incremental.IncrementalSource`: the newest
timestamp read becomes the kind's bookmark only when the hub acknowledges the
unit after ingest committed it (at-least-once, effectively once).

Deletions in Tryton leave no timestamp; :meth:`TrytonSource.snapshot` reads
everything (no bookmark) for the reconciliation to compare and report drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossdock.connectors.base import SourceItem
from crossdock.connectors.kit.incremental import Bookmarks, IncrementalSource, Read
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.connectors.tryton.config import PullKind, TrytonSettings
from crossdock.connectors.tryton.mapper import (
    INVOICE_STATES,
    SALE_MARKER,
    SHIPPED_STATES,
    customer_change,
    inventory_change,
    invoice_change,
    newest,
    order_change,
    price_list_change,
    product_change,
    row_ts,
    shipment_change,
)
from crossdock.store.connector_state import ConnectorState

_TS = ["write_date", "create_date"]
_SHIPMENT_FIELDS = [
    "number",
    "state",
    "effective_date",
    "delivery_address",
    "warehouse",
    "outgoing_moves",
]
_INVOICE_FIELDS = [
    "number",
    "state",
    "party",
    "invoice_date",
    "invoice_address",
    "lines",
    "lines_to_pay",
    "total_amount",
    "tax_amount",
    "amount_to_pay",
]
_INVOICE_LINE_FIELDS = [
    "invoice",
    "type",
    "sequence",
    "product",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "origin",
    "description",
]
Since = datetime | None


def _changed(since: Since) -> list[Any]:
    if since is None:
        return []
    return [["OR", ["write_date", ">=", since], ["create_date", ">=", since]]]


@dataclass(frozen=True, slots=True)
class _SaleLines:
    """The hub's sale lines some moves or invoice lines came from."""

    sequence: dict[int, int]  # sale line id -> sequence (the order line number)
    sale: dict[int, int]  # sale line id -> sale id
    sales: dict[int, dict[str, Any]]  # the hub's sales (marked comment) by id

    def sale_of(self, origins: list[str]) -> dict[str, Any] | None:
        """The hub sale the first of ``origins`` that is one of its lines belongs to."""
        for o in origins:
            if o.startswith("sale.line,") and int(o.split(",")[1]) in self.sale:
                return self.sales[self.sale[int(o.split(",")[1])]]
        return None


class _Reader:
    """Reads one kind since a timestamp; remembers the newest timestamp it saw."""

    def __init__(self, client: TrytonClient, settings: TrytonSettings, system: str) -> None:
        self.client = client
        self.settings = settings
        self.system = system
        self.seen: datetime | None = None
        self.inactive = {"active_test": False}

    def _note(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for r in rows:
            self.seen = newest(self.seen, row_ts(r))
        return rows

    def _note_newest(self, model: str) -> None:
        """Note the newest change timestamp of ``model`` without reading all its rows."""
        for column in _TS:
            ids = self.client.search(model, [], order=[[column, "DESC NULLS LAST"]], limit=1)
            self._note(self.client.read(model, ids, _TS))

    def _ids_of(self, model: str, field: str, since: Since) -> set[int]:
        rows = self._note(
            self.client.search_read(model, _changed(since), [field, *_TS], context=self.inactive)
        )
        return {int(r[field]) for r in rows if r.get(field)}

    # -- customers ----------------------------------------------------------------------
    def customers(self, since: Since) -> list[SourceItem]:
        c = self.client
        parties = self._note(
            c.search_read("party.party", _changed(since), ["id", *_TS], context=self.inactive)
        )
        ids = {int(p["id"]) for p in parties}
        for model in ("party.address", "party.contact_mechanism"):
            ids |= self._ids_of(model, "party", since)
        company_parties = {int(r["party"]) for r in c.search_read("company.company", [], ["party"])}
        ids -= company_parties
        if not ids:
            return []
        fields = [
            "name",
            "code",
            "active",
            "addresses",
            "contact_mechanisms",
            "customer_payment_term",
            "credit_limit_amount",
            "sale_price_list",
            *_TS,
        ]
        rows = c.read("party.party", sorted(ids), fields, context=self.inactive)
        addr_ids = [a for r in rows for a in r["addresses"]]
        mech_ids = [m for r in rows for m in r["contact_mechanisms"]]
        addrs = {
            a["id"]: a
            for a in c.read(
                "party.address",
                addr_ids,
                [
                    "street",
                    "city",
                    "postal_code",
                    "country",
                    "invoice",
                    "delivery",
                    "party_name",
                    "active",
                    *_TS,
                ],
                context=self.inactive,
            )
        }
        mechs = {
            m["id"]: m
            for m in c.read(
                "party.contact_mechanism",
                mech_ids,
                ["type", "value", "name", "active", *_TS],
                context=self.inactive,
            )
        }
        country_ids = sorted({a["country"] for a in addrs.values() if a.get("country")})
        countries = {r["id"]: r["code"] for r in c.read("country.country", country_ids, ["code"])}
        term_ids = sorted(
            {r["customer_payment_term"] for r in rows if r.get("customer_payment_term")}
        )
        terms = {
            r["id"]: r["name"]
            for r in c.read(
                "account.invoice.payment_term", term_ids, ["name"], context=self.inactive
            )
        }
        pl_ids = sorted({r["sale_price_list"] for r in rows if r.get("sale_price_list")})
        pls = {
            r["id"]: r["name"]
            for r in c.read("product.price_list", pl_ids, ["name"], context=self.inactive)
        }
        out: list[SourceItem] = []
        for r in rows:
            a = [addrs[i] for i in r["addresses"] if i in addrs]
            m = [mechs[i] for i in r["contact_mechanisms"] if i in mechs]
            ts = newest(row_ts(r), *(row_ts(x) for x in a), *(row_ts(x) for x in m))
            self.seen = newest(self.seen, ts)
            out.append(
                customer_change(
                    self.system,
                    self.settings,
                    r,
                    a,
                    m,
                    countries=countries,
                    terms=terms,
                    price_lists=pls,
                    ts=ts,
                )
            )
        return out

    # -- products -----------------------------------------------------------------------
    def products(self, since: Since) -> list[SourceItem]:
        c = self.client
        ids = {
            int(p["id"])
            for p in self._note(
                c.search_read(
                    "product.product", _changed(since), ["id", *_TS], context=self.inactive
                )
            )
        }
        templates = {
            int(t["id"])
            for t in self._note(
                c.search_read(
                    "product.template", _changed(since), ["id", *_TS], context=self.inactive
                )
            )
        }
        if templates:
            ids |= set(
                c.search(
                    "product.product",
                    [["template", "in", sorted(templates)]],
                    context=self.inactive,
                )
            )
        if not ids:
            return []
        rows = c.read(
            "product.product",
            sorted(ids),
            ["code", "template", "cost_price", "active", *_TS],
            context=self.inactive,
        )
        tpls = {
            t["id"]: t
            for t in c.read(
                "product.template",
                sorted({r["template"] for r in rows}),
                [
                    "name",
                    "default_uom",
                    "sale_uom",
                    "list_price",
                    "active",
                    "type",
                    *_TS,
                ],
                context=self.inactive,
            )
        }
        uom_ids = sorted(
            {t[k] for t in tpls.values() for k in ("default_uom", "sale_uom") if t.get(k)}
        )
        uoms = {
            u["id"]: u
            for u in c.read(
                "product.uom", uom_ids, ["symbol", "factor", "category"], context=self.inactive
            )
        }
        out: list[SourceItem] = []
        for r in rows:
            t = tpls[r["template"]]
            ts = newest(row_ts(r), row_ts(t))
            self.seen = newest(self.seen, ts)
            out.append(product_change(self.system, self.settings, r, t, uoms, ts=ts))
        return out

    # -- price lists --------------------------------------------------------------------
    def price_lists(self, since: Since) -> list[SourceItem]:
        c = self.client
        ids = {
            int(p["id"])
            for p in self._note(
                c.search_read(
                    "product.price_list", _changed(since), ["id", *_TS], context=self.inactive
                )
            )
        }
        ids |= self._ids_of("product.price_list.line", "price_list", since)
        if not ids:
            return []
        lists = c.read(
            "product.price_list", sorted(ids), ["name", "lines", *_TS], context=self.inactive
        )
        line_ids = [i for pl in lists for i in pl["lines"]]
        lines = c.read(
            "product.price_list.line",
            line_ids,
            ["price_list", "product", "category", "quantity", "formula", "sequence", *_TS],
        )
        prod_ids = sorted({ln["product"] for ln in lines if ln.get("product")})
        skus = {
            p["id"]: p["code"]
            for p in c.read("product.product", prod_ids, ["code"], context=self.inactive)
            if p.get("code")
        }
        cat_ids = sorted({ln["category"] for ln in lines if ln.get("category")})
        cats = {
            r["id"]: r["name"]
            for r in c.read("product.category", cat_ids, ["name"], context=self.inactive)
        }
        out: list[SourceItem] = []
        for pl in lists:
            mine = [ln for ln in lines if ln["price_list"] == pl["id"]]
            ts = newest(row_ts(pl), *(row_ts(ln) for ln in mine))
            self.seen = newest(self.seen, ts)
            out += price_list_change(
                self.system, self.settings, pl, mine, skus=skus, categories=cats, ts=ts
            )
        return out

    # -- stock --------------------------------------------------------------------------
    def stock(self, since: Since) -> list[SourceItem]:
        c = self.client
        if since is None:
            ids = set(c.search("product.product", [["type", "=", "goods"]], context=self.inactive))
            self._note_newest("stock.move")  # the bookmark: the newest move read up to now
        else:
            ids = self._ids_of("stock.move", "product", since)
        if not ids:
            return []
        as_of = datetime.now(UTC)
        products = {
            p["id"]: p
            for p in c.read(
                "product.product",
                sorted(ids),
                ["code", "default_uom", "type"],
                context=self.inactive,
            )
            if p.get("code") and p.get("type") == "goods"
        }
        uoms = {
            u["id"]: u["symbol"]
            for u in c.read(
                "product.uom", sorted({p["default_uom"] for p in products.values()}), ["symbol"]
            )
        }
        out: list[SourceItem] = []
        for wh in c.search_read("stock.location", [["type", "=", "warehouse"]], ["code", "name"]):
            location = self.settings.location_for(wh.get("code") or str(wh["id"]))
            if location is None:
                continue
            qty = c.read(
                "product.product",
                sorted(products),
                ["quantity", "forecast_quantity"],
                context={"locations": [wh["id"]], "with_childs": True},
            )
            for q in qty:
                p = products[q["id"]]
                out.append(
                    inventory_change(
                        self.system,
                        product_id=p["id"],
                        sku=p["code"],
                        unit=self.settings.unit_code(uoms[p["default_uom"]]),
                        warehouse_id=wh["id"],
                        location=location,
                        quantity=q.get("quantity"),
                        forecast=q.get("forecast_quantity"),
                        as_of=as_of,
                    )
                )
        return out

    # -- sales --------------------------------------------------------------------------
    def sales(self, since: Since) -> list[SourceItem]:
        c = self.client
        domain = [["comment", "ilike", f"{SALE_MARKER}%"], *_changed(since)]
        ids = set(c.search("sale.sale", domain))
        if since is not None:
            shipped = self._ids_of("stock.shipment.out", "id", since)
            if shipped:
                moves = c.search_read(
                    "stock.move",
                    [["shipment", "in", [f"stock.shipment.out,{i}" for i in shipped]]],
                    ["origin"],
                )
                line_ids = [
                    int(m["origin"].split(",")[1])
                    for m in moves
                    if (m.get("origin") or "").startswith("sale.line,")
                ]
                ids |= {ln["sale"] for ln in c.read("sale.line", line_ids, ["sale"])}
        if not ids:
            return []
        rows = c.read(
            "sale.sale",
            sorted(ids),
            ["number", "reference", "state", "shipment_state", "invoice_state", "comment", *_TS],
        )
        out: list[SourceItem] = []
        for r in rows:
            if not (r.get("comment") or "").startswith(SALE_MARKER):
                continue
            ts = row_ts(r)
            self.seen = newest(self.seen, ts)
            out.append(order_change(self.system, r, ts))
        return out

    # -- shipments and invoices -----------------------------------------------------------
    def _optional(self, model: str, names: tuple[str, ...]) -> list[str]:
        """Those of ``names`` the installed modules give ``model`` (carrier, tracking)."""
        have = self.client.call(f"model.{model}.fields_get", list(names))
        return [n for n in names if n in have]

    def _sale_lines(self, origins: list[str]) -> _SaleLines:
        """For ``sale.line,<id>`` origins: each line's sequence and sale, and the hub's sales."""
        ids = sorted({int(o.split(",")[1]) for o in origins if o.startswith("sale.line,")})
        if not ids:
            return _SaleLines({}, {}, {})
        lines = self.client.read("sale.line", ids, ["sale", "sequence"])
        sales = {
            s["id"]: s
            for s in self.client.read(
                "sale.sale",
                sorted({ln["sale"] for ln in lines}),
                ["number", "reference", "comment", "party"],
            )
            if (s.get("comment") or "").startswith(SALE_MARKER)
        }
        mine = [ln for ln in lines if ln["sale"] in sales]
        return _SaleLines(
            {ln["id"]: int(ln["sequence"] or 0) for ln in mine},
            {ln["id"]: ln["sale"] for ln in mine},
            sales,
        )

    def _codes(self, products: set[int], units: set[int]) -> tuple[dict[int, str], dict[int, str]]:
        c = self.client
        skus = {
            p["id"]: p["code"]
            for p in c.read("product.product", sorted(products), ["code"], context=self.inactive)
            if p.get("code")
        }
        uoms = {
            u["id"]: self.settings.unit_code(u["symbol"])
            for u in c.read("product.uom", sorted(units), ["symbol"], context=self.inactive)
        }
        return skus, uoms

    def shipments(self, since: Since) -> list[SourceItem]:
        c = self.client
        extra = self._optional("stock.shipment.out", ("carrier", "shipping_reference", "packages"))
        domain = [["state", "in", list(SHIPPED_STATES)], *_changed(since)]
        rows = self._note(
            c.search_read(
                "stock.shipment.out",
                domain,
                [*_SHIPMENT_FIELDS, *extra, *_TS],
            )
        )
        if not rows:
            return []
        moves = c.read(
            "stock.move",
            [m for r in rows for m in r["outgoing_moves"]],
            ["product", "quantity", "unit", "origin", "state"],
        )
        by_id = {m["id"]: m for m in moves}
        sl = self._sale_lines([m.get("origin") or "" for m in moves])
        skus, units = self._codes({m["product"] for m in moves}, {m["unit"] for m in moves})
        whs = {
            w["id"]: w.get("code") or str(w["id"])
            for w in c.read("stock.location", sorted({r["warehouse"] for r in rows}), ["code"])
        }
        self._carriers_and_tracking(rows)
        out: list[SourceItem] = []
        for r in rows:
            mine = [by_id[m] for m in r["outgoing_moves"] if m in by_id]
            sale = sl.sale_of([m.get("origin") or "" for m in mine])
            if sale is None:
                continue  # not a sale the hub sent
            out.append(
                shipment_change(
                    self.system,
                    r,
                    mine,
                    order_number=sale.get("reference") or sale.get("number") or str(sale["id"]),
                    skus=skus,
                    units=units,
                    line_numbers=sl.sequence,
                    location=self.settings.location_for(whs[r["warehouse"]]),
                    ts=row_ts(r),
                )
            )
        return out

    def _carriers_and_tracking(self, rows: list[dict[str, Any]]) -> None:
        """Put the carrier's party and service names and every parcel's reference on the rows.

        Tryton's carrier modules (``stock_shipment_cost`` gives a shipment its
        ``carrier``, ``stock_package_shipping`` its ``shipping_reference`` and one
        per package): each row gets ``carrier_name``, ``carrier_service`` and
        ``tracking`` (the shipment's reference, then its packages', once each).
        Without those modules the rows are left as they are.
        """
        c = self.client
        carriers = sorted({int(r["carrier"]) for r in rows if r.get("carrier")})
        names: dict[int, tuple[str, str]] = {}
        if carriers:
            found = c.read("carrier", carriers, ["party", "carrier_product"])
            parties = {
                p["id"]: p["rec_name"]
                for p in c.read("party.party", sorted({x["party"] for x in found}), ["rec_name"])
            }
            products = {
                p["id"]: p["rec_name"]
                for p in c.read(
                    "product.product",
                    sorted({x["carrier_product"] for x in found}),
                    ["rec_name"],
                    context=self.inactive,
                )
            }
            names = {x["id"]: (parties[x["party"]], products[x["carrier_product"]]) for x in found}
        package_ids = [p for r in rows for p in r.get("packages") or []]
        refs = (
            {
                p["id"]: p.get("shipping_reference")
                for p in c.read("stock.package", package_ids, ["shipping_reference"])
            }
            if package_ids
            else {}
        )
        for r in rows:
            if r.get("carrier") in names:
                r["carrier_name"], r["carrier_service"] = names[r["carrier"]]
            tracking = [r.get("shipping_reference")]
            tracking += [refs.get(p) for p in sorted(r.get("packages") or [])]
            r["tracking"] = list(dict.fromkeys(str(t) for t in tracking if t))

    def invoices(self, since: Since) -> list[SourceItem]:
        c = self.client
        domain = [["type", "=", "out"], ["state", "in", list(INVOICE_STATES)], *_changed(since)]
        rows = self._note(
            c.search_read(
                "account.invoice",
                domain,
                [*_INVOICE_FIELDS, *_TS],
            )
        )
        if not rows:
            return []
        lines = c.read(
            "account.invoice.line",
            [i for r in rows for i in r["lines"]],
            _INVOICE_LINE_FIELDS,
        )
        sl = self._sale_lines([ln.get("origin") or "" for ln in lines])
        skus, units = self._codes(
            {ln["product"] for ln in lines if ln.get("product")},
            {ln["unit"] for ln in lines if ln.get("unit")},
        )
        pay = c.read(
            "account.move.line", [i for r in rows for i in r["lines_to_pay"]], ["maturity_date"]
        )
        maturity = {p["id"]: p.get("maturity_date") for p in pay}
        parties = {
            p["id"]: p.get("code")
            for p in c.read(
                "party.party", sorted({r["party"] for r in rows}), ["code"], context=self.inactive
            )
        }
        out: list[SourceItem] = []
        for r in rows:
            mine = [ln for ln in lines if ln["invoice"] == r["id"]]
            sale = sl.sale_of([ln.get("origin") or "" for ln in mine])
            if sale is None:
                continue  # not for a sale the hub sent
            dues = [d for i in r["lines_to_pay"] if (d := maturity.get(i)) is not None]
            out.append(
                invoice_change(
                    self.system,
                    self.settings,
                    r,
                    mine,
                    order_number=sale.get("reference") or sale.get("number") or str(sale["id"]),
                    customer_account=parties.get(r["party"]),
                    skus=skus,
                    units=units,
                    line_numbers=sl.sequence,
                    due=min(dues) if dues else None,
                    ts=row_ts(r),
                )
            )
        return out


class TrytonSource(IncrementalSource[PullKind]):
    """Pulls what ``settings.pull`` names, one unit per kind, behind persisted bookmarks."""

    def __init__(
        self,
        client: TrytonClient,
        settings: TrytonSettings,
        system: str,
        state: Callable[[], ConnectorState | None],
    ) -> None:
        self.client = client
        self.settings = settings
        super().__init__(
            system,
            lambda: settings.pull,
            self._read_kind,
            Bookmarks(state),
            overlap_seconds=settings.overlap_seconds,
            name_of=lambda kind: kind.value,
        )

    def _read_kind(self, kind: PullKind, since: Since) -> Read:
        reader = _Reader(self.client, self.settings, self.system)
        fn: Callable[[Since], list[SourceItem]] = getattr(reader, kind.value)
        items = fn(since)
        return Read(items, reader.seen)

    def bookmark(self, kind: PullKind) -> datetime | None:
        return self.bookmarks.get(kind.value)


__all__ = ["TrytonSource"]
