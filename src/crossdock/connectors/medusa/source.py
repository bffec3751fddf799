"""Medusa as a source: registered customers into ingest, orders into the order intake.

Both kinds are read from the Admin API by ``updated_at`` (at or after the
kind's bookmark less ``overlap_seconds``, oldest first) behind the connector
kit's :class:`~crossdock.connectors.kit.incremental.IncrementalSource`: the
newest ``updated_at`` read becomes the bookmark only in the unit's ``ack``.

* ``customers`` (only those with an account: a guest checkout leaves a
  customer row too) are canonical changes; the hub's pull ingests them and
  acks after the commit, so customer matching links or files them. A
  customer carrying ``metadata.crossdock_account`` is a buyer the hub's
  destination made for an account it already knows: skipped, so the hub's own
  buyer never comes back as a new customer.
* ``orders`` are :class:`~crossdock.connectors.base.ChannelOrder` bodies for
  the order service (:meth:`MedusaSource.pull_orders`); the intake acks the
  unit once every order in it was taken or filed as an exception. A failure
  before that leaves the bookmark where it was and the next pass reads the
  same orders again; intake is idempotent per (channel, order number). An
  order edited in Medusa after intake (an order edit confirmed: its items
  change, its ``updated_at`` moves) is read again and re-submitted: intake
  amends the hub's order, or refuses the amendment (the ERP has it) as a
  business exception naming why. An order cancelled in Medusa is passed on as
  a cancellation (the hub's order of that number is cancelled).

:meth:`MedusaSource.snapshot` (customers) and :meth:`MedusaSource.snapshot_orders`
read everything, with no bookmark, for reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from crossdock.connectors.base import ChannelOrder, OrderUnit, SourceError, SourceItem
from crossdock.connectors.kit.incremental import Bookmarks, IncrementalSource, Read
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaPull, MedusaSettings
from crossdock.connectors.medusa.customers import META_ACCOUNT
from crossdock.connectors.medusa.inbound import (
    CUSTOMER_FIELDS,
    ORDER_FIELDS,
    customer_change,
    order_cancelled,
    order_intake,
    parse_ts,
)
from crossdock.store.connector_state import ConnectorState

Since = datetime | None
_SKIPPED_STATUSES = frozenset({"draft"})
"""Orders intake does not take: a draft is not an order yet."""


def _newest(seen: datetime | None, row: dict[str, Any]) -> datetime | None:
    ts = parse_ts(row.get("updated_at"))
    if ts is None:
        return seen
    return ts if seen is None or ts > seen else seen


class MedusaSource(IncrementalSource[MedusaPull]):
    """What ``settings.pull`` names: customers by :meth:`pull`, orders by :meth:`pull_orders`."""

    def __init__(
        self,
        client: MedusaClient,
        settings: MedusaSettings,
        system: str,
        state: Callable[[], ConnectorState | None],
    ) -> None:
        self.client = client
        self.settings = settings
        super().__init__(
            system,
            lambda: [k for k in settings.pull if k is MedusaPull.CUSTOMERS],
            # the kit's pull reads customers only; orders leave through pull_orders
            lambda _kind, since: self._customers(since),
            Bookmarks(state),
            overlap_seconds=settings.overlap_seconds,
            name_of=lambda kind: kind.value,
        )

    # -- reading ------------------------------------------------------------------------
    def _rows(self, path: str, key: str, since: Since, fields: str, **params: Any) -> list[Any]:
        if since is not None:
            params["updated_at[$gte]"] = since.isoformat()
        return list(
            self.client.list_all(
                path, key, action=f"read {key}", fields=fields, order="updated_at", **params
            )
        )

    def _customers(self, since: Since) -> Read:
        rows = self._rows(
            "/admin/customers", "customers", since, CUSTOMER_FIELDS, has_account="true"
        )
        seen: datetime | None = None
        items: list[SourceItem] = []
        for row in rows:
            seen = _newest(seen, row)
            if (row.get("metadata") or {}).get(META_ACCOUNT):
                continue  # the destination's buyer of a known account, not a new customer
            items.append(customer_change(self.system, row, self.system))
        return Read(items, seen)

    def _orders(self, since: Since) -> tuple[list[ChannelOrder | SourceError], datetime | None]:
        rows = self._rows("/admin/orders", "orders", since, ORDER_FIELDS)
        seen: datetime | None = None
        out: list[ChannelOrder | SourceError] = []
        for row in rows:
            seen = _newest(seen, row)
            if row.get("status") in _SKIPPED_STATUSES:
                continue
            if row.get("status") == "canceled":
                out.append(order_cancelled(self.system, row, self.settings.order_prefix))
                continue
            out.append(order_intake(self.system, row, self.settings.order_prefix))
        return out, seen

    # -- orders -------------------------------------------------------------------------
    def pull_orders(self) -> Iterator[OrderUnit]:
        """The orders changed since the bookmark, as one unit; its ack moves the bookmark."""
        if MedusaPull.ORDERS not in self.settings.pull:
            return
        name = MedusaPull.ORDERS.value
        orders, newest = self._orders(self.since(MedusaPull.ORDERS))
        taken = [o for o in orders if isinstance(o, ChannelOrder)]
        refused = [o for o in orders if isinstance(o, SourceError)]

        def ack() -> None:
            if newest is not None:
                self.bookmarks.set(name, newest)

        yield OrderUnit(f"{self.system}:{name}", taken, ack, refused)

    def snapshot_orders(self) -> list[ChannelOrder | SourceError]:
        """Every order Medusa holds now, mapped for intake; moves no bookmark."""
        return self._orders(None)[0]

    def bookmark(self, kind: MedusaPull) -> datetime | None:
        return self.bookmarks.get(kind.value)


__all__ = ["MedusaSource"]
