"""`crossdock edi`: X12 files shown readably, control-number gaps, groups sent and their 997s."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, console, fail, open_hub
from crossdock.cli.output import JsonOpt, json_out

edi_app = typer.Typer(help="EDI (X12) with trading partners.", no_args_is_help=True)


@edi_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="An X12 file (any separators).", exists=True)],
) -> None:
    """Render an X12 file: segment and element names, codes, the 997 judgment, the order."""
    from crossdock.connectors.edi_x12.render import render
    from crossdock.connectors.kit.drop_folder import UnsafeEntry, read_regular
    from crossdock.errors import InvalidInput

    try:
        text = render(read_regular(file, follow_symlinks=True).data)
    except (InvalidInput, UnsafeEntry, OSError) as exc:
        raise fail(exc) from None
    typer.echo(text, nl=False)


@edi_app.command("gaps")
def gaps(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    system: Annotated[str | None, typer.Option(help="Only this partner's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Control numbers handed out that no written file carries (allocated or void)."""
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.edi.gaps(system)
    if as_json:
        json_out(
            [
                {
                    "system": r.partner,
                    "kind": r.kind.value,
                    "number": r.number,
                    "state": r.state.value,
                    "ref": r.ref,
                    "allocated_at": r.allocated_at,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        console.print("no gaps: every control number handed out is in a written file")
        return
    table = Table("system", "kind", "number", "state", "for", "allocated at")
    for r in rows:
        table.add_row(
            r.partner, r.kind.value, str(r.number), r.state.value, r.ref, str(r.allocated_at)
        )
    console.print(table)


@edi_app.command("sent")
def sent(
    system: Annotated[str, typer.Argument(help="The trading partner (a system name).")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Groups sent to a partner, what each carried, and its 997 (or when it is due)."""
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.edi.sent_groups(system)
    if as_json:
        json_out(
            [
                {
                    "group": g.gs_control,
                    "interchange": g.isa_control,
                    "file": g.file,
                    "sets": g.sets,
                    "sent_at": g.sent_at,
                    "due_at": g.due_at,
                    "ack": g.ack,
                    "acked_at": g.acked_at,
                    "ack_detail": g.ack_detail,
                }
                for g in rows
            ]
        )
        return
    table = Table("group", "file", "sets", "sent at", "997", "due / answered")
    for g in rows:
        table.add_row(
            str(g.gs_control),
            g.file,
            ", ".join(f"{st} {what}" for st, what in g.sets.items()),
            str(g.sent_at),
            g.ack or "none yet",
            str(g.acked_at or g.due_at),
        )
    console.print(table)


__all__ = ["edi_app"]
