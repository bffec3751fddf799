"""`crossdock customers onboarding`: where onboardings stand; start, approve, retry (audited).

Each start, approval and retry is a timeline entry and an audit row naming the person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, open_app
from crossdock.cli.output import JsonOpt, json_out
from crossdock.services.customers.onboarding import Standing
from crossdock.store.onboarding_rows import OnboardingRow, OnboardingStatus

onboarding_app = typer.Typer(
    help="New-account onboarding: each step, what waits for a person, approve and retry.",
    no_args_is_help=True,
)
IdArg = Annotated[int, typer.Argument(help="Onboarding id (see list).", min=1)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept in the timeline).")]


def row_doc(r: OnboardingRow) -> dict[str, Any]:
    return {name: getattr(r, name) for name in r.__slots__ if name != "version"}


def standing_doc(st: Standing) -> dict[str, Any]:
    return row_doc(st.row) | {
        "timeline": [{n: getattr(e, n) for n in e.__slots__ if n != "seq"} for e in st.timeline]
    }


def _print(st: Standing) -> None:
    r = st.row
    console.print(f"onboarding {r.id} of {r.customer_id} (from {r.source_system}): "
                  f"{r.step.value}, {r.status.value}")  # fmt: skip
    if r.reason:
        console.print(f"waiting: {r.reason}")
    for e in st.timeline:
        console.print(f"  {e.at:%Y-%m-%d %H:%M:%S} {e.step.value:<10} {e.outcome.value:<8} "
                      f"{e.detail} ({e.actor})")  # fmt: skip


@onboarding_app.command("list")
def onboarding_list(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    status: Annotated[OnboardingStatus | None, typer.Option(help="Only these.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Onboardings, oldest first: the step each is at and why it waits."""
    with open_app(config, store, read_only=True) as application:
        rows = application.hub.store.onboarding.listing(status, limit=limit)
    if as_json:
        json_out({"items": [row_doc(r) for r in rows]})
        return
    table = Table(title="customer onboarding")
    for col in ("id", "customer", "from", "step", "status", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.customer_id, r.source_system, r.step.value, r.status.value,
                      r.reason or "")  # fmt: skip
    console.print(table)


@onboarding_app.command("show")
def onboarding_show(
    onboarding_id: IdArg,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One onboarding with its timeline."""
    with open_app(config, store, read_only=True) as application:
        st = application.onboarding.standing(onboarding_id)
    if as_json:
        json_out(standing_doc(st))
    else:
        _print(st)


@onboarding_app.command("start")
def onboarding_start(
    customer_id: Annotated[str, typer.Argument(help="The customer's canonical id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Start onboarding a customer by hand (no account number yet; audited)."""
    with open_app(config, store) as application:
        st = application.onboarding.start(customer_id, actor())
    _print(st)


@onboarding_app.command("approve")
def onboarding_approve(
    onboarding_id: IdArg,
    note: NoteOpt = None,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Approve a waiting duplicate check (it is a new customer) or credit application."""
    with open_app(config, store) as application:
        application.onboarding.approve(onboarding_id, actor(), note)
        st = application.onboarding.standing(onboarding_id)
    _print(st)


@onboarding_app.command("retry")
def onboarding_retry(
    onboarding_id: IdArg,
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Do a waiting step again, after the customer's data or the hub file's rules were fixed."""
    with open_app(config, store) as application:
        application.onboarding.retry(onboarding_id, actor())
        st = application.onboarding.standing(onboarding_id)
    _print(st)


__all__ = ["onboarding_app"]
