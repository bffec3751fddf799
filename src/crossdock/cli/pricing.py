"""``crossdock pricing``: a customer's price book to a file or stdout, for channel sync."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.options import DEFAULT_CONFIG, ConfigOpt, StoreOpt, console, open_app
from crossdock.services.pricing import QuoteRequest, book_csv, book_jsonl

pricing_app = typer.Typer(help="Prices: price books for channel sync.", no_args_is_help=True)


@pricing_app.command("book")
def book(
    customer: Annotated[str, typer.Argument(help="Account number (or canonical id).")],
    channel: Annotated[str | None, typer.Option(help="Channel (scopes lists and SKUs).")] = None,
    ship_to: Annotated[str | None, typer.Option(help="Ship-to site code.")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency; default the customer's.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    store: StoreOpt = None,
) -> None:
    """Every sellable SKU's price for one customer/channel, as JSON Lines or CSV."""
    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format must be jsonl or csv")
    with open_app(config, store) as application:
        service = application.pricing
        items = service.book(QuoteRequest(customer, [], ship_to, channel, currency))
        sink = out.open("wb") if out is not None else sys.stdout.buffer
        n = 0
        try:
            if fmt == "csv":
                for chunk in book_csv(items):
                    sink.write(chunk.encode())
                    n += 1
                n -= 1
            else:
                for line in book_jsonl(items):
                    sink.write(line)
                    n += 1
        finally:
            if out is not None:
                sink.close()
            else:
                sink.flush()
    if out is not None:
        console.print(f"wrote {n} SKU(s) to {out}")


__all__ = ["pricing_app"]
