"""`crossdock keys`: create, list and revoke API keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, console, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out, when_text
from crossdock.store.records import KeyListing

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read, write or admin.")] = ["read"],  # noqa: B006
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Create an API key; it is shown once and stored hashed."""
    from crossdock.api.keys import create_api_key

    with open_hub(config, store) as hub:
        key = create_api_key(hub.store, name, scope)
    console.print(key, soft_wrap=True, highlight=False)


@keys_app.command("list")
def keys_list(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Every API key: prefix, name, scopes, created, revoked (never the key itself)."""
    with open_hub(config, store, read_only=True) as hub:
        keys = hub.store.keys.listing()
    if as_json:
        json_out([_key_doc(k) for k in keys])
        return
    table = Table(title="API keys")
    for col in ("prefix", "name", "scopes", "created", "revoked"):
        table.add_column(col, no_wrap=True)
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            ",".join(k.scopes),
            when_text(k.created_at),
            when_text(k.revoked_at) if k.revoked_at else "-",
        )
    console.print(table)


def _key_doc(k: KeyListing) -> dict[str, object]:
    return {
        "prefix": k.prefix,
        "name": k.name,
        "scopes": list(k.scopes),
        "created_at": k.created_at,
        "revoked_at": k.revoked_at,
    }


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (the part after cdk_).")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Revoke an API key."""
    with open_hub(config, store) as hub:
        found = hub.store.keys.revoke(prefix)
    if not found:
        raise fail(KeyError(f"no key with prefix {prefix}"))
    console.print(f"revoked {prefix}")


__all__ = ["keys_app"]
