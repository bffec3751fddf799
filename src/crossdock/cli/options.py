"""What every `crossdock` command shares: options, consoles, opening the hub, the actor.

The --config/--store options, the consoles, the hub for one command (closed
after it, its errors a clean exit), and who audited actions are recorded as.
Every command module of the package imports these from here.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdock.app import Application
from crossdock.cli.errors import explain
from crossdock.errors import CrossdockError
from crossdock.store.engine import sqlite_file
from crossdock.store.write import AUDIT_ORIGIN
from crossdock.sync.runtime import Hub, load_checked

# Output to a file or a pipe is not squeezed into 80 columns: tables keep their numbers
# whole and pasteable commands stay on one line.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
# Errors are one line whatever the terminal's width, so they can be pasted and grepped.
err = Console(stderr=True, soft_wrap=True, highlight=False)

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", envvar="CROSSDOCK_CONFIG", help="The hub file.")
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", envvar="CROSSDOCK_STORE_URL", help="Store URL; overrides the file."),
]
DEFAULT_CONFIG = Path("crossdock.yaml")


def fail(exc: Exception) -> typer.Exit:
    """Print the error as one line (see :func:`~crossdock.cli.errors.explain`); exit 2."""
    line, _ = explain(exc)
    err.print(f"[red]error:[/red] {line}")
    return typer.Exit(2)


def _missing_store(url: str, config: Path) -> str | None:
    """For a read command: why the store cannot be read without creating it, or ``None``."""
    database = sqlite_file(url)
    if database is None or database.exists():
        return None
    return (
        f"there is no store at {database} yet (nothing has been synced): run "
        f"`crossdock sync -c {config}` first, or check store.url / --store"
    )


def application_for(config: Path, store: str | None, *, read_only: bool = False) -> Application:
    """The application of a hub file, with the sync steps its services ask for.

    ``read_only``: a command that only reads must not create a store (or a folder):
    a SQLite file that does not exist is an error instead.
    """
    try:
        hub_config = load_checked(config)
        url = store or hub_config.store.url
        missing = _missing_store(url, config) if read_only else None
        if missing is not None:
            raise fail(FileNotFoundError(missing))
        application = Application.open(hub_config, store_url=store)
    except CrossdockError as exc:
        raise fail(exc) from exc
    application.attach_steps()
    return application


@contextmanager
def open_app(
    config: Path,
    store: str | None,
    *,
    refused: tuple[type[Exception], ...] = (),
    read_only: bool = False,
) -> Iterator[Application]:
    """The application for one command, closed after it; its errors (and ``refused``) exit 2."""
    catch: tuple[type[Exception], ...] = (CrossdockError, *refused)
    AUDIT_ORIGIN.set(f"cli {socket.gethostname()}")
    application = application_for(config, store, read_only=read_only)
    try:
        yield application
    except catch as exc:
        raise fail(exc) from exc
    finally:
        application.close()


@contextmanager
def open_hub(
    config: Path,
    store: str | None,
    *,
    refused: tuple[type[Exception], ...] = (),
    read_only: bool = False,
) -> Iterator[Hub]:
    """The hub of :func:`open_app`, for the commands that need no service."""
    with open_app(config, store, refused=refused, read_only=read_only) as application:
        yield application.hub


def actor() -> str:
    """Who an audited CLI action is recorded as."""
    return f"cli:{os.environ.get('USER', 'unknown')}"


__all__ = [
    "DEFAULT_CONFIG",
    "ConfigOpt",
    "StoreOpt",
    "actor",
    "application_for",
    "console",
    "err",
    "fail",
    "open_app",
    "open_hub",
]
