"""`crossdock proposals`: values non-owners proposed, approved or rejected (audited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossdock.cli.options import ConfigOpt, StoreOpt, actor, console, open_hub
from crossdock.cli.output import JsonOpt, json_out

prop_app = typer.Typer(
    help="Values non-owners proposed, waiting for a decision.", no_args_is_help=True
)


@prop_app.command("list")
def proposals_list(
    config: ConfigOpt = Path("crossdock.yaml"), store: StoreOpt = None, as_json: JsonOpt = False
) -> None:
    """Pending proposals, oldest first."""
    with open_hub(config, store, read_only=True) as hub:
        rows = hub.store.proposals.page()
    if as_json:
        json_out(
            [
                {
                    "id": p.id,
                    "entity_type": p.entity_type.value,
                    "entity_id": p.entity_id,
                    "field": p.field,
                    "proposed_by": p.system,
                    "value": p.value,
                    "requested_by": p.requested_by,
                }
                for p in rows
            ]
        )
        return
    table = Table(title="pending proposals")
    for col in ("id", "entity", "record", "field", "proposed by", "value"):
        table.add_column(col)
    for p in rows:
        table.add_row(
            str(p.id), p.entity_type.value, p.entity_id, p.field, p.system, json.dumps(p.value)[:80]
        )
    console.print(table)


def _decide(proposal_id: int, approve: bool, config: Path, store: str | None) -> None:
    from crossdock.sync.proposals import decide_proposal

    with open_hub(config, store) as hub:
        version = decide_proposal(
            hub.store,
            proposal_id,
            approve=approve,
            actor=actor(),
            ingestor=hub.ingestor,
        )
    verb = "approved" if approve else "rejected"
    console.print(f"{verb} {proposal_id}" + (f" (record now v{version})" if version else ""))


@prop_app.command("approve")
def proposals_approve(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Apply a proposed value (bypasses ownership; audited)."""
    _decide(proposal_id, True, config, store)


@prop_app.command("reject")
def proposals_reject(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id.")],
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
) -> None:
    """Drop a proposed value (audited)."""
    _decide(proposal_id, False, config, store)


__all__ = ["prop_app"]
