"""The `crossdock` command: the app, its root options, and every command group in order.

Each command group lives in a module of its own (:mod:`.run`, :mod:`.keys`,
:mod:`.availability` ...); this module puts them together, in the order
``crossdock --help`` lists them, and guards them all last.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.availability import availability_app
from crossdock.cli.bookmarks import bookmarks_app
from crossdock.cli.customers import customers_app
from crossdock.cli.demo import demo
from crossdock.cli.edi import edi_app
from crossdock.cli.errors import guard
from crossdock.cli.exceptions import exc_app
from crossdock.cli.history import audit, lineage, prune
from crossdock.cli.keys import keys_app
from crossdock.cli.onboarding import onboarding_app
from crossdock.cli.options import console, fail
from crossdock.cli.orders import orders_app
from crossdock.cli.pricing import pricing_app
from crossdock.cli.proposals import prop_app
from crossdock.cli.routes import parked_app, routes_app
from crossdock.cli.run import import_file, reconcile, sync
from crossdock.cli.serve import serve
from crossdock.cli.status import status
from crossdock.model.base import EntityType

app = typer.Typer(
    name="crossdock",
    help="Crossdock: a sync hub for wholesale distributors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
        raise fail(FileExistsError(f"{path} exists; use --force to overwrite"))
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


app.command()(sync)
app.command(name="import")(import_file)
app.command()(reconcile)
app.command()(status)
app.command()(serve)
app.command()(demo)
app.command()(audit)
app.command()(lineage)
app.command()(prune)
app.add_typer(keys_app, name="keys")
app.add_typer(exc_app, name="exceptions")
app.add_typer(routes_app, name="routes")
app.add_typer(parked_app, name="parked")
app.add_typer(prop_app, name="proposals")
app.add_typer(bookmarks_app, name="bookmarks")
app.add_typer(availability_app, name="availability")
app.add_typer(pricing_app, name="pricing")
app.add_typer(orders_app, name="orders")
app.add_typer(edi_app, name="edi")
customers_app.add_typer(onboarding_app, name="onboarding")
app.add_typer(customers_app, name="customers")

guard(app)  # last: every command above, and every sub-app's, fails in one line

__all__ = ["app"]
