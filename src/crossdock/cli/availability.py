"""`crossdock availability ...`: ATP, sourcing, reservations and feeds from the command line.

The CLI equivalents of ``/v1/availability`` and ``/v1/reservations``; every
command prints one JSON document (quantities as decimal strings) and exits 2
with the error's message when the hub refuses the request.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from crossdock.app import Application
from crossdock.cli.options import DEFAULT_CONFIG, ConfigOpt, StoreOpt, console, open_app
from crossdock.services.availability import (
    AvailabilityService,
    ErpSnapshot,
    EventKind,
    ReserveRequest,
    SourceRequest,
    WmsEvent,
    from_units,
)

availability_app = typer.Typer(
    help="Available to promise, sourcing, reservations, WMS/ERP feeds.", no_args_is_help=True
)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _print(doc: Any) -> None:
    console.print_json(json.dumps(_plain(doc)))


@contextmanager
def _service(config: Path, store: str | None) -> Iterator[AvailabilityService]:
    with open_app(config, store, refused=(ValidationError,)) as application:
        yield application.availability


def print_freshness(application: Application, out: Console) -> None:
    """The per-location freshness lines of ``crossdock status``."""
    fresh = application.availability.freshness()
    if not fresh:
        return
    now = datetime.now().astimezone()
    parts = [
        f"{loc} {(now - at).total_seconds():.0f}s" if at else f"{loc} never"
        for loc, at in fresh.items()
    ]
    out.print("WMS freshness (since last event): " + ", ".join(parts))


@availability_app.command("show")
def show(
    skus: Annotated[list[str], typer.Argument(help="One or more SKUs.")],
    location: Annotated[list[str] | None, typer.Option(help="Only these locations.")] = None,
    channel: Annotated[str | None, typer.Option(help="As this channel sees it.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Project to this date (ISO).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """ATP per SKU x location with its buckets (and per channel, and by date)."""
    with _service(config, store) as svc:
        when = date.fromisoformat(on) if on else None
        _print(svc.availability(skus, locations=location or (), channel=channel, on=when))


@availability_app.command("source")
def source(
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY, one per order line.")],
    region: Annotated[str | None, typer.Option(help="Ship-to region or zone.")] = None,
    channel: Annotated[str | None, typer.Option(help="Sales channel.")] = None,
    split: Annotated[bool | None, typer.Option(help="Override the split rule.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """A sourcing plan for order lines and a ship-to region (reserves nothing)."""
    with _service(config, store) as svc:
        parsed = []
        for i, text in enumerate(lines):
            sku, _, qty = text.partition("=")
            parsed.append({"line": str(i + 1), "sku": sku, "quantity": qty or "1"})
        req = SourceRequest.model_validate(
            {"lines": parsed, "ship_to": {"region": region}, "channel": channel, "split": split}
        )
        _print(svc.source(req))


@availability_app.command("reserve")
def reserve(
    sku: Annotated[str, typer.Argument()],
    location: Annotated[str, typer.Argument()],
    quantity: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Option("--key", help="Idempotency key.")],
    channel: Annotated[str | None, typer.Option()] = None,
    ttl: Annotated[
        int | None, typer.Option(help="Seconds; the hub file's default if omitted.")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Reserve units of a SKU at a location (idempotent by key)."""
    with _service(config, store) as svc:
        req = ReserveRequest.model_validate(
            {
                "idempotency_key": key,
                "sku": sku,
                "location": location,
                "quantity": quantity,
                "channel": channel,
                "ttl_seconds": ttl,
            }
        )
        _print(svc.reservations.reserve(req))


@availability_app.command("confirm")
def confirm(
    reservation: Annotated[str, typer.Argument(help="Reservation id.")],
    order: Annotated[str | None, typer.Option(help="The posted order's reference.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Confirm a reservation: its units become an allocation."""
    with _service(config, store) as svc:
        _print(svc.reservations.confirm(reservation, order))


@availability_app.command("release")
def release(
    reservation: Annotated[str, typer.Argument(help="Reservation id.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Release a held reservation: its units go back."""
    with _service(config, store) as svc:
        _print(svc.reservations.release(reservation))


@availability_app.command("sweep")
def sweep(config: ConfigOpt = DEFAULT_CONFIG, store: StoreOpt = None) -> None:
    """Expire overdue reservations and give their units back."""
    with _service(config, store) as svc:
        _print({"expired": svc.reservations.sweep()})


@availability_app.command("event")
def event(
    kind: Annotated[EventKind, typer.Argument()],
    sku: Annotated[str, typer.Argument()],
    location: Annotated[str, typer.Argument()],
    quantity: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Option("--key", help="Idempotency key.")],
    reference: Annotated[str | None, typer.Option(help="Inbound reference received.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Apply one WMS inventory event."""
    with _service(config, store) as svc:
        ev = WmsEvent.model_validate(
            {
                "idempotency_key": key,
                "kind": kind,
                "sku": sku,
                "location": location,
                "quantity": quantity,
                "reference": reference,
            }
        )
        res = svc.feeds.apply_wms_event(ev)
        _print({"duplicate": res.duplicate, "position": res.position})


@availability_app.command("snapshot")
def snapshot(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Snapshot JSON.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Apply an ERP snapshot (``{"as_of": ..., "items": [...]}``) and print the reconciliation."""
    with _service(config, store) as svc:
        doc = json.loads(file.read_text(encoding="utf-8"), parse_float=str)
        _print(svc.feeds.apply_erp_snapshot(ErpSnapshot.model_validate(doc)))


@availability_app.command("drift")
def drift(
    sku: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Drift between ERP snapshots and the event-fed state, newest first."""
    with _service(config, store) as svc:
        rows = svc.stock.drift(sku=sku, location=location)
        _print(
            [
                {
                    **_plain(r),
                    **{
                        k: format(from_units(getattr(r, k)), "f")
                        for k in ("snapshot_on_hand", "event_on_hand", "in_flight", "drift")
                    },
                }
                for r in rows
            ]
        )


@availability_app.command("freshness")
def freshness(config: ConfigOpt = DEFAULT_CONFIG, store: StoreOpt = None) -> None:
    """Per location: the time of the last WMS event."""
    with _service(config, store) as svc:
        _print(svc.freshness())


__all__ = ["availability_app", "print_freshness"]
