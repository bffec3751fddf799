"""`crossdock demo`: a sample distributor, synced end to end, then served."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.errors import port_in_use
from crossdock.cli.options import console, fail
from crossdock.errors import CrossdockError


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
        raise fail(OSError(f"{busy}; is another demo serving there? Stop it, or pass --port"))
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
        raise fail(exc) from exc


__all__ = ["demo"]
