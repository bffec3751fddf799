"""A hub worker process that stalls right after Tryton created a sale (for the kill test).

Run as ``python push_worker.py <hub file>``. It opens the hub like any worker
and delivers the orders route, but its Tryton client sleeps for a minute once
``sale.sale.create`` has answered: the moment between Tryton committing the
sale and the hub recording its id, held open so that the test can SIGKILL the
process there. The stall lives here, in the test, not in the connector.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from crossdock.connectors.tryton import TrytonConnector
from crossdock.sync.runtime import Hub, load_checked


def main(path: str) -> None:
    hub = Hub.open(load_checked(path))
    conn = hub.connector("tryton")
    assert isinstance(conn, TrytonConnector)
    client = conn.client
    real = client.call

    def stalling(method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        result = real(method, *params, context=context)
        if method == "model.sale.sale.create":
            print(f"created {result}", flush=True)
            time.sleep(60)
        return result

    client.call = stalling  # type: ignore[method-assign]
    hub.deliver(["orders-to-tryton"])
    hub.close()


if __name__ == "__main__":
    main(sys.argv[1])
