"""`crossdock status`: routes, systems' links, exceptions, records, orders, EDI gaps, late 997s.

Routes show lag, last success and parked records; systems that can say (the
brokers) show whether they answer now and their lag (a source's pending
messages, a destination's unconfirmed publishes), within a few seconds even
with a broker down; a functional group sent to a trading partner and still
without its 997 after the partner's deadline is an alert line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from crossdock.cli.availability import print_freshness
from crossdock.cli.options import ConfigOpt, StoreOpt, console, open_app
from crossdock.cli.output import JsonOpt, json_out, when_text
from crossdock.errors import ErrorCode
from crossdock.store import alert_state


def status(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Per route: lag, last success, parked; open exceptions; records per entity."""
    with open_app(config, store, read_only=True) as application:
        hub = application.hub
        rows = hub.route_status()
        links = hub.system_links()  # each asked with a short timeout: a broker down is a line
        open_exc = hub.store.exceptions.count()
        counts = hub.store.records.count()
        by_status = hub.store.orders.count_by_status()
        orders = {
            "by_status": by_status,
            "stuck": application.engine.stuck(),
            "with_problem": hub.store.orders.with_problem(),
        }
        edi_gaps = len(hub.store.edi.gaps())
        mdn_overdue = hub.store.exceptions.count_open(
            code=ErrorCode.DESTINATION_UNAVAILABLE.value, field="MDN"
        )
        edi_overdue = hub.store.edi.overdue(datetime.now(UTC))
        rules = {r.name for r in hub.config.alerts.rules}
        alerts = [a for n, a in sorted(alert_state.states(hub.store).items()) if n in rules]
        if not as_json:
            print_freshness(application, console)
    if as_json:
        json_out(
            {
                "routes": [
                    {
                        "route": r.route,
                        "destination": r.destination,
                        "lag_events": r.lag_events,
                        "lag_seconds": r.lag_seconds,
                        "last_success_at": r.last_success_at,
                        "parked": r.parked,
                        "delivered": r.delivered,
                        "circuit": r.circuit,
                        "last_error": r.last_error,
                    }
                    for r in rows
                ],
                "systems": [
                    {
                        "system": s.system,
                        "kind": s.kind,
                        "connected": s.link.connected,
                        "detail": s.link.detail,
                        "where": s.link.where,
                        "pending": s.link.pending,
                        "unconfirmed": s.link.unconfirmed,
                    }
                    for s in links
                ],
                "records": counts,
                "open_exceptions": open_exc,
                "edi_control_gaps": edi_gaps,
                "edi_as2_mdn_overdue": mdn_overdue,
                "edi_unacknowledged": [
                    {
                        "partner": g.partner,
                        "group": g.gs_control,
                        "interchange": g.isa_control,
                        "file": g.file,
                        "sent_at": g.sent_at,
                        "due_at": g.due_at,
                    }
                    for g in edi_overdue
                ],
                "orders": orders,
                "alerts": [
                    {
                        "alert": a.name,
                        "firing": a.firing,
                        "since": a.since,
                        "value": a.value,
                        "message": a.message,
                    }
                    for a in alerts
                ],
            }
        )
        return
    table = Table(title="routes")
    for col in ("route", "destination", "lag (events)", "lag (s)", "last success"):
        table.add_column(col, no_wrap=True, overflow="fold")
    for col in ("parked", "delivered"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("circuit", no_wrap=True)
    table.add_column("last error", overflow="fold")
    for r in rows:
        table.add_row(
            r.route,
            r.destination,
            f"{r.lag_events:,}",
            f"{r.lag_seconds:.1f}" if r.lag_seconds is not None else "-",
            when_text(r.last_success_at),
            f"{r.parked:,}",
            f"{r.delivered:,}",
            r.circuit,
            r.last_error or "",
        )
    console.print(table)
    if links:
        systems = Table(title="systems")
        for col in ("system", "kind", "where"):
            systems.add_column(col, no_wrap=True)
        for col in ("pending", "unconfirmed"):
            systems.add_column(col, justify="right", no_wrap=True)
        systems.add_column("link", overflow="fold")
        for s in links:
            systems.add_row(
                s.system,
                s.kind,
                s.link.where,
                _count(s.link.pending),
                _count(s.link.unconfirmed),
                s.link.detail,
            )
        console.print(systems)
    listed = ", ".join(f"{entity} {n:,}" for entity, n in sorted(counts.items())) or "none"
    console.print(f"records: {listed}", highlight=False)
    console.print(f"open exceptions: {open_exc:,}", highlight=False)
    states = ", ".join(f"{st} {n:,}" for st, n in sorted(by_status.items()))
    console.print(
        f"orders: {states or 'none'}; stuck (accepted, not confirmed by the ERP after "
        f"{hub.config.orders.stuck_minutes:g} min): {orders['stuck']:,}; "
        f"with a problem: {orders['with_problem']:,}",
        highlight=False,
    )
    if edi_gaps:
        console.print(
            f"EDI control numbers handed out that no written file carries: {edi_gaps:,} "
            "(crossdock edi gaps)",
            highlight=False,
        )
    if mdn_overdue:
        console.print(
            f"EDI documents sent by AS2 without their MDN past the partner's deadline: "
            f"{mdn_overdue:,} (crossdock exceptions list; still being retried)",
            highlight=False,
        )
    for g in edi_overdue:
        console.print(
            f"ALERT EDI {g.partner}: group {g.gs_control} ({g.file}) sent "
            f"{when_text(g.sent_at)} has no 997, due {when_text(g.due_at)}",
            highlight=False,
        )
    for a in alerts:
        state = "FIRING" if a.firing else "ok"
        console.print(
            f"alert {a.name}: {state} since {when_text(a.since)} ({a.message})", highlight=False
        )


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


__all__ = ["status"]
