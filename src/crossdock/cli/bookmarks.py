"""`crossdock bookmarks`: what pull sources have read up to, and forgetting it.

A source that pulls "changes since" (the ``tryton`` connector) keeps one
bookmark per kind in the store. ``reset`` forgets them (audited), so the next
``crossdock sync`` reads the system in full: a snapshot on demand, after
which ingest keeps only what differs.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import DEFAULT_CONFIG, ConfigOpt, StoreOpt, actor, console, open_hub
from crossdock.store.connector_state import ConnectorState, systems_with_state

bookmarks_app = typer.Typer(help="Pull sources' bookmarks.", no_args_is_help=True)


@bookmarks_app.command("list")
def bookmarks_list(
    system: Annotated[str | None, typer.Option(help="Only this system.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every bookmark, per system."""
    with open_hub(config, store, read_only=True) as hub:
        names = [system] if system else systems_with_state(hub.store)
        rows = [
            (n, k, v) for n in names for k, v in sorted(ConnectorState(hub.store, n).all().items())
        ]
    if as_json:
        doc = [{"system": n, "key": k, "value": v} for n, k, v in rows]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    table = Table(title="bookmarks")
    for col in ("system", "key", "value"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@bookmarks_app.command("reset")
def bookmarks_reset(
    system: Annotated[str, typer.Argument(help="The system whose bookmarks to forget.")],
    key: Annotated[
        str | None, typer.Option(help="Only this bookmark, e.g. since:products.")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Forget bookmarks: the next sync pulls the system in full."""
    with open_hub(config, store) as hub:
        hub.connector(system)  # an unknown system is an error, not a silent no-op
        n = ConnectorState(hub.store, system).reset(actor=actor(), key=key)
    console.print(f"reset={n}")


__all__ = ["bookmarks_app"]
