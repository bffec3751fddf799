"""`crossdock customers`: dedupe the store, train the matcher, and the review queue (audited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, open_app
from crossdock.cli.output import JsonOpt, json_out, progress_bar, unit_progress
from crossdock.store.customer_rows import ReviewRow, ReviewStatus

customers_app = typer.Typer(
    help="Customer master: duplicates found, the review queue, the matcher's training.",
    no_args_is_help=True,
)
TaskArg = Annotated[int, typer.Argument(help="Review task id.", min=1)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept in the audit log).")]


def task_doc(r: ReviewRow) -> dict[str, Any]:
    doc = {name: getattr(r, name) for name in r.__slots__ if name not in ("held", "pair_key")}
    return doc | {"held": len(r.held)}


@customers_app.command("dedupe")
def customers_dedupe(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Match every stored customer against the others (by blocks); file pairs for review."""
    with open_app(config, store) as application, progress_bar() as bar:
        report = application.customers.dedupe(unit_progress(bar))
    doc = {
        "customers": report.customers,
        "blocks": report.blocks,
        "skipped_blocks": report.skipped_blocks,
        "pairs_compared": report.pairs_compared,
        "above_upper": report.above_upper,
        "between_thresholds": report.between,
        "filed": report.filed,
    }
    if as_json:
        json_out(doc)
    else:
        console.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in doc.items()))


@customers_app.command("train")
def customers_train(config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None) -> None:
    """Estimate m and u by EM from the store's blocked pairs (used from now on)."""
    with open_app(config, store) as application:
        trained = application.customers.train()
    console.print(
        f"EM over {trained.pairs} pairs, {trained.iterations} iterations, "
        f"estimated duplicate share {trained.match_share:.4f}"
    )
    json_out(trained.probabilities)


@customers_app.command("reindex")
def customers_reindex(config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None) -> None:
    """Rebuild the blocking-key index from the stored customers (after turning matching on)."""
    with open_app(config, store) as application:
        n = application.customers.reindex()
    console.print(f"{n} blocking keys indexed")


@customers_app.command("review")
def customers_review(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    status: Annotated[ReviewStatus, typer.Option(help="Which tasks.")] = ReviewStatus.PENDING,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Review tasks, oldest first, with each comparison's level and weight."""
    with open_app(config, store, read_only=True) as application:
        rows = application.hub.store.customer_match.reviews(status, limit=limit)
    if as_json:
        json_out({"items": [task_doc(r) for r in rows]})
        return
    table = Table(title=f"customer review ({status.value})")
    for col in ("id", "kind", "record", "other", "weight", "comparisons"):
        table.add_column(col)
    for r in rows:
        other = r.other_id or f"{r.system}:{r.native_id}"
        parts = " ".join(
            f"{c['field']}={c['level']}({c['weight']:+.1f})"
            for c in r.explanation.get("comparisons", [])
        )
        table.add_row(str(r.id), r.kind.value, r.record_id, other, f"{r.weight:.2f}", parts)
    console.print(table)


def _decide(task: int, accept: bool, note: str | None, config: Path, store: str | None) -> None:
    with open_app(config, store) as application:
        done = application.customers.decide(task, accept=accept, actor=actor(), note=note)
    verb = "accepted" if accept else "rejected"
    tail = f"; held changes applied to {done.record_id}" if done.record_id else ""
    console.print(f"{verb} task {task}{tail}")
    if done.applied is not None and done.applied.exceptions:
        console.print(json.dumps({"exceptions": done.applied.exceptions}))


@customers_app.command("accept")
def customers_accept(
    task: TaskArg, note: NoteOpt = None, config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:  # fmt: skip
    """Same customer: link the incoming id to the record (or merge the pair)."""
    _decide(task, True, note, config, store)


@customers_app.command("reject")
def customers_reject(
    task: TaskArg, note: NoteOpt = None, config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:  # fmt: skip
    """Different customers: the incoming one becomes a record of its own; never asked again."""
    _decide(task, False, note, config, store)


RecordArg = Annotated[str, typer.Argument(help="Customer record id.")]


@customers_app.command("merge")
def customers_merge(
    survivor: RecordArg, merged: RecordArg, note: NoteOpt = None,
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Merge MERGED into SURVIVOR now (survivorship rules; destinations told); audited."""
    with open_app(config, store) as application:
        done = application.customers.merge(survivor, merged, actor=actor(), note=note)
    doc = {
        "merge_id": done.merge_id, "survivor_id": done.survivor_id, "merged_id": done.merged_id,
        "version": done.version, "survivorship": done.reasons,
        "links_moved": done.links, "orders_repointed": done.orders,
    }  # fmt: skip
    if as_json:
        json_out(doc)
    else:
        console.print(
            f"merge {done.merge_id}: {merged} merged into {survivor} (v{done.version}); "
            f"{done.links} ids and {done.orders} orders moved"
        )


@customers_app.command("unmerge")
def customers_unmerge(
    merge_id: Annotated[int, typer.Argument(help="Merge id (from merge).", min=1)],
    note: NoteOpt = None, config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None,
) -> None:  # fmt: skip
    """Undo a merge: both records, their ids and orders as they were; audited."""
    with open_app(config, store) as application:
        done = application.customers.unmerge(merge_id, actor=actor(), note=note)
    console.print(f"merge {merge_id} undone: {done.merged_id} and {done.survivor_id} restored")


@customers_app.command("keep-apart")
def customers_keep_apart(
    record: RecordArg, other: RecordArg, note: NoteOpt = None,
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None,
) -> None:  # fmt: skip
    """Two records are different customers: the pair is never filed for review again."""
    with open_app(config, store) as application:
        task = application.customers.keep_apart(record, other, actor=actor(), note=note)
    console.print(f"{record} and {other} kept apart (task {task})")


@customers_app.command("link")
def customers_link(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    native_id: Annotated[str, typer.Argument(help="Its id for the customer.")],
    record: RecordArg, note: NoteOpt = None,
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None,
) -> None:  # fmt: skip
    """SYSTEM's NATIVE_ID is RECORD (a change held for it is applied there); audited."""
    with open_app(config, store) as application:
        done = application.customers.link(system, native_id, record, actor=actor(), note=note)
    console.print(f"{system}:{native_id} linked to {done.record_id}")


__all__ = ["customers_app", "task_doc"]
