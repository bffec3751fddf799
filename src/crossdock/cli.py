"""The `crossdock` command: init, serve, sync, import, status, schema, keys, exceptions, demo."""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossdock.availability_cli import availability_app, print_freshness
from crossdock.cli_bookmarks import app as bookmarks_app
from crossdock.cli_errors import guard, port_in_use
from crossdock.cli_options import ConfigOpt, StoreOpt, console, err
from crossdock.cli_options import actor as _actor
from crossdock.cli_options import fail as _fail
from crossdock.cli_options import hub_for as _hub
from crossdock.cli_options import open_hub as _open_hub
from crossdock.cli_pricing import pricing_app
from crossdock.connectors.base import SnapshotSource, SourceItem
from crossdock.errors import CrossdockError, NotFound
from crossdock.model.base import EntityType
from crossdock.observability import tracing
from crossdock.store import alert_state
from crossdock.store.records import ExceptionRow, KeyListing

app = typer.Typer(
    name="crossdock",
    help="Crossdock: a sync hub for wholesale distributors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
exc_app = typer.Typer(help="Business exceptions.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(exc_app, name="exceptions")
routes_app = typer.Typer(help="Operator actions on routes.", no_args_is_help=True)
parked_app = typer.Typer(help="Parked deliveries.", no_args_is_help=True)
app.add_typer(routes_app, name="routes")
app.add_typer(parked_app, name="parked")
prop_app = typer.Typer(
    help="Values non-owners proposed, waiting for a decision.", no_args_is_help=True
)
app.add_typer(prop_app, name="proposals")
app.add_typer(bookmarks_app, name="bookmarks")
app.add_typer(availability_app, name="availability")
app.add_typer(pricing_app, name="pricing")


def _version(value: bool) -> None:
    if value:
        from crossdock import __version__

        console.print(f"crossdock {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Crossdock: a sync hub for wholesale distributors."""


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the hub file.")] = Path(
        "crossdock.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example hub file."""
    from crossdock.config.example import EXAMPLE_HUB

    if path.exists() and not force:
        raise _fail(FileExistsError(f"{path} exists; use --force to overwrite"))
    path.write_text(EXAMPLE_HUB, encoding="utf-8")
    console.print(f"wrote {path}; edit it, then run `crossdock serve -c {path}`")


@app.command()
def schema(
    entity: Annotated[EntityType | None, typer.Argument(help="One entity; all if omitted.")] = None,
) -> None:
    """Print the canonical model's JSON Schema."""
    from crossdock.model.registry import json_schemas

    schemas = json_schemas()
    doc = schemas[entity.value] if entity else schemas
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")


@app.command()
def sync(config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None) -> None:
    """Pull every source, ingest, deliver every route, once."""
    with _open_hub(config, store) as hub:
        with _progress() as progress:
            summary = hub.pull(on_unit=_unit_progress(progress))
        summary.ingest.add(hub.process_inbox())
        hub.run_steps()
        summary.delivery = hub.deliver()
    console.print_json(
        json.dumps(
            {
                "ingest": summary.ingest.as_dict(),
                "delivery": {
                    k: {"delivered": v.delivered, "parked": v.parked, "skipped": v.skipped}
                    for k, v in summary.delivery.items()
                },
            }
        )
    )


@app.command(name="import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL file.")],
    system: Annotated[str, typer.Option("--system", "-s", help="The files system it comes from.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Bulk-import one file through a files system's mapping, with a progress bar."""
    with _open_hub(config, store) as hub:
        source = hub.connector(system).source()
        reader = getattr(source, "read_file", None)
        if reader is None:
            raise _fail(ValueError(f"system {system!r} is not a files source"))
        unit = reader(file)
        start = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task(file.name, total=unit.total)
            report = hub.ingestor.ingest(unit.items, progress=lambda n: progress.advance(task, n))
        hub.run_steps()  # e.g. imported stock reaches the availability positions
        elapsed = time.perf_counter() - start
    rate = report.received / elapsed if elapsed else 0.0
    console.print_json(
        json.dumps(
            {**report.as_dict(), "seconds": round(elapsed, 3), "records_per_second": round(rate)}
        )
    )
    if report.exceptions:
        err.print(f"{report.exceptions} rows became exceptions: `crossdock exceptions list`")
    taken = report.created + report.updated + report.deleted + report.unchanged + report.duplicates
    if taken == 0:
        raise _fail(
            ValueError(
                f"nothing of {file.name} was imported ({report.received} rows read, "
                f"{report.exceptions} exceptions): check the mapping for system {system}"
            )
        )


@app.command()
def reconcile(
    system: Annotated[str, typer.Argument(help="The system whose snapshot to compare.")],
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            exists=True,
            dir_okay=False,
            help="A full export of a files system (repeatable); else the connector's snapshot.",
        ),
    ] = None,
    partial: Annotated[
        bool, typer.Option(help="The snapshot is not everything: do not report missing records.")
    ] = False,
    heal: Annotated[bool, typer.Option(help="Apply each drift's remedy (audited).")] = False,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Compare a system's snapshot with the hub, field by field; report (and heal) the drift.

    Exits 0 when the system agrees with the hub, 1 when there is drift.
    """
    with _open_hub(config, store) as hub:
        source = hub.connector(system).source()
        if file:
            reader = getattr(source, "read_file", None)
            if reader is None:
                raise _fail(ValueError(f"system {system!r} is not a files system; drop --file"))
            items: Iterable[SourceItem] = (i for f in file for i in reader(f).items)
        else:
            if not isinstance(source, SnapshotSource):
                raise _fail(
                    ValueError(
                        f"system {system!r} cannot take a snapshot of itself; "
                        "give its full export with --file"
                    )
                )
            items = source.snapshot()
        with _progress() as progress:
            progress.add_task(f"comparing {system} with the hub", total=None)
            report = hub.reconcile(system, items, check_missing=not partial)
        doc = report.as_dict()
        if heal and report.drifts:
            doc["healed"] = hub.heal(report, actor=_actor())
    console.print_json(json.dumps(doc, default=str))
    if not report.in_sync:
        raise typer.Exit(1)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _json_out(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n")


def _when(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at else "never"


@app.command()
def status(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Per route: lag, last success, parked; open exceptions; records per entity."""
    with _open_hub(config, store, read_only=True) as hub:
        rows = hub.route_status()
        open_exc = hub.store.exceptions.count()
        counts = hub.store.records.count()
        rules = {r.name for r in hub.config.alerts.rules}
        alerts = [a for n, a in sorted(alert_state.states(hub.store).items()) if n in rules]
        if not as_json:
            print_freshness(hub, console)
    if as_json:
        _json_out(
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
                "records": counts,
                "open_exceptions": open_exc,
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
            _when(r.last_success_at),
            f"{r.parked:,}",
            f"{r.delivered:,}",
            r.circuit,
            r.last_error or "",
        )
    console.print(table)
    listed = ", ".join(f"{entity} {n:,}" for entity, n in sorted(counts.items())) or "none"
    console.print(f"records: {listed}", highlight=False)
    console.print(f"open exceptions: {open_exc:,}", highlight=False)
    for a in alerts:
        mark = "FIRING" if a.firing else "ok"
        console.print(
            f"alert {a.name}: {mark} since {_when(a.since)} ({a.message})", highlight=False
        )


@app.command()
def serve(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    interval: Annotated[float, typer.Option(help="Seconds between sync passes.")] = 2.0,
) -> None:
    """Serve the API and run the sync workers in one process."""
    import uvicorn

    from crossdock.api.app import create_app
    from crossdock.observability import configure_logging
    from crossdock.sync.loop import SyncLoop

    busy = port_in_use(host, port)
    if busy is not None:
        raise _fail(OSError(f"{busy}; another process listens there (choose --port, or stop it)"))
    configure_logging(os.environ.get("CROSSDOCK_LOG_LEVEL", "INFO"))
    hub = _hub(config, store)
    tracing.configure(hub.config.tracing.export, hub.config.tracing.service_name)
    loop = SyncLoop(hub, interval)
    loop.start()
    try:
        api = create_app(hub, warm=True)
        # What startup built lives as long as the process: keep it out of the collector's
        # full passes, which otherwise stop every request for ~150 ms now and then.
        gc.freeze()
        uvicorn.run(api, host=host, port=port, log_config=None)
    finally:
        loop.stop()
        hub.close()


_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _duration(text: str, option: str) -> timedelta:
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter(
            f"{text!r}: write a count and d, h or m (90d, 12h)", param_hint=option
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key.")],
    system: Annotated[
        str | None,
        typer.Option("--system", help="The system the key belongs to: it sends as that system."),
    ] = None,
    role: Annotated[
        str | None, typer.Option("--role", help="A person's key: a role from the hub file.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="Scopes of a key without owner: read, write, operate, ..."),
    ] = None,
    expires_in: Annotated[
        str | None, typer.Option("--expires-in", help="The key stops working after: 90d, 12h.")
    ] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Create an API key; it is shown once and stored hashed."""
    from crossdock.api.keys import create_api_key

    expires = datetime.now(UTC) + _duration(expires_in, "--expires-in") if expires_in else None
    scopes = scope or ([] if system or role else ["read"])
    with _open_hub(config, store) as hub:
        key = create_api_key(
            hub.store,
            name,
            scopes,
            system=system,
            role=role,
            expires_at=expires,
            known_systems=[s.name for s in hub.config.systems],
            known_roles=list(hub.config.access.roles),
        )
    console.print(key, soft_wrap=True, highlight=False)


@keys_app.command("rotate")
def keys_rotate(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (the part after cdk_).")],
    grace: Annotated[
        str, typer.Option("--grace", help="How long the old key keeps working: 24h, 7d.")
    ] = "24h",
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Mint a key's successor (same owner); the old one works on for the grace period."""
    from crossdock.api.keys import rotate_api_key

    with _open_hub(config, store) as hub:
        key, until = rotate_api_key(hub.store, prefix, grace=_duration(grace, "--grace"))
    console.print(key, soft_wrap=True, highlight=False)
    err.print(f"{prefix} keeps working until {_when(until)}")


@keys_app.command("list")
def keys_list(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Every API key: prefix, name, owner, role, last use, expiry (never the key itself)."""
    with _open_hub(config, store, read_only=True) as hub:
        keys = hub.store.keys.listing()
    if as_json:
        _json_out([_key_doc(k) for k in keys])
        return
    table = Table(title="API keys")
    for col in ("prefix", "name", "owner", "role/scopes", "last used", "expires", "revoked"):
        table.add_column(col, no_wrap=True)
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            f"system {k.system}" if k.system else "person",
            k.role or ",".join(k.scopes) or "-",
            _when(k.last_used_at) if k.last_used_at else "never",
            _when(k.expires_at) if k.expires_at else "-",
            _when(k.revoked_at) if k.revoked_at else "-",
        )
    console.print(table)


def _key_doc(k: KeyListing) -> dict[str, object]:
    return {
        "prefix": k.prefix,
        "name": k.name,
        "system": k.system,
        "role": k.role,
        "scopes": list(k.scopes),
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
    }


@app.command()
def prune(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Prune what the hub file's retention says is past its age (serve does it hourly)."""
    with _open_hub(config, store) as hub:
        counts: dict[str, int] = {}

        def progress(kind: str, n: int) -> None:
            counts[kind] = counts.get(kind, 0) + n
            if not as_json:
                err.print(f"{kind}: {counts[kind]} pruned so far")

        report = hub.prune(progress=progress)
    if as_json:
        _json_out({"pruned": report.pruned, "horizon": report.horizon})
        return
    if not report.pruned:
        console.print("nothing past its age")
    for kind, n in report.pruned.items():
        console.print(f"{kind}: {n} pruned")


@app.command()
def lineage(
    entity: Annotated[EntityType, typer.Argument(help="The record's entity type.")],
    record_id: Annotated[str, typer.Argument(help="The record's canonical id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A record's versions: when, from which system, what changed, and the trace id of each."""
    with _open_hub(config, store, read_only=True) as hub:
        if hub.store.records.get(entity, record_id) is None:
            raise _fail(KeyError(f"no {entity.value} record {record_id}"))
        history = hub.store.outbox.history(entity, record_id)
    if as_json:
        _json_out(
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
            _when(ev.time),
            ev.op.value,
            ev.source_system or "-",
            ", ".join(ev.changed),
            tracing.trace_id(ev.traceparent) or "-",
        )
    console.print(table)


@app.command()
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
    with _open_hub(config, store, read_only=True) as hub:
        rows = hub.store.audit.page(
            limit=limit, actor=actor, action=action, target=target, since=since
        )
    if as_json:
        _json_out(
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
            _when(r.at),
            r.actor,
            r.action,
            r.target,
            r.origin or "local",
            json.dumps(r.detail, default=str, ensure_ascii=False)[:200],
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (the part after cdk_).")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Revoke an API key."""
    with _open_hub(config, store) as hub:
        found = hub.store.keys.revoke(prefix)
    if not found:
        raise _fail(KeyError(f"no key with prefix {prefix}"))
    console.print(f"revoked {prefix}")


def _exception_doc(r: ExceptionRow) -> dict[str, object]:
    return {
        "id": r.id,
        "system": r.system,
        "entity_type": r.entity_type,
        "native_id": r.native_id,
        "ref": r.ref,
        "field": r.field,
        "code": r.code,
        "reason": r.reason,
        "status": r.status.value,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "note": r.note,
        "payload": r.payload,
    }


@exc_app.command("list")
def exceptions_list(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    status: Annotated[
        str, typer.Option(help="open, retried, resolved, dismissed or all.")
    ] = "open",
    system: Annotated[str | None, typer.Option(help="Only this system's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Business exceptions, oldest first (open ones unless --status says otherwise)."""
    from crossdock.store import ExceptionStatus

    try:
        wanted = None if status == "all" else ExceptionStatus(status)
    except ValueError:
        raise _fail(
            ValueError(f"--status: {status!r} is not open, retried, resolved, dismissed or all")
        ) from None
    with _open_hub(config, store, read_only=True) as hub:
        rows = hub.store.exceptions.page(status=wanted, limit=limit + 1, system=system)
        more: int | None = 0
        if len(rows) > limit:  # a count only where one query gives it exactly
            more = hub.store.exceptions.count(wanted) - limit if wanted and not system else None
    rows = rows[:limit]
    if as_json:
        _json_out({"items": [_exception_doc(r) for r in rows], "more": more})
        return
    table = Table(title=f"{status} exceptions")
    for col in ("id", "system", "entity", "native id", "field", "code"):
        table.add_column(col, no_wrap=True)
    table.add_column("reason", overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            r.system,
            r.entity_type or "-",
            r.native_id or "-",
            r.field or "-",
            r.code,
            r.reason,
        )
    console.print(table)
    if more != 0:
        how_many = f"{more:,} " if more is not None else ""
        console.print(
            f"... and {how_many}more: raise --limit, or filter with --system", highlight=False
        )


@exc_app.command("show")
def exceptions_show(
    exc_id: Annotated[int, typer.Argument(help="Exception id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One exception whole: what, where, why, and the input it kept."""
    with _open_hub(config, store, read_only=True) as hub:
        row = hub.store.exceptions.get(exc_id)
    if row is None:
        raise _fail(NotFound(f"no exception {exc_id}"))
    doc = _exception_doc(row)
    if as_json:
        _json_out(doc)
        return
    payload = doc.pop("payload")
    for key, value in doc.items():
        console.print(f"{key}: {value if value is not None else '-'}", highlight=False)
    console.print("input kept:", highlight=False)
    console.print_json(json.dumps(payload, default=str) if payload is not None else "null")


@exc_app.command("retry")
def exceptions_retry(
    exc_id: Annotated[int, typer.Argument(help="Exception id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Re-ingest the change an exception kept."""
    with _open_hub(config, store) as hub:
        report = hub.retry_exception(exc_id, actor=_actor())
    console.print_json(json.dumps(report.as_dict()))


@exc_app.command("dismiss")
def exceptions_dismiss(
    exc_id: Annotated[int, typer.Argument(help="Exception id.")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Dismiss an exception (audited)."""
    from crossdock.store import ExceptionStatus

    with _open_hub(config, store) as hub:
        if hub.store.exceptions.get(exc_id) is None:
            raise _fail(KeyError(f"no exception {exc_id}"))
        hub.store.exceptions.set_status(
            exc_id,
            ExceptionStatus.DISMISSED,
            actor=_actor(),
            note=note or None,
        )
    console.print(f"dismissed {exc_id}")


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
    with _open_hub(config, store) as hub:
        when = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        if (from_seq is None) == (when is None):
            raise _fail(ValueError("give exactly one of --from-seq or --since"))
        position = hub.replay(route, from_seq=from_seq, since=when, actor=_actor())
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
    with _open_hub(config, store) as hub:
        report = hub.worker(route).resend(entity_type, record_id, actor=_actor())
    console.print(f"delivered={report.delivered} blocked={report.blocked}")


@parked_app.command("list")
def parked_list(
    route: Annotated[str | None, typer.Option(help="Only this route.")] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Parked deliveries, oldest first."""
    with _open_hub(config, store, read_only=True) as hub:
        rows = hub.store.parked.page(route, limit=1000)
    if as_json:
        _json_out(
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
    with _open_hub(config, store) as hub:
        report = hub.worker(route).retry_parked(record_id, actor=_actor())
    console.print(f"delivered={report.delivered} blocked={report.blocked}")


@parked_app.command("retry-all")
def parked_retry_all(
    route: Annotated[str, typer.Argument(help="Route name.")],
    code: Annotated[str | None, typer.Option(help="Only records parked with this code.")] = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Re-send every parked record of a route (or those with one error code)."""
    with _open_hub(config, store) as hub:
        report = hub.worker(route).retry_all_parked(actor=_actor(), code=code)
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
    with _open_hub(config, store) as hub:
        n = hub.worker(route).skip_parked(record_id, actor=_actor(), note=note or None)
    console.print(f"skipped {n} parked version(s)")


@prop_app.command("list")
def proposals_list(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Pending proposals, oldest first."""
    with _open_hub(config, store, read_only=True) as hub:
        rows = hub.store.proposals.page()
    if as_json:
        _json_out(
            [
                {
                    "id": p.id,
                    "entity_type": p.entity_type.value,
                    "entity_id": p.entity_id,
                    "field": p.field,
                    "proposed_by": p.system,
                    "value": p.value,
                }
                for p in rows
            ]
        )
        return
    table = Table(title="pending proposals")
    for col in ("id", "entity", "record", "field", "proposed by", "value"):
        table.add_column(col)
    for p in rows:
        table.add_row(
            str(p.id), p.entity_type.value, p.entity_id, p.field, p.system, json.dumps(p.value)[:80]
        )
    console.print(table)


def _decide(proposal_id: int, approve: bool, config: Path, store: str | None) -> None:
    from crossdock.sync.proposals import decide_proposal

    with _open_hub(config, store) as hub:
        version = decide_proposal(
            hub.store,
            proposal_id,
            approve=approve,
            actor=_actor(),
        )
    verb = "approved" if approve else "rejected"
    console.print(f"{verb} {proposal_id}" + (f" (record now v{version})" if version else ""))


@prop_app.command("approve")
def proposals_approve(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Apply a proposed value (bypasses ownership; audited)."""
    _decide(proposal_id, True, config, store)


@prop_app.command("reject")
def proposals_reject(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Drop a proposed value (audited)."""
    _decide(proposal_id, False, config, store)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps its files.")
    ] = Path("crossdock-demo"),
    products: Annotated[int, typer.Option(min=10, max=1_000_000)] = 3000,
    customers: Annotated[int, typer.Option(min=5, max=100_000)] = 300,
    port: Annotated[int, typer.Option(help="API port.")] = 8080,
    exit_after_sync: Annotated[
        bool, typer.Option("--exit-after-sync", help="Stop after the first full sync.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed for the sample data.")] = 7,
) -> None:
    """Generate a sample distributor, sync it end to end, then keep serving the API."""
    from crossdock.demo.runner import run_demo

    busy = None if exit_after_sync else port_in_use("127.0.0.1", port)
    if busy is not None:
        raise _fail(OSError(f"{busy}; is another demo serving there? Stop it, or pass --port"))
    try:
        run_demo(
            directory,
            products=products,
            customers=customers,
            port=port,
            exit_after_sync=exit_after_sync,
            seed=seed,
            console=console,
        )
    except CrossdockError as exc:
        raise _fail(exc) from exc


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def _unit_progress(progress: Progress) -> Callable[[str, int | None], Callable[[int], None]]:
    def start(name: str, total: int | None) -> Callable[[int], None]:
        task = progress.add_task(name, total=total)
        return lambda n: progress.advance(task, n)

    return start


guard(app)  # last: every command above, and every sub-app's, fails in one line

__all__ = ["app"]


if __name__ == "__main__":
    app()
