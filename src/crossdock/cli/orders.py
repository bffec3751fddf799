"""`crossdock orders`: one order shown whole, the holds queue, release, reject, cancel (audited)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, open_app
from crossdock.cli.output import JsonOpt, json_out
from crossdock.errors import NotFound
from crossdock.services.orders import OrderService
from crossdock.store.order_rows import OrderRow, OrderState

orders_app = typer.Typer(
    help="Orders: one order, the holds queue, release, reject and cancel.", no_args_is_help=True
)

OrderArg = Annotated[
    str, typer.Argument(help="The order's id, or CHANNEL:NUMBER (the channel's order number).")
]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (kept in the audit log).")]


def _find(svc: OrderService, ref: str) -> OrderRow:
    if ":" in ref and not ref.startswith("ord_"):
        channel, number = ref.split(":", 1)
        found = svc.store.orders.find(channel, number)
        if found is None:
            raise NotFound(f"no order {number!r} from {channel!r}")
        return found
    return svc.get(ref)


def _doc(svc: OrderService, o: OrderRow, *, timeline: bool = True) -> dict[str, Any]:
    store = svc.store
    doc: dict[str, Any] = {
        "id": o.id,
        "channel": o.channel,
        "order_number": o.order_number,
        "customer": o.customer_account,
        "ship_to": o.ship_to,
        "bill_to": o.bill_to,
        "customer_po": o.customer_po,
        "status": o.status.value,
        "holds": o.holds,
        "total": str(o.total),
        "revision": o.revision,
        "erp_id": o.erp_id,
        "erp_number": o.erp_number,
        "problem": o.problem,
        "rules": o.rules,
        "lines": [
            {
                "line_number": ln.line_number,
                "sku": ln.sku,
                "quantity": str(ln.quantity),
                "unit": ln.unit,
                "unit_price": None if ln.unit_price is None else str(ln.unit_price),
                "price_note": ln.price_note,
                "backordered": str(ln.backordered),
                "promise_date": ln.promise_date.isoformat() if ln.promise_date else None,
            }
            for ln in store.orders.lines(o.id)
        ],
    }
    if timeline:
        doc["timeline"] = [
            {"at": s.at, "kind": s.kind, "outcome": s.outcome, "detail": s.detail}
            for s in store.orders.timeline(o.id)
        ]
    return doc


def _print(doc: dict[str, Any]) -> None:
    for key in (
        "id",
        "channel",
        "order_number",
        "customer",
        "ship_to",
        "customer_po",
        "status",
        "erp_number",
        "problem",
    ):
        console.print(f"{key}: {doc[key] if doc[key] is not None else '-'}", highlight=False)
    console.print(f"holds: {', '.join(doc['holds']) or '-'}   total: {doc['total']}")
    lines = Table(title="lines")
    for col in ("line", "sku", "quantity", "unit", "unit price", "price from", "promised"):
        lines.add_column(col)
    for ln in doc["lines"]:
        lines.add_row(
            str(ln["line_number"]),
            ln["sku"],
            ln["quantity"],
            ln["unit"],
            ln["unit_price"] or "-",
            ln["price_note"] or "-",
            f"{ln['backordered']} on {ln['promise_date']}" if ln["promise_date"] else "-",
        )
    console.print(lines)
    rules = Table(title="rules")
    for col in ("rule", "action", "reason", "detail"):
        rules.add_column(col)
    for r in doc["rules"]:
        rules.add_row(r["rule"], r["action"], r["reason"] or "-", r["detail"] or "")
    console.print(rules)
    if "timeline" in doc:
        steps = Table(title="timeline")
        for col in ("at", "step", "outcome"):
            steps.add_column(col, no_wrap=True)
        for s in doc["timeline"]:
            steps.add_row(s["at"].isoformat(timespec="seconds"), s["kind"], s["outcome"])
        console.print(steps)


@orders_app.command("show")
def orders_show(
    order: OrderArg,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One order whole: lines, prices, every rule's result, and its timeline."""
    with open_app(config, store, read_only=True) as application:
        svc = application.orders
        doc = _doc(svc, _find(svc, order))
    if as_json:
        json_out(doc)
    else:
        _print(doc)


@orders_app.command("holds")
def orders_holds(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Orders on hold, oldest id first, with their reason codes."""
    with open_app(config, store, read_only=True) as application:
        found = application.hub.store.orders.page(status=OrderState.ON_HOLD, limit=limit)
    if as_json:
        json_out(
            {
                "items": [
                    {
                        "id": o.id,
                        "channel": o.channel,
                        "order_number": o.order_number,
                        "customer": o.customer_account,
                        "holds": o.holds,
                        "total": str(o.total),
                    }
                    for o in found
                ]
            }
        )
        return
    table = Table(title="orders on hold")
    for col in ("id", "channel", "order", "customer", "holds", "total"):
        table.add_column(col, no_wrap=True)
    for o in found:
        table.add_row(
            o.id, o.channel, o.order_number, o.customer_account, ", ".join(o.holds), str(o.total)
        )
    console.print(table)


@orders_app.command("release")
def orders_release(
    order: OrderArg,
    note: NoteOpt,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Release a held order: the rules that held it run again; accepted when they pass."""
    _decide(
        config, store, order, as_json, lambda svc, oid: svc.release(oid, actor=actor(), note=note)
    )


@orders_app.command("reject")
def orders_reject(
    order: OrderArg,
    note: NoteOpt,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject an order; every reservation it holds is released."""
    _decide(
        config,
        store,
        order,
        as_json,
        lambda svc, oid: svc.reject(oid, actor=actor(), note=note),
        holds=False,
    )


@orders_app.command("cancel")
def orders_cancel(
    order: OrderArg,
    note: NoteOpt,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel an order not shipped yet: reservations back, the ERP sale cancelled where allowed."""
    _decide(
        config,
        store,
        order,
        as_json,
        lambda svc, oid: svc.cancel(oid, actor=actor(), note=note),
        holds=False,
    )


def _decide(
    config: Path,
    store: str | None,
    order: str,
    as_json: bool,
    act: Callable[[OrderService, str], OrderRow],
    *,
    holds: bool = True,
) -> None:
    """Find ``order``, do what a person decided, and say where it stands now."""
    with open_app(config, store) as application:
        svc = application.orders
        done = act(svc, _find(svc, order).id)
        doc = _doc(svc, done, timeline=False)
    if as_json:
        json_out(doc)
        return
    why = f" ({', '.join(done.holds)})" if holds and done.holds else ""
    console.print(f"{done.id}: {done.status.value}{why}", highlight=False)
