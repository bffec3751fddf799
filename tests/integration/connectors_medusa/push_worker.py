"""A hub worker process pushing the catalog to Medusa, for the kill test to SIGKILL mid-push.

Run as ``python push_worker.py <hub file>``: it opens the hub like any worker
and delivers the products route, then the stock route. Nothing in it stalls or
differs from a worker's normal path: the test kills it whenever Medusa shows
part of the catalog.
"""

from __future__ import annotations

import sys

from crossdock.sync.runtime import Hub, load_checked


def main(path: str) -> None:
    hub = Hub.open(load_checked(path))
    try:
        hub.deliver(["products-to-shop"])
        hub.deliver(["stock-to-shop"])
    finally:
        hub.close()


if __name__ == "__main__":
    main(sys.argv[1])
