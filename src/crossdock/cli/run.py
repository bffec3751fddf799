"""`crossdock sync`, `import` and `reconcile`: moving records through the hub once, by hand."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, err, fail, open_hub
from crossdock.cli.output import progress_bar, unit_progress
from crossdock.connectors.base import (
    FileSource,
    ReadBackDestination,
    SnapshotSource,
    SourceItem,
)
from crossdock.sync.reconcile import ReconcileReport
from crossdock.sync.reconcile_log import ReconcileLog


def sync(config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None) -> None:
    """Pull every source, ingest, deliver every route, once."""
    with open_hub(config, store) as hub:
        with progress_bar() as progress:
            summary = hub.pull(on_unit=unit_progress(progress))
        summary.ingest.add(hub.process_inbox())
        hub.run_steps()
        summary.delivery = hub.deliver()
    console.print_json(
        json.dumps(
            {
                "ingest": summary.ingest.as_dict(),
                "delivery": {
                    k: {"delivered": v.delivered, "parked": v.parked, "skipped": v.skipped}
                    for k, v in summary.delivery.items()
                },
            }
        )
    )


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL file.")],
    system: Annotated[str, typer.Option("--system", "-s", help="The files system it comes from.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Processes that validate rows ahead of the one writer (1: all in this one).",
        ),
    ] = 1,
) -> None:
    """Bulk-import one file through a files system's mapping, with a progress bar.

    ``--workers N`` validates batches in N other processes while this one writes;
    batches commit in file order and each bad row still becomes one exception.
    """
    with open_hub(config, store) as hub:
        source = hub.connector(system).source()
        if not isinstance(source, FileSource):
            raise fail(ValueError(f"system {system!r} is not a files source"))
        unit = source.read_file(file)
        start = time.perf_counter()
        with progress_bar() as progress:
            task = progress.add_task(file.name, total=unit.total)
            report = hub.ingestor.ingest(
                unit.items, progress=lambda n: progress.advance(task, n), workers=workers
            )
        hub.run_steps()  # e.g. imported stock reaches the availability positions
        elapsed = time.perf_counter() - start
    rate = report.received / elapsed if elapsed else 0.0
    console.print_json(
        json.dumps(
            {**report.as_dict(), "seconds": round(elapsed, 3), "records_per_second": round(rate)}
        )
    )
    if report.exceptions:
        err.print(f"{report.exceptions} rows became exceptions: `crossdock exceptions list`")
    taken = report.created + report.updated + report.deleted + report.unchanged + report.duplicates
    if taken == 0:
        raise fail(
            ValueError(
                f"nothing of {file.name} was imported ({report.received} rows read, "
                f"{report.exceptions} exceptions): check the mapping for system {system}"
            )
        )


def reconcile(
    system: Annotated[str, typer.Argument(help="The system whose snapshot to compare.")],
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            exists=True,
            dir_okay=False,
            help="A full export of a files system (repeatable); else the connector's snapshot.",
        ),
    ] = None,
    partial: Annotated[
        bool, typer.Option(help="The snapshot is not everything: do not report missing records.")
    ] = False,
    heal: Annotated[bool, typer.Option(help="Apply each drift's remedy (audited).")] = False,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Compare a system's snapshot with the hub, field by field; report (and heal) the drift.

    A system the hub only writes to (Medusa) is read back by its destination and
    compared with what its routes send. The report is kept as the system's last
    (the console's reconciliation page shows it and can heal it). Exits 0 when
    the system agrees with the hub, 1 when there is drift.
    """
    with open_hub(config, store) as hub:
        connector = hub.connector(system)
        source = connector.source()
        reads_back = not file and isinstance(connector.destination(), ReadBackDestination)
        items: Iterable[SourceItem] | None = None
        if file:
            if not isinstance(source, FileSource):
                raise fail(ValueError(f"system {system!r} is not a files system; drop --file"))
            files = source
            items = (i for f in file for i in files.read_file(f).items)
        elif isinstance(source, SnapshotSource):
            items = source.snapshot()
        elif not reads_back:
            raise fail(
                ValueError(
                    f"system {system!r} cannot take a snapshot of itself; "
                    "give its full export with --file"
                )
            )
        with progress_bar() as progress:
            progress.add_task(f"comparing {system} with the hub", total=None)
            report = (
                hub.reconcile(system, items, check_missing=not partial)
                if items is not None
                else ReconcileReport(system)
            )
            if reads_back:  # a system the hub writes to: its destination reads itself back
                hub.read_back(system, report)
        doc = report.as_dict()
        log = ReconcileLog(hub.store)
        run_id = log.save(report, actor=actor())  # the console shows each system's last report
        if heal and report.drifts:
            log.claim(system, run_id, actor=actor())
            doc["healed"] = hub.heal(report, actor=actor())
            log.record_outcome(system, run_id, doc["healed"])
    console.print_json(json.dumps(doc, default=str))
    if not report.in_sync:
        raise typer.Exit(1)


__all__ = ["import_file", "reconcile", "sync"]
