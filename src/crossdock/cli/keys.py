"""`crossdock keys`: create (for a system, a role, or with scopes), rotate, list and revoke."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, console, err, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out, when_text
from crossdock.store.records import KeyListing

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def duration(text: str, option: str) -> timedelta:
    """``90d``, ``12h`` or ``30m`` as a span of time; a clear error otherwise."""
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

    expires = datetime.now(UTC) + duration(expires_in, "--expires-in") if expires_in else None
    scopes = scope or ([] if system or role else ["read"])
    with open_hub(config, store) as hub:
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

    with open_hub(config, store) as hub:
        key, until = rotate_api_key(hub.store, prefix, grace=duration(grace, "--grace"))
    console.print(key, soft_wrap=True, highlight=False)
    err.print(f"{prefix} keeps working until {when_text(until)}")


@keys_app.command("list")
def keys_list(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Every API key: prefix, name, owner, role, last use, expiry (never the key itself)."""
    with open_hub(config, store, read_only=True) as hub:
        keys = hub.store.keys.listing()
    if as_json:
        json_out([_key_doc(k) for k in keys])
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
            when_text(k.last_used_at) if k.last_used_at else "never",
            when_text(k.expires_at) if k.expires_at else "-",
            when_text(k.revoked_at) if k.revoked_at else "-",
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


__all__ = ["duration", "keys_app"]
