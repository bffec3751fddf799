"""What every `crossdock` command shares: options, consoles, opening the hub, the actor.

The --config/--store options, the consoles, the hub for one command (closed
after it, its errors a clean exit), and who audited actions are recorded as.
The sub-apps (availability, bookmarks, pricing) import these from here rather
than from :mod:`crossdock.cli`, which imports them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdock.errors import CrossdockError
from crossdock.services import attach as attach_services
from crossdock.sync.runtime import Hub, load_checked

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", envvar="CROSSDOCK_CONFIG", help="The hub file.")
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", envvar="CROSSDOCK_STORE_URL", help="Store URL; overrides the file."),
]
DEFAULT_CONFIG = Path("crossdock.yaml")


def fail(exc: Exception) -> typer.Exit:
    """Print the error's message and exit 2 (no traceback)."""
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


def hub_for(config: Path, store: str | None) -> Hub:
    """The hub of a hub file, with the sync steps its services ask for."""
    try:
        hub = Hub.open(load_checked(config), store_url=store)
    except CrossdockError as exc:
        raise fail(exc) from exc
    attach_services(hub)
    return hub


@contextmanager
def open_hub(
    config: Path, store: str | None, *, refused: tuple[type[Exception], ...] = ()
) -> Iterator[Hub]:
    """The hub for one command; closed after it, its errors (and ``refused``) a clean exit."""
    catch: tuple[type[Exception], ...] = (CrossdockError, *refused)
    hub = hub_for(config, store)
    try:
        yield hub
    except catch as exc:
        raise fail(exc) from exc
    finally:
        hub.close()


def actor() -> str:
    """Who an audited CLI action is recorded as."""
    return f"cli:{os.environ.get('USER', 'unknown')}"


__all__ = [
    "DEFAULT_CONFIG",
    "ConfigOpt",
    "StoreOpt",
    "actor",
    "console",
    "err",
    "fail",
    "hub_for",
    "open_hub",
]
