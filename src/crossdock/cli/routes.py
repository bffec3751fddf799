"""`crossdock routes` and `crossdock parked`: replaying a route, resending, parked deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out
from crossdock.model.base import EntityType

routes_app = typer.Typer(help="Operator actions on routes.", no_args_is_help=True)
parked_app = typer.Typer(help="Parked deliveries.", no_args_is_help=True)


@routes_app.command("replay")
def routes_replay(
    route: Annotated[str, typer.Argument(help="Route name.")],
    from_seq: Annotated[
        int | None, typer.Option(min=1, help="Send again from this outbox seq (1 or more).")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Send again what changed since (ISO 8601, UTC).")
    ] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Move a route's cursor back (never forward); audited."""
    with open_hub(config, store) as hub:
        when = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        if (from_seq is None) == (when is None):
            raise fail(ValueError("give exactly one of --from-seq or --since"))
        position = hub.replay(route, from_seq=from_seq, since=when, actor=actor())
    console.print(f"{route}: cursor at {position}; the next sync sends from there")


@routes_app.command("resend")
def routes_resend(
    route: Annotated[str, typer.Argument(help="Route name.")],
    entity_type: Annotated[EntityType, typer.Argument(help="Entity type.")],
    record_id: Annotated[str, typer.Argument(help="Canonical record id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Send one record's current version through a route again."""
    with open_hub(config, store) as hub:
        report = hub.worker(route).resend(entity_type, record_id, actor=actor())
    console.print(f"delivered={report.delivered} blocked={report.blocked}")


@parked_app.command("list")
def parked_list(
    route: Annotated[str | None, typer.Option(help="Only this route.")] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Parked deliveries, oldest first."""
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.parked.page(route, limit=1000)
    if as_json:
        json_out(
            [
                {
                    "route": p.route,
                    "entity_type": p.entity_type.value,
                    "entity_id": p.entity_id,
                    "version": p.version,
                    "code": p.code,
                    "attempts": p.attempts,
                    "error": p.error,
                    "parked_at": p.parked_at,
                }
                for p in rows
            ]
        )
        return
    table = Table(title="parked")
    for col in ("route", "entity", "record", "version", "code", "attempts", "error"):
        table.add_column(col)
    for p in rows:
        table.add_row(
            p.route,
            p.entity_type.value,
            p.entity_id,
            str(p.version),
            p.code,
            str(p.attempts),
            p.error,
        )
    console.print(table)


@parked_app.command("retry")
def parked_retry(
    route: Annotated[str, typer.Argument(help="Route name.")],
    record_id: Annotated[str, typer.Argument(help="Canonical record id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Re-send a parked record's current version; its parked rows close on success."""
    with open_hub(config, store) as hub:
        report = hub.worker(route).retry_parked(record_id, actor=actor())
    console.print(f"delivered={report.delivered} blocked={report.blocked}")


@parked_app.command("retry-all")
def parked_retry_all(
    route: Annotated[str, typer.Argument(help="Route name.")],
    code: Annotated[str | None, typer.Option(help="Only records parked with this code.")] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Re-send every parked record of a route (or those with one error code)."""
    with open_hub(config, store) as hub:
        report = hub.worker(route).retry_all_parked(actor=actor(), code=code)
    console.print(f"delivered={report.delivered} blocked={report.blocked}")


@parked_app.command("skip")
def parked_skip(
    route: Annotated[str, typer.Argument(help="Route name.")],
    record_id: Annotated[str, typer.Argument(help="Canonical record id.")],
    note: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Give up on a parked record's versions (audited)."""
    with open_hub(config, store) as hub:
        n = hub.worker(route).skip_parked(record_id, actor=actor(), note=note or None)
    console.print(f"skipped {n} parked version(s)")


__all__ = ["parked_app", "routes_app"]
