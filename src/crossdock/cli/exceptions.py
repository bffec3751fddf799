"""`crossdock exceptions`: business exceptions listed, shown, retried, dismissed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out
from crossdock.errors import NotFound
from crossdock.store.records import ExceptionRow

exc_app = typer.Typer(help="Business exceptions.", no_args_is_help=True)


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
        raise fail(
            ValueError(f"--status: {status!r} is not open, retried, resolved, dismissed or all")
        ) from None
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.exceptions.page(status=wanted, limit=limit + 1, system=system)
        more: int | None = 0
        if len(rows) > limit:  # a count only where one query gives it exactly
            more = hub.store.exceptions.count(wanted) - limit if wanted and not system else None
    rows = rows[:limit]
    if as_json:
        json_out({"items": [_exception_doc(r) for r in rows], "more": more})
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
    with open_hub(config, store, read_only=True) as hub:
        row = hub.store.exceptions.get(exc_id)
    if row is None:
        raise fail(NotFound(f"no exception {exc_id}"))
    doc = _exception_doc(row)
    if as_json:
        json_out(doc)
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
    with open_hub(config, store) as hub:
        report = hub.retry_exception(exc_id, actor=actor())
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

    with open_hub(config, store) as hub:
        if hub.store.exceptions.get(exc_id) is None:
            raise fail(KeyError(f"no exception {exc_id}"))
        hub.store.exceptions.set_status(
            exc_id,
            ExceptionStatus.DISMISSED,
            actor=actor(),
            note=note or None,
        )
    console.print(f"dismissed {exc_id}")


__all__ = ["exc_app"]
