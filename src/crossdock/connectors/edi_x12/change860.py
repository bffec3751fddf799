"""860 -> the amended canonical order: the partner's line changes applied to the order the hub has.

The hub's order (what the order service holds for this channel and PO number)
is the base; each POC loop changes one line by its number (POC01): ``AI``
adds it (products and units resolved as for an 850), ``DI`` deletes it,
``QI``/``QD`` set its new ordered quantity (POC03, which must go the way the
code says), ``PC`` its price, ``CA``/``RZ`` any of quantity, unit, price and
product. The result goes to the order intake as an amendment of the same
order number, which takes it only while the ERP does not have the order.
A whole-order cancel (BCH01 ``01``) is not an amendment: the source cancels
the order. What cannot be applied is a :class:`MappingProblem` naming the
segment and element; nothing of the change is taken then.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.mapper import MappingProblem, ProductLookup, _sku, _unit
from crossdock.connectors.edi_x12.po850 import PoLine
from crossdock.connectors.edi_x12.po860 import PoChange, PocLine
from crossdock.errors import ErrorCode
from crossdock.model.order import Order, OrderLine

CANCEL = "01"
"""BCH01: the buyer cancels the whole order."""
_QUANTITY_CODES = {"QI": "increase", "QD": "decrease"}


def _refuse(poc: PocLine, element: str, reason: str) -> MappingProblem:
    return MappingProblem(
        "POC",
        poc.position,
        element,
        f"line {poc.number or '?'}: {reason}",
        ErrorCode.VALIDATION_FAILED,
    )


def _as_po_line(poc: PocLine, quantity: Decimal) -> PoLine:
    return PoLine(poc.position, poc.number, quantity, poc.unit, poc.price, poc.ids)


def amend(change: PoChange, current: Order, settings: EdiSettings, lookup: ProductLookup) -> Order:
    """``current`` with ``change``'s lines applied; MappingProblem when one cannot be."""
    lines = {ln.line_number: ln for ln in current.lines}
    for poc in change.lines:
        if not (poc.number.isdigit() and int(poc.number) > 0):
            raise _refuse(poc, "POC01", "the line number must be a positive number")
        number = int(poc.number)
        if poc.quantity is not None and poc.quantity <= 0 and poc.change != "DI":
            raise _refuse(poc, "POC03", "a quantity must be above zero (DI deletes a line)")
        if poc.price is not None and poc.price < 0:
            raise _refuse(poc, "POC06", "a unit price below zero")
        old = lines.get(number)
        if poc.change == "AI":
            if old is not None:
                raise _refuse(poc, "POC01", f"line {number} is already on the order (AI adds one)")
            if poc.quantity is None:
                raise _refuse(poc, "POC03", "an added line needs its quantity")
            po_line = _as_po_line(poc, poc.quantity)
            lines[number] = OrderLine(
                line_number=number,
                sku=_sku(po_line, settings, lookup),
                quantity=poc.quantity,
                unit=_unit(po_line, settings),
                unit_price=poc.price if settings.partner_prices else None,
            )
            continue
        if old is None:
            raise _refuse(poc, "POC01", f"the order {change.number} has no line {number}")
        if poc.change == "DI":
            del lines[number]
            continue
        quantity = old.quantity if poc.quantity is None else poc.quantity
        way = _QUANTITY_CODES.get(poc.change)
        went = (
            "increase" if quantity > old.quantity else "decrease" if quantity < old.quantity else ""
        )
        if way is not None and went != way:
            raise _refuse(
                poc,
                "POC03",
                f"{poc.change} asks for a quantity {way} but POC03 {quantity} is not one "
                f"from {old.quantity}",
            )
        update: dict[str, object] = {"quantity": quantity}
        if poc.price is not None and settings.partner_prices:
            update["unit_price"] = poc.price
        if poc.change in ("CA", "RZ"):
            po_line = _as_po_line(poc, quantity)
            if poc.unit:
                update["unit"] = _unit(po_line, settings)
            if poc.ids:
                update["sku"] = _sku(po_line, settings, lookup)
        lines[number] = old.model_copy(update=update)
    if not lines:
        raise MappingProblem(
            "BCH",
            2,
            "BCH01",
            f"the change deletes every line of order {change.number}: a whole-order cancel "
            f"is BCH01 {CANCEL}",
            ErrorCode.VALIDATION_FAILED,
        )
    return current.model_copy(update={"lines": [lines[n] for n in sorted(lines)]})


__all__ = ["CANCEL", "amend"]
