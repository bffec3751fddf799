"""The availability tables behind one repository: stock positions, inbound, reservations, feeds.

Reads are :class:`StockStore`'s (``store.stock``); writes happen in a
:class:`StockTx` opened by ``store.stock.write()``. The no-oversell guarantee
is :meth:`StockTx.reserve` (see :mod:`.positions`).
"""

from crossdock.store.availability.reads import StockStore
from crossdock.store.availability.rows import (
    ATP_SQL,
    DriftRow,
    InboundRow,
    PositionRow,
    ReservationRow,
    ReservationStatus,
)
from crossdock.store.availability.tx import StockTx, WriteSession

__all__ = [
    "ATP_SQL",
    "DriftRow",
    "InboundRow",
    "PositionRow",
    "ReservationRow",
    "ReservationStatus",
    "StockStore",
    "StockTx",
    "WriteSession",
]
