"""`crossdock audit` and `crossdock lineage`: who did what, and what became of a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, console, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out, when_text
from crossdock.model.base import EntityType
from crossdock.observability import tracing


def audit(
    actor: Annotated[
        str | None, typer.Option(help="Part of the actor (a key prefix, a name).")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="Action prefix, e.g. parked. or api_key.")
    ] = None,
    target: Annotated[str | None, typer.Option(help="Target prefix, e.g. a route name.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="From this time on (UTC unless it says).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many rows.")] = 100,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log, newest first: who did what, when, from where (read only)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.audit.page(
            limit=limit, actor=actor, action=action, target=target, since=since
        )
    if as_json:
        json_out(
            [
                {
                    "id": r.id,
                    "at": r.at,
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": r.detail,
                    "origin": r.origin,
                }
                for r in rows
            ]
        )
        return
    table = Table(title="audit log")
    for col in ("id", "at", "actor", "action", "target", "from", "detail"):
        table.add_column(col, no_wrap=col != "detail")
    for r in rows:
        table.add_row(
            str(r.id),
            when_text(r.at),
            r.actor,
            r.action,
            r.target,
            r.origin or "local",
            json.dumps(r.detail, default=str, ensure_ascii=False)[:200],
        )
    console.print(table)


def lineage(
    entity: Annotated[EntityType, typer.Argument(help="The record's entity type.")],
    record_id: Annotated[str, typer.Argument(help="The record's canonical id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A record's versions: when, from which system, what changed, and the trace id of each."""
    with open_hub(config, store, read_only=True) as hub:
        if hub.store.records.get(entity, record_id) is None:
            raise fail(KeyError(f"no {entity.value} record {record_id}"))
        history = hub.store.outbox.history(entity, record_id)
    if as_json:
        json_out(
            [
                {
                    "version": ev.version,
                    "op": ev.op.value,
                    "time": ev.time,
                    "source_system": ev.source_system,
                    "changed": ev.changed,
                    "trace_id": tracing.trace_id(ev.traceparent),
                }
                for ev in history
            ]
        )
        return
    table = Table(title=f"{entity.value} {record_id}")
    for col in ("version", "time", "op", "from", "changed", "trace id"):
        table.add_column(col, no_wrap=col != "changed")
    for ev in history:
        table.add_row(
            str(ev.version),
            when_text(ev.time),
            ev.op.value,
            ev.source_system or "-",
            ", ".join(ev.changed),
            tracing.trace_id(ev.traceparent) or "-",
        )
    console.print(table)


def prune(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Prune what the hub file's retention says is past its age (serve does it hourly)."""
    from crossdock.cli.options import err

    with open_hub(config, store) as hub:
        counts: dict[str, int] = {}

        def progress(kind: str, n: int) -> None:
            counts[kind] = counts.get(kind, 0) + n
            if not as_json:
                err.print(f"{kind}: {counts[kind]} pruned so far")

        report = hub.prune(progress=progress)
    if as_json:
        json_out({"pruned": report.pruned, "horizon": report.horizon})
        return
    if not report.pruned:
        console.print("nothing past its age")
    for kind, n in report.pruned.items():
        console.print(f"{kind}: {n} pruned")


__all__ = ["audit", "lineage", "prune"]
