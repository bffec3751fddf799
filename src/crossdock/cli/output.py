"""How `crossdock` commands print: JSON for scripts, times for tables, progress bars on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossdock.cli.options import err

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def json_out(doc: object) -> None:
    """``doc`` as indented JSON on stdout (what ``--json`` prints)."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n")


def when_text(at: datetime | None) -> str:
    """A table cell's time: ISO 8601 to the second, or ``never``."""
    return at.isoformat(timespec="seconds") if at else "never"


def progress_bar() -> Progress:
    """Progress bars on stderr, so stdout stays the command's JSON."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def unit_progress(progress: Progress) -> Callable[[str, int | None], Callable[[int], None]]:
    """A bar per pulled unit: what ``Hub.pull(on_unit=...)`` calls as each unit starts."""

    def start(name: str, total: int | None) -> Callable[[int], None]:
        task = progress.add_task(name, total=total)
        return lambda n: progress.advance(task, n)

    return start


__all__ = ["JsonOpt", "json_out", "progress_bar", "unit_progress", "when_text"]
