"""An order's progress back to Medusa: each hub shipment a fulfilment marked shipped, cancellations.

Only orders that came from this Medusa are touched: the order's ``channel``
must be the Medusa system's name, and the Medusa order is the one the
crosswalk names (the delivery's native id), else the one whose id is the
order number, else the one whose display number is (``#12`` or ``12``).

For each shipment the published order carries (see the order engine's
``shipments``: number, carrier, service, tracking numbers and the order lines
with the quantity in each line's unit) the destination makes one Medusa
fulfilment of the same items, tagged ``metadata.crossdock_shipment``, then
marks it shipped with one label per tracking number. Never twice: a
fulfilment with that tag is found before one is made, and one already shipped
is left as it is, so a push repeated after a lost answer or a crash between
the two calls finishes the job instead of fulfilling again. Tracking numbers
a shipment gains after it was marked shipped in Medusa (a second parcel's)
cannot become labels: Medusa takes labels only when a fulfilment ships and
refuses a second shipment of it ("Shipment has already been created", both
``/admin/fulfillments/{id}/shipment`` and the order's route). They go to the
order's ``metadata.crossdock_tracking`` (shipment number → the numbers its
fulfilment lacks), where a storefront or the admin shows them; never a
second fulfilment.

A cancelled order is cancelled in Medusa (Medusa refuses while a fulfilment
stands: that 400 parks the order with Medusa's message). Other statuses need
nothing in Medusa.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.mapper import META_UNIT, handle_for
from crossdock.errors import ErrorCode, PermanentError
from crossdock.model.order import OrderStatus

META_SHIPMENT = "crossdock_shipment"
META_TRACKING = "crossdock_tracking"
ORDER_FIELDS = (
    "id,status,display_id,metadata,*items,items.variant.metadata,*fulfillments,*fulfillments.labels"
)


def labels(tracking_numbers: list[str]) -> list[dict[str, str]]:
    """Medusa labels for tracking numbers (its URLs are required; ``#`` stands for none)."""
    return [{"tracking_number": t, "tracking_url": "#", "label_url": "#"} for t in tracking_numbers]


def item_for(
    items: Sequence[Mapping[str, Any]], sku: str, unit: str | None
) -> Mapping[str, Any] | None:
    """The Medusa line item of an order line: the variant of that SKU in that unit."""
    handle = handle_for(sku)
    for i in items:  # a variant the hub made names its unit
        meta = (i.get("variant") or {}).get("metadata") or {}
        if unit and i.get("product_handle") == handle and meta.get(META_UNIT) == unit:
            return i
    for name in (f"{sku}-{unit}" if unit else None, sku):
        found = next((i for i in items if name and i.get("variant_sku") == name), None)
        if found is not None:
            return found
    return None


class MedusaFulfilment:
    """Pushes the hub's order status (shipments, cancellation) to Medusa orders."""

    def __init__(self, client: MedusaClient, system: str) -> None:
        self.client = client
        self.system = system

    def order_id(self, d: Delivery) -> str | None:
        """The Medusa order of the delivery, or None for an order of another channel."""
        data = d.data
        if data.get("channel") != self.system:
            return None
        number = str(data.get("order_number") or "")
        for candidate in (d.native_id, number):
            if candidate and candidate.startswith("order_"):
                return candidate
        display = number.lstrip("#")
        if display.isdigit():
            rows = self.client.rows(
                "/admin/orders", "orders", action="find an order", q=display, fields="id,display_id"
            )
            for row in rows:
                if str(row.get("display_id")) == display:
                    return str(row["id"])
        raise PermanentError(
            f"order {number} came from {self.system} but Medusa has no order of that id "
            "or display number",
            code=ErrorCode.NOT_FOUND,
        )

    def read(self, oid: str) -> dict[str, Any]:
        order = self.client.get(f"/admin/orders/{oid}", action="read an order", fields=ORDER_FIELDS)
        return dict(order.get("order") or {})

    def push(self, d: Delivery) -> str | None:
        oid = self.order_id(d)
        if oid is None:
            return None
        data = d.data
        order = self.read(oid)
        if data.get("status") == OrderStatus.CANCELLED.value:
            if order.get("status") != "canceled":
                self.client.post(f"/admin/orders/{oid}/cancel", {}, action="cancel an order")
            return oid
        lines = {int(ln["line_number"]): ln for ln in data.get("lines") or []}
        for shipment in data.get("shipments") or []:
            order = self.ship(order, shipment, lines)
        return oid

    def items(
        self,
        order: Mapping[str, Any],
        shipment: Mapping[str, Any],
        lines: Mapping[int, Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """The Medusa items and quantities of a hub shipment's lines."""
        out: dict[str, Decimal] = {}
        for shipped in shipment.get("lines") or []:
            sku = str(shipped["sku"])
            line = lines.get(int(shipped["line_number"])) or {}
            item = item_for(list(order.get("items") or []), sku, line.get("unit"))
            if item is None:
                raise PermanentError(
                    f"shipment {shipment['shipment_number']}: Medusa order {order['id']} has "
                    f"no item for {sku} (line {shipped['line_number']})",
                    code=ErrorCode.MAPPING_FAILED,
                )
            iid = str(item["id"])
            out[iid] = out.get(iid, Decimal(0)) + Decimal(str(shipped["quantity"]))
        return [{"id": iid, "quantity": q} for iid, q in out.items()]

    def ship(
        self,
        order: dict[str, Any],
        shipment: Mapping[str, Any],
        lines: Mapping[int, Mapping[str, Any]],
    ) -> dict[str, Any]:
        """One hub shipment as a shipped Medusa fulfilment (found, else made); the order after."""
        number = str(shipment["shipment_number"])
        items = self.items(order, shipment, lines)
        if not items:
            return order  # a shipment with no lines the hub knows: nothing to fulfil
        oid = str(order["id"])
        found = _fulfilment(order, number)
        if found is None:
            meta = {
                META_SHIPMENT: number,
                "carrier": shipment.get("carrier"),
                "service": shipment.get("service"),
            }
            self.client.post(
                f"/admin/orders/{oid}/fulfillments",
                {"items": items, "metadata": meta},
                action="create a fulfilment",
            )
            order = self.read(oid)
            found = _fulfilment(order, number)
            if found is None:
                raise PermanentError(
                    f"Medusa made no fulfilment for shipment {number} of order {oid}",
                    code=ErrorCode.REJECTED_BY_DESTINATION,
                )
        tracking = [str(t) for t in shipment.get("tracking_numbers") or []]
        if not found.get("shipped_at"):
            self.client.post(
                f"/admin/orders/{oid}/fulfillments/{found['id']}/shipments",
                {"items": items, "labels": labels(tracking)},
                action="mark a fulfilment shipped",
            )
            return self.read(oid)
        return self.late_tracking(order, found, number, tracking)

    def late_tracking(
        self, order: dict[str, Any], found: Mapping[str, Any], number: str, tracking: list[str]
    ) -> dict[str, Any]:
        """Tracking numbers a shipped fulfilment has no label for, into the order's metadata."""
        have = {str(label.get("tracking_number")) for label in found.get("labels") or []}
        late = [t for t in tracking if t not in have]
        meta = dict(order.get("metadata") or {})
        noted = dict(meta.get(META_TRACKING) or {})
        if noted.get(number, []) == late or (not late and number not in noted):
            return order
        if late:
            noted[number] = late
        else:
            noted.pop(number, None)
        oid = str(order["id"])
        self.client.post(
            f"/admin/orders/{oid}",
            {"metadata": {**meta, META_TRACKING: noted}},
            action="add tracking to an order",
        )
        return self.read(oid)


def _fulfilment(order: Mapping[str, Any], number: str) -> Mapping[str, Any] | None:
    """The order's standing fulfilment for a hub shipment number."""
    for f in order.get("fulfillments") or []:
        if (f.get("metadata") or {}).get(META_SHIPMENT) == number and not f.get("canceled_at"):
            return dict(f)
    return None


__all__ = ["META_SHIPMENT", "META_TRACKING", "MedusaFulfilment", "item_for", "labels"]
