"""`crossdock serve`: the API and the sync workers in one process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from crossdock.cli.errors import port_in_use
from crossdock.cli.options import ConfigOpt, StoreOpt, application_for, fail


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
    from crossdock.observability import configure_logging, tracing
    from crossdock.sync.loop import SyncLoop

    busy = port_in_use(host, port)
    if busy is not None:
        raise fail(OSError(f"{busy}; another process listens there (choose --port, or stop it)"))
    configure_logging(os.environ.get("CROSSDOCK_LOG_LEVEL", "INFO"))
    application = application_for(config, store)
    tracing_config = application.hub.config.tracing
    tracing.configure(tracing_config.export, tracing_config.service_name)
    loop = SyncLoop(application.hub, interval)
    loop.start()
    try:
        api = create_app(application, warm=True)
        application.freeze()  # what startup built lives as long as the process
        uvicorn.run(api, host=host, port=port, log_config=None)
    finally:
        loop.stop()
        application.close()


__all__ = ["serve"]
