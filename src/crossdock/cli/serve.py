"""`crossdock serve`: the API and the sync workers in one process."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.errors import port_in_use
from crossdock.cli.options import ConfigOpt, StoreOpt, fail, hub_for


def serve(
    config: ConfigOpt = Path("crossdock.yaml"),
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    interval: Annotated[float, typer.Option(help="Seconds between sync passes.")] = 2.0,
) -> None:
    """Serve the API and run the sync workers in one process."""
    import uvicorn

    from crossdock.api.app import create_app
    from crossdock.observability import configure_logging
    from crossdock.sync.loop import SyncLoop

    busy = port_in_use(host, port)
    if busy is not None:
        raise fail(OSError(f"{busy}; another process listens there (choose --port, or stop it)"))
    configure_logging(os.environ.get("CROSSDOCK_LOG_LEVEL", "INFO"))
    hub = hub_for(config, store)
    loop = SyncLoop(hub, interval)
    loop.start()
    try:
        api = create_app(hub, warm=True)
        # What startup built lives as long as the process: keep it out of the collector's
        # full passes, which otherwise stop every request for ~150 ms now and then.
        gc.freeze()
        uvicorn.run(api, host=host, port=port, log_config=None)
    finally:
        loop.stop()
        hub.close()


__all__ = ["serve"]
