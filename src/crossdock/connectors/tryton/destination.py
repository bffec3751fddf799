"""Tryton as a destination: orders become confirmed sales, customers become parties.

Never twice: a sale the hub creates carries ``crossdock:<canonical order id>``
as the first line of its comment (and the order number as its reference).
Before creating, the destination looks for that marker, so a push repeated
after a timeout or a crash between Tryton's ``create`` and the hub recording
the sale id finds the sale it made and carries on (quote, confirm) instead
of making a second one. Parties are found by code (the account number) the
same way.

Fields the hub file gives to this system (``ownership``) are never written
to Tryton: Tryton is their system of record.

Per delivery: ``DELIVERED`` with the Tryton id (it goes to the crosswalk);
``RETRY`` for what may resolve itself (the customer not in Tryton yet, a
concurrent change); ``FAILED`` with Tryton's message for what a person must
fix (a validation error, a credit-limit block, an unknown SKU or unit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossdock.config.hub import HubConfig
from crossdock.config.ownership import OwnershipMatrix
from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus, ErpOrderState
from crossdock.connectors.kit.results import failed_result, retry_result, waiting_result
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.connectors.tryton.config import TrytonSettings
from crossdock.connectors.tryton.errors import TrytonUserError
from crossdock.connectors.tryton.mapper import SALE_MARKER, address_id_of
from crossdock.connectors.tryton.sale_lines import AMENDABLE_STATES, line_plan
from crossdock.errors import (
    CrossdockError,
    ErrorCode,
    InvalidInput,
    PermanentError,
    RetryableError,
)
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.model.registry import model_for


class _Retry(Exception):
    """The delivery may succeed later without anyone acting (e.g. its customer is on the way)."""


def owned_fields(hub: HubConfig, system: str, entity: EntityType) -> set[str]:
    """Top-level fields of ``entity`` the hub file gives to ``system`` (never overwritten)."""
    if entity not in hub.ownership:
        return set()
    matrix = OwnershipMatrix(hub.ownership)  # the one rule: the most specific glob wins
    return {name for name in model_for(entity).model_fields if matrix.owner(entity, name) == system}


class TrytonDestination:
    """Pushes orders and customers to one Tryton database."""

    def __init__(
        self, client: TrytonClient, settings: TrytonSettings, system: str, hub: HubConfig
    ) -> None:
        self.client = client
        self.settings = settings
        self.system = system
        self.customer_owned = owned_fields(hub, system, EntityType.CUSTOMER)
        self._uoms: dict[str, int] = {}
        self._company: dict[str, Any] | None = None

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        """One result per delivery; ``RetryableError`` only when Tryton cannot be reached."""
        out: list[DeliveryResult] = []
        for d in batch:
            reference: str | None = None
            try:
                if d.op is ChangeOp.DELETE and d.entity_type is EntityType.ORDER:
                    native = self.cancel_order(d)
                elif d.op is ChangeOp.DELETE:
                    raise PermanentError(
                        f"deleting a {d.entity_type.value} is not pushed to Tryton; "
                        "deactivate it there",
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                elif d.entity_type is EntityType.ORDER:
                    native, reference = self.push_order(d)
                elif d.entity_type is EntityType.CUSTOMER:
                    native = self.push_customer(d)
                else:
                    raise PermanentError(
                        f"the Tryton destination takes orders and customers, "
                        f"not {d.entity_type.value}",
                        code=ErrorCode.CONFIG_INVALID,
                    )
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.DELIVERED,
                        native_id=native,
                        reference=reference,
                    )
                )
            except _Retry as exc:
                out.append(waiting_result(d.delivery_id, str(exc)))
            except RetryableError as exc:
                if (
                    exc.code in (ErrorCode.DESTINATION_UNAVAILABLE, ErrorCode.RATE_LIMITED)
                    and not out
                ):
                    raise
                out.append(retry_result(d.delivery_id, exc))
            except CrossdockError as exc:
                out.append(failed_result(d.delivery_id, exc))
        return out

    # -- orders -------------------------------------------------------------------------
    def _company_row(self) -> dict[str, Any]:
        if self._company is None:
            cid = self.client.context.get("company")
            rows = (
                self.client.read("company.company", [int(cid)], ["currency", "party"])
                if cid
                else []
            )
            if not rows:
                raise PermanentError(
                    "the Tryton user has no current company", code=ErrorCode.CONFIG_INVALID
                )
            self._company = rows[0]
        return self._company

    def find_sale(self, entity_id: str) -> dict[str, Any] | None:
        """The sale the hub created for a canonical order, if any (the idempotency check)."""
        ids = self.client.search("sale.sale", [["comment", "ilike", f"{SALE_MARKER}{entity_id}%"]])
        rows = self.client.read("sale.sale", ids, ["state", "comment", "number"]) if ids else []
        for r in rows:
            first = (r.get("comment") or "").splitlines()[0] if r.get("comment") else ""
            if first == f"{SALE_MARKER}{entity_id}":
                return r
        return None

    def push_order(self, d: Delivery) -> tuple[str, str | None]:
        """The sale's id and number (Tryton numbers a sale when it is quoted).

        A sale the hub made already is brought to the delivery's lines
        (:meth:`amend_sale`): an amendment forwarded, or a push cut short.
        """
        existing = self.find_sale(d.entity_id)
        if existing is None:
            sale, lines = self.sale_values(d)
            sale_id, state, number = self.create_sale(sale, lines), "draft", None
        else:
            sale_id, state = int(existing["id"]), str(existing["state"])
            number = existing.get("number") or None
            state = self.amend_sale(sale_id, state, self.sale_values(d)[1])
        moved = False
        if self.settings.confirm_sales:
            try:
                if state == "draft":
                    self.client.button("sale.sale", "quote", [sale_id])
                    state, moved = "quotation", True
                if state == "quotation":
                    self.client.button("sale.sale", "confirm", [sale_id])
                    moved = True
            except TrytonUserError as exc:
                # Its rules refuse the sale as it is. A warning (a person decides in
                # Tryton) or a denied access keeps the sale for the next push.
                self._withdraw_refused(sale_id, exc)
                raise
        if number is None or moved:
            number = self.sale_number(sale_id)
        return str(sale_id), None if number is None else str(number)

    def order_state(self, entity_id: str) -> ErpOrderState | None:
        """The hub's sale for a canonical order and what its state allows (``ErpOrders``)."""
        found = self.find_sale(entity_id)
        if found is None:
            return None
        state = str(found["state"])
        return ErpOrderState(
            native_id=str(found["id"]),
            state=state,
            amendable=state in AMENDABLE_STATES,
            cancellable=state in AMENDABLE_STATES,
        )

    def withdraw_rest(self, entity_id: str) -> ErpOrderState | None:
        """Cancel the rest of a partly shipped sale the way Tryton does it (``ErpOrders``).

        Its customer shipments not done yet are cancelled; the sale, whose moves
        are then cancelled, is in shipment exception, which Tryton's *Handle
        Shipment Exception* wizard settles by ignoring those moves (none
        recreated): the sale goes on to done with what shipped. Each step is
        skipped when already done, so a retry after a crash finishes the work.
        """
        found = self.find_sale(entity_id)
        if found is None:
            return None
        sale_id = int(found["id"])
        c = self.client
        (sale,) = c.read("sale.sale", [sale_id], ["shipments"])
        open_ = [
            int(r["id"])
            for r in c.read("stock.shipment.out", sale["shipments"], ["state"])
            if r["state"] not in ("done", "cancelled")
        ]
        if open_:
            c.button("stock.shipment.out", "cancel", open_)
        (sale,) = c.read("sale.sale", [sale_id], ["shipment_state"])
        if sale["shipment_state"] == "exception":
            self._ignore_cancelled_moves(sale_id)
        return self.order_state(entity_id)

    def _ignore_cancelled_moves(self, sale_id: int) -> None:
        wizard = "wizard.sale.handle.shipment.exception"
        context = {"active_id": sale_id, "active_ids": [sale_id], "active_model": "sale.sale"}
        wiz_id = self.client.call(f"{wizard}.create")[0]
        try:
            asked = self.client.call(f"{wizard}.execute", wiz_id, {}, "ask", context=context)
            moves = asked["view"]["defaults"]["domain_moves"]
            data = {"ask": {"domain_moves": moves, "ignore_moves": moves, "recreate_moves": []}}
            self.client.call(f"{wizard}.execute", wiz_id, data, "handle", context=context)
        finally:
            self.client.call(f"{wizard}.delete", wiz_id)

    def amend_sale(self, sale_id: int, state: str, lines: list[dict[str, Any]]) -> str:
        """Bring a sale's lines to ``lines`` (keyed by sequence); its state afterwards.

        Tryton lets a sale's lines change only in ``draft``: a quotation or a
        confirmed sale not yet processed goes back to draft first (Tryton's own
        ``draft`` transition), a cancelled one too (sent again after a hold).
        Lines are matched by sequence (the order line number): changed ones are
        written, missing ones created, extra ones deleted, so a retry or a push
        repeated after a crash converges on the same lines and never doubles one.
        A processing or done sale is refused with its state: Tryton plans its
        shipments and invoices from the lines once it processes the sale.
        """
        if state == "cancelled":  # withdrawn while on hold, now sent again
            self.client.button("sale.sale", "draft", [sale_id])
            state = "draft"
        have = self.client.search_read(
            "sale.line",
            [["sale", "=", sale_id]],
            ["sequence", "product", "quantity", "unit", "unit_price", "type"],
        )
        plan = line_plan(have, lines)
        if plan.empty:
            return state
        if state not in AMENDABLE_STATES:
            raise PermanentError(
                f"the Tryton sale {sale_id} is {state}: Tryton changes a sale's lines only "
                f"while it is {', '.join(sorted(AMENDABLE_STATES))}; amend it in Tryton "
                "(its shipment) or cancel the order",
                code=ErrorCode.REJECTED_BY_DESTINATION,
            )
        if state != "draft":
            self.client.button("sale.sale", "draft", [sale_id])
        if plan.delete:
            self.client.delete("sale.line", plan.delete)
        for line_id, values in plan.write:
            self.client.write("sale.line", [line_id], values)
        if plan.create:
            rows = [{**v, "sale": sale_id} for v in plan.create]
            self.client.create("sale.line", rows, batch=self.settings.write_batch)
        return "draft"

    def _withdraw_refused(self, sale_id: int, exc: CrossdockError) -> None:
        """Tryton's rules refused to quote or confirm the hub's sale: delete it, no orphan.

        The refusal puts the order on hold; a release sends it afresh (a new sale)
        and a rejection leaves nothing behind in Tryton. Tryton deletes a sale only
        once cancelled, so it is cancelled first. A failure here is added to the
        refusal's message (the sale is still found, and reused, by the next push).
        """
        try:
            rows = self.client.read("sale.sale", [sale_id], ["state"])
            if rows and rows[0].get("state") in ("draft", "quotation"):
                self.client.button("sale.sale", "cancel", [sale_id])
            if rows:
                self.client.delete("sale.sale", [sale_id])
        except CrossdockError as err:
            exc.message = f"{exc.message} (its draft sale {sale_id} stays: {err.message})"

    def sale_number(self, sale_id: int) -> str | None:
        """The sale's number (Tryton gives one when the sale is quoted)."""
        rows = self.client.read("sale.sale", [sale_id], ["number"])
        number = rows[0].get("number") if rows else None
        return str(number) if number else None

    def cancel_order(self, d: Delivery) -> str | None:
        """An order withdrawn or cancelled in the hub: cancel its sale while Tryton allows it.

        Tryton cancels a draft or quotation; a confirmed sale not yet processed
        (no shipment or invoice made) goes back to draft first. A processing or
        done sale is refused with what to do.
        """
        existing = self.find_sale(d.entity_id)
        if existing is None:
            return None
        sale_id, state = int(existing["id"]), str(existing["state"])
        if state == "confirmed":
            self.client.button("sale.sale", "draft", [sale_id])
            state = "draft"
        if state in ("draft", "quotation"):
            self.client.button("sale.sale", "cancel", [sale_id])
        elif state != "cancelled":
            raise PermanentError(
                f"the order was withdrawn but its Tryton sale {sale_id} is {state}: "
                "cancel it (or its shipment) in Tryton",
                code=ErrorCode.REJECTED_BY_DESTINATION,
            )
        return str(sale_id)

    def _complete_lines(self, sale_id: int, lines: list[dict[str, Any]]) -> None:
        have = {
            int(r["sequence"] or 0)
            for r in self.client.search_read("sale.line", [["sale", "=", sale_id]], ["sequence"])
        }
        missing = [{**ln, "sale": sale_id} for ln in lines if ln["sequence"] not in have]
        if missing:
            self.client.create("sale.line", missing, batch=self.settings.write_batch)

    def _uom(self, code: str) -> int:
        symbol = self.settings.unit_symbol(code)
        if symbol not in self._uoms:
            ids = self.client.search("product.uom", [["symbol", "=", symbol]])
            if not ids:
                raise InvalidInput(
                    f"unit {code!r} (Tryton symbol {symbol!r}) is not a Tryton unit; "
                    "map it under settings.units",
                    field="lines.unit",
                    code=ErrorCode.UNKNOWN_UNIT,
                )
            self._uoms[symbol] = ids[0]
        return self._uoms[symbol]

    def sale_values(self, d: Delivery) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The sale's values and its lines' values for one order delivery."""
        data = d.data
        c = self.client
        account = data.get("customer_account")
        if not account:
            raise InvalidInput("the order has no customer_account", field="customer_account")
        parties = c.search_read(
            "party.party",
            [["code", "=", account]],
            ["addresses", "customer_payment_term", "sale_price_list"],
        )
        if not parties:
            raise _Retry(
                f"customer {account!r} is not in Tryton (yet): push the customer or create a "
                "party with that code"
            )
        party = parties[0]
        addrs = c.read("party.address", party["addresses"], ["delivery", "invoice", "party"])
        ship = self._address(addrs, data.get("ship_to"), "delivery")
        bill = self._address(addrs, data.get("bill_to"), "invoice")
        company = self._company_row()
        lines_in = list(data.get("lines") or [])
        if not lines_in:
            raise InvalidInput("the order has no lines", field="lines")
        skus = sorted({str(ln["sku"]) for ln in lines_in})
        products = {
            p["code"]: p
            for p in c.search_read(
                "product.product", [["code", "in", skus]], ["code", "sale_uom", "salable"]
            )
        }
        sale: dict[str, Any] = {
            "party": party["id"],
            "company": self.client.context.get("company"),
            "currency": company["currency"],
            "invoice_address": bill,
            "shipment_address": ship,
            "reference": data.get("order_number"),
            "description": data.get("customer_po"),
            "comment": f"{SALE_MARKER}{d.entity_id}\n{data.get('notes') or ''}".rstrip(),
            "payment_term": party.get("customer_payment_term"),
            "price_list": party.get("sale_price_list"),
        }
        if isinstance(data.get("order_date"), str):
            sale["sale_date"] = datetime.fromisoformat(data["order_date"]).date()
        warehouse = self._warehouse(lines_in)
        if warehouse is not None:
            sale["warehouse"] = warehouse
        lines: list[dict[str, Any]] = []
        for i, ln in enumerate(sorted(lines_in, key=lambda x: int(x.get("line_number", 0)))):
            p = products.get(str(ln["sku"]))
            if p is None:
                raise InvalidInput(
                    f"lines[{i}].sku: {ln['sku']!r} is not a Tryton product code",
                    field=f"lines[{i}].sku",
                )
            unit = self._uom(str(ln["unit"])) if ln.get("unit") else p["sale_uom"]
            qty = Decimal(str(ln["quantity"]))
            values: dict[str, Any] = {
                "type": "line",
                "product": p["id"],
                "quantity": float(qty),
                "unit": unit,
                "sequence": int(ln.get("line_number", i + 1)),
            }
            if ln.get("unit_price") is not None:
                values["unit_price"] = Decimal(str(ln["unit_price"]))
            else:
                values["unit_price"] = self._tryton_price(sale, values)
            lines.append(values)
        return {k: v for k, v in sale.items() if v is not None}, lines

    def create_sale(self, sale: dict[str, Any], lines: list[dict[str, Any]]) -> int:
        """Create the sale with its first lines, then the rest in batches.

        SQLite's parser gives up on one statement of more than about 80 records. The sale
        carries its marker from the first call, so a push cut short between batches is
        found again and completed by :meth:`amend_sale` (lines are keyed by sequence).
        """
        first, rest = lines[: self.settings.write_batch], lines[self.settings.write_batch :]
        sale_id = self.client.create("sale.sale", [{**sale, "lines": [["create", first]]}])[0]
        if rest:
            self._complete_lines(sale_id, rest)
        return sale_id

    def _tryton_price(self, sale: Mapping[str, Any], line: Mapping[str, Any]) -> Decimal:
        """Tryton's own price for a line (its price list, quantity breaks), via on_change."""
        values = {
            **line,
            "sale": {k: sale.get(k) for k in ("party", "currency", "price_list", "company")},
        }
        # Tryton prices a line from its context: customer, price list, quantity, unit.
        context = {
            "customer": sale.get("party"),
            "currency": sale.get("currency"),
            "price_list": sale.get("price_list"),
            "quantity": line.get("quantity"),
            "uom": line.get("unit"),
        }
        changes = self.client.call(
            "model.sale.line.on_change",
            values,
            ["product", "quantity"],
            context={k: v for k, v in context.items() if v is not None},
        )
        price = changes.get("unit_price") if isinstance(changes, dict) else None
        if not isinstance(price, Decimal):
            raise InvalidInput(
                f"Tryton gave no price for product {line['product']}", field="lines.unit_price"
            )
        return price

    @staticmethod
    def _address(addrs: list[dict[str, Any]], code: Any, flag: str) -> int | None:
        wanted = address_id_of(code if isinstance(code, str) else None)
        if wanted is not None and any(a["id"] == wanted for a in addrs):
            return wanted
        for a in addrs:
            if a.get(flag):
                return int(a["id"])
        return int(addrs[0]["id"]) if addrs else None

    def _warehouse(self, lines: list[Mapping[str, Any]]) -> int | None:
        froms = {ln.get("ship_from") for ln in lines if ln.get("ship_from")}
        if len(froms) != 1:
            return None
        code = self.settings.warehouse_for(str(froms.pop()))
        if code is None:
            return None
        ids = self.client.search(
            "stock.location", [["type", "=", "warehouse"], ["code", "=", code]]
        )
        return ids[0] if ids else None

    # -- customers ----------------------------------------------------------------------
    def push_customer(self, d: Delivery) -> str:
        data = d.data
        c = self.client
        account = data.get("account_number")
        party_id: int | None = None
        if d.native_id and d.native_id.isdigit():
            found = c.search(
                "party.party", [["id", "=", int(d.native_id)]], context={"active_test": False}
            )
            party_id = found[0] if found else None
        if party_id is None and account:
            found = c.search(
                "party.party", [["code", "=", account]], context={"active_test": False}
            )
            party_id = found[0] if found else None
        writable = {k: v for k, v in data.items() if k not in self.customer_owned}
        if party_id is None:
            if not self.settings.create_customers:
                raise PermanentError(
                    f"customer {account!r} is not in Tryton and create_customers is off",
                    code=ErrorCode.REJECTED_BY_DESTINATION,
                )
            if not account:
                raise InvalidInput(
                    "a customer needs an account_number to become a Tryton party (its code)",
                    field="account_number",
                )
            values: dict[str, Any] = {"name": data.get("name") or account, "code": account}
            addresses = [self._address_values(s) for s in writable.get("sites") or []]
            if addresses:
                values["addresses"] = [["create", addresses]]
            mechs = self._mechanisms(writable.get("contacts") or [])
            if mechs:
                values["contact_mechanisms"] = [["create", mechs]]
            return str(c.create("party.party", [values])[0])
        update: dict[str, Any] = {}
        if writable.get("name"):
            update["name"] = writable["name"]
        if update:
            c.write("party.party", [party_id], update)
        if "contacts" in writable:
            have = {
                m["value"]
                for m in c.search_read(
                    "party.contact_mechanism", [["party", "=", party_id]], ["value"]
                )
            }
            new = [m for m in self._mechanisms(writable["contacts"]) if m["value"] not in have]
            if new:
                c.create("party.contact_mechanism", [{**m, "party": party_id} for m in new])
        return str(party_id)

    def _address_values(self, site: Mapping[str, Any]) -> dict[str, Any]:
        addr = site.get("address") or {}
        roles = site.get("roles") or []
        street = "\n".join(x for x in (addr.get("line1"), addr.get("line2")) if x)
        values: dict[str, Any] = {
            "street": street or None,
            "city": addr.get("city"),
            "postal_code": addr.get("postal_code"),
            "party_name": site.get("name"),
            "delivery": "ship_to" in roles,
            "invoice": "bill_to" in roles,
        }
        if addr.get("country"):
            ids = self.client.search("country.country", [["code", "=", addr["country"]]])
            if ids:
                values["country"] = ids[0]
        return {k: v for k, v in values.items() if v is not None}

    @staticmethod
    def _mechanisms(contacts: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ct in contacts:
            for kind in ("email", "phone"):
                if ct.get(kind):
                    out.append({"type": kind, "value": ct[kind], "name": ct.get("name")})
        return [{k: v for k, v in m.items() if v is not None} for m in out]


__all__ = ["TrytonDestination", "owned_fields"]
