"""`crossdock demo`: generate, sync end to end, summarise, keep serving."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossdock.app import Application
from crossdock.demo.config import SECRET_ENV, demo_hub, demo_hub_document, write_hub_file
from crossdock.demo.generator import generate
from crossdock.demo.receiver import PortalReceiver
from crossdock.store import Store
from crossdock.sync.runtime import Hub, SyncSummary


def run_demo(
    root: Path,
    *,
    products: int,
    customers: int,
    port: int,
    exit_after_sync: bool,
    seed: int,
    console: Console,
) -> SyncSummary:
    """Run the demo; returns the first sync's summary (when it exits after the sync)."""
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    (root / "inbox").mkdir(parents=True)
    secret = (
        os.environ.get(SECRET_ENV) or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )
    os.environ[SECRET_ENV] = secret
    secret_file = _keep_secret(root, secret)

    console.print(f"[bold]Crossdock demo[/bold] in {root}")
    files = generate(root / "inbox", products=products, customers=customers, seed=seed)
    console.print(
        f"ERP export: {files.product_count:,} products, {files.customer_count:,} customers, "
        f"{files.price_list_count:,} price lists, {files.inventory_count:,} stock positions "
        f"({files.bad_rows} rows wrong on purpose)"
    )
    with PortalReceiver(secret) as portal:
        doc = demo_hub_document(root, portal.url)
        write_hub_file(root / "crossdock.yaml", doc)
        application = Application(Hub(demo_hub(root, portal.url), Store.open(doc["store"]["url"])))
        application.attach_steps()
        hub = application.hub
        start = time.perf_counter()
        with Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:

            def on_unit(name: str, total: int | None):  # type: ignore[no-untyped-def]
                task = progress.add_task(f"ingest {name}", total=total)
                return lambda n: progress.advance(task, n)

            summary = hub.pull(on_unit=on_unit)
            task = progress.add_task("stock to availability", total=None)
            hub.run_steps()  # inventory -> stock positions, ATP published back
            progress.update(task, total=1, completed=1)
            task = progress.add_task("deliver", total=len(hub.config.routes))
            summary.delivery = {}
            for route in hub.config.routes:
                summary.delivery[route.name] = hub.worker(route.name).drain()
                progress.advance(task)
        elapsed = time.perf_counter() - start
        _print_summary(console, hub, summary, elapsed, portal)
        if exit_after_sync:
            hub.close()
            return summary
        _serve(console, application, root, port, secret_file)
        return summary


def _keep_secret(root: Path, secret: str) -> Path:
    """Write the portal's secret to a file only its owner can read; the demo prints its path."""
    path = root / "portal-secret.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"export {SECRET_ENV}={secret}\n")
    return path


def _print_summary(
    console: Console, hub: Hub, summary: SyncSummary, elapsed: float, portal: PortalReceiver
) -> None:
    ing = summary.ingest
    table = Table(title="first full sync")
    table.add_column("what")
    table.add_column("count", justify="right")
    for entity, n in sorted(hub.store.records.count().items()):
        table.add_row(f"records: {entity}", f"{n:,}")
    table.add_row("changes received", f"{ing.received:,}")
    table.add_row("events in the outbox", f"{hub.store.outbox.count():,}")
    for name, rep in summary.delivery.items():
        table.add_row(
            f"delivered: {name}",
            f"{rep.delivered:,}" + (f" (+{rep.parked} parked)" if rep.parked else ""),
        )
    table.add_row(
        "portal receiver: applied / duplicates",
        f"{portal.state.applied:,} / {portal.state.duplicates:,}",
    )
    table.add_row("exceptions", f"{ing.exceptions:,}")
    proposals = len(hub.store.proposals.page())
    table.add_row("proposals waiting for a decision", f"{proposals:,}")
    table.add_row("seconds", f"{elapsed:.1f}")
    console.print(table)
    shown = hub.store.exceptions.page(limit=5)
    for exc in shown:
        console.print(f"  exception {exc.id}: ({exc.code}) {exc.reason}", markup=False)
    if ing.exceptions > len(shown):
        console.print(f"  ... and {ing.exceptions - len(shown)} more: crossdock exceptions list")
    if proposals:
        console.print(
            f"  {proposals} values the portal proposed wait for a person (the ERP owns those "
            "fields): crossdock proposals list",
            markup=False,
        )
    console.print(
        f"summary: records_in={ing.received} events={hub.store.outbox.count()} "
        f"deliveries={sum(r.delivered for r in summary.delivery.values())} "
        f"exceptions={ing.exceptions} seconds={elapsed:.1f}"
    )


def _serve(
    console: Console, application: Application, root: Path, port: int, secret_file: Path
) -> None:
    import uvicorn

    from crossdock.api.app import create_app
    from crossdock.api.keys import create_api_key
    from crossdock.observability import configure_logging
    from crossdock.sync.loop import SyncLoop

    hub = application.hub
    key = create_api_key(hub.store, "demo-admin", ["admin"])
    console.print(f"\nAPI on http://127.0.0.1:{port}/v1  (docs: /v1/docs)")
    console.print(f"admin API key: {key}")
    console.print(f"  curl -H 'Authorization: Bearer {key}' http://127.0.0.1:{port}/v1/routes")
    console.print(f"drop more ERP files into {root / 'inbox'}; they sync every 2 s.")
    console.print(
        f"other commands need the portal's webhook secret, kept in {secret_file} "
        f"(readable by you alone): . {secret_file}; crossdock status -c {root / 'crossdock.yaml'}"
    )
    # Our redacting log pipeline, not uvicorn's own handlers.
    configure_logging(os.environ.get("CROSSDOCK_LOG_LEVEL", "WARNING"))
    loop = SyncLoop(hub, 2.0)
    loop.start()
    try:
        uvicorn.run(
            create_app(application),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,
        )
    finally:
        loop.stop()
        application.close()


__all__ = ["run_demo"]
