"""The outbound side of a trading partner: canonical changes -> 855, 856, 810, 846 files.

A route from the hub to the partner delivers the partner's orders (855, once the order is
confirmed or cancelled), shipments (856, once shipped), invoices (810, once
open) and inventory (846, the ATP the availability publisher sends). Each
record is sent once: its document is recorded per entity (``out:<type>:<id>``)
and a later version of the entity is reported delivered with the first
document's reference. An order is the exception: one 855 per revision and
status (``out:order:<id>:<revision>:<status>``), so an amendment or a
cancellation after the order was acknowledged is answered by a replacement
855 (see :meth:`EdiDestination._acknowledge`).

One document is one interchange with one group and one set, written like the
997s (see :mod:`.source`, step 5), so a crash never costs a number twice nor a
document:

1. A group already recorded as sent for the entity: nothing is written.
2. Numbers still ``allocated`` for it (a crash came after the allocation):
   when the file under them is in ``outbound/``, it is recorded as sent;
   when not, the numbers are marked ``void`` (a visible gap).
3. New ISA/GS/ST numbers are allocated (own committed transaction), the file
   is written atomically, then one transaction marks them ``used`` and
   records the sent group (GS06, its sets, the 997 deadline).

The delivery is acknowledged to the engine only after step 3 (or 1/2), so a
crash anywhere repeats the delivery, which lands in step 1 or 2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.edi_x12 import doc810, doc846, doc855, doc856
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.grammar import grammar
from crossdock.connectors.edi_x12.lookup import StoreLookup
from crossdock.connectors.edi_x12.outfmt import PartnerCodes
from crossdock.connectors.edi_x12.writer import Fields, OutGroup, OutSet, Writer
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store.edi_rows import ControlKind, ControlState, SentGroup
from crossdock.store.facade import Store
from crossdock.store.order_rows import OrderState

_SENDS_855 = frozenset({"confirmed", "cancelled"})
_UNDECIDED = frozenset({OrderState.RECEIVED, OrderState.ON_HOLD})
_SENDS_856 = frozenset({"shipped", "delivered", None})
_SENDS_810 = frozenset({"open", "overdue", "partially_paid", None})


class EdiDestination:
    """Writes the partner's outbound documents into its mailbox (module docstring)."""

    def __init__(self, system: str, settings: EdiSettings, mailbox: Mailbox, store: Store) -> None:
        self.system = system
        self.settings = settings
        self.mailbox = mailbox
        self.store = store
        self.writer = Writer(settings.envelope())
        self.lookup = StoreLookup(store, system)

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        stock: list[Delivery] = []
        for d in batch:
            if d.op is ChangeOp.DELETE:
                results.append(_done(d, "deleted: no document"))
            elif d.entity_type is EntityType.INVENTORY:
                stock.append(d)
            else:
                results.append(self._one(d))
        if stock:
            results += self._stock(stock)
        return results

    # -- documents --------------------------------------------------------------------------
    def _one(self, d: Delivery) -> DeliveryResult:
        now = datetime.now(UTC)
        status = d.data.get("status")
        skus = [str(x.get("sku")) for x in d.data.get("lines") or [] if x.get("sku")]
        codes = self._codes(skus)
        code: str
        body: list[Fields]
        if not self._partners(d):
            return _done(d, f"not {self.settings.customer}'s: no document")
        if d.entity_type is EntityType.ORDER and status in _SENDS_855:
            return self._acknowledge(d, str(status), codes, now)
        if d.entity_type is EntityType.SHIPMENT and status in _SENDS_856:
            code, body = "856", doc856.body(d.data, codes, now)
        elif d.entity_type is EntityType.INVOICE and status in _SENDS_810:
            code, body = "810", doc810.body(d.data, codes, now.date())
        else:
            return _done(d, f"no document for a {d.entity_type.value} in status {status}")
        isa = self.send(f"out:{d.entity_type.value}:{d.entity_id}", code, body, d.entity_id)
        return _done(d, f"{code} {isa:09d}")

    def _acknowledge(
        self, d: Delivery, status: str, codes: PartnerCodes, now: datetime
    ) -> DeliveryResult:
        """The order's 855: its first, or one replacing the last when the decision changed.

        The order service's decision when it holds the order, else the record's. One
        855 per (revision, status) of the order, named so in the document's ref: a
        retry, or a later version of the same decision (a shipment on the order),
        writes nothing; an amendment (a new revision) or a cancellation after the
        order was acknowledged writes a replacement (BAK01 ``05``) stating the whole
        decision again. An order whose newer revision waits for its decision (held,
        or not yet taken) waits with it: its 855 goes when the decision is made.
        """
        held = self.store.orders.find(self.system, str(d.data.get("order_number")))
        if held is not None and held.status in _UNDECIDED:
            return _done(d, f"revision {held.revision} undecided: its 855 waits for the decision")
        revision = held.revision if held is not None else 0
        ref = f"out:order:{d.entity_id}:{revision}:{status}"
        sent = self.store.edi.sent(self.system, ref)
        if sent is not None:
            return _done(d, f"855 {sent.isa_control:09d}")
        earlier = self._acknowledged(d.entity_id, revision, ref)
        if earlier is not None and not self.settings.replace_855:
            return _done(d, f"855 {earlier.isa_control:09d} (replacements are off)")
        if held is not None:
            ack = doc855.from_decision(held, self.store.orders.lines(held.id))
        else:
            ack = doc855.from_order(d.data, now.date())
        purpose = doc855.ORIGINAL if earlier is None else doc855.REPLACE
        isa = self.send(ref, "855", doc855.body(ack, codes, purpose), d.entity_id)
        return _done(d, f"855 {isa:09d}")

    def _acknowledged(self, order_id: str, revision: int, this: str) -> SentGroup | None:
        """The latest 855 already sent for the order (other than ``this`` ref), if any."""
        for r in range(revision, -1, -1):
            for s in sorted(_SENDS_855):
                ref = f"out:order:{order_id}:{r}:{s}"
                if ref != this and (sent := self.store.edi.sent(self.system, ref)) is not None:
                    return sent
        # an 855 written before documents were named by revision and status
        return self.store.edi.sent(self.system, f"out:order:{order_id}")

    def _partners(self, d: Delivery) -> bool:
        """Whether the record is this partner's: its order, its shipment, its invoice.

        A route may carry every customer's records; only the partner's become
        documents (an order by channel or account, a shipment by its order's
        account, an invoice by its account). A record naming no customer is sent.
        """
        data = d.data
        if d.entity_type is EntityType.ORDER and data.get("channel") == self.system:
            return True
        account = data.get("customer_account")
        if d.entity_type is EntityType.SHIPMENT and isinstance(data.get("order_number"), str):
            account = self.lookup.order_customer(data["order_number"])
        return account in (None, self.settings.customer)

    def _stock(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        items = [s for d in batch if (s := doc846.from_record(d.data, self.system))]
        if not items:
            return [_done(d, "no available-to-promise figure") for d in batch]
        # The same batch retried names the same document; a different batch is a new advice.
        key = hashlib.sha256("|".join(sorted(d.delivery_id for d in batch)).encode()).hexdigest()
        ref = f"out:inventory:{key[:40]}"
        now = datetime.now(UTC)
        body = doc846.body(key[:30], items, self._codes([i.sku for i in items]), now)
        isa = self.send(ref, "846", body, f"{len(items)} items")
        return [_done(d, f"846 {isa:09d}") for d in batch]

    def _codes(self, skus: Sequence[str]) -> PartnerCodes:
        parts = {s: p for s in set(skus) if (p := self.lookup.partner_part(s))}
        return PartnerCodes(self.settings.units, parts)

    # -- envelopes and control numbers -------------------------------------------------------
    def send(self, ref: str, code: str, body: Sequence[Fields], what: str) -> int:
        """Write one document once for ``ref``; its ISA13 (steps 1-3 of the module docstring)."""
        sent = self.store.edi.sent(self.system, ref)
        if sent is not None:
            return sent.isa_control
        pending = {r.kind: r.number for r in self.store.edi.allocated(self.system, ref)}
        if ControlKind.ISA in pending:
            name = _file_name(code, pending[ControlKind.ISA])
            if self.mailbox.has_out(name) and len(pending) == 3:
                return self._record(ref, code, pending, name, what)
            with self.store.write() as tx:
                self.store.edi.settle(tx, self.system, ref, ControlState.VOID)
        got = self.store.edi.allocate(
            self.system, {ControlKind.ISA: 1, ControlKind.GS: 1, ControlKind.ST: 1}, ref
        )
        numbers = {kind: got[kind][0] for kind in got}
        fid = grammar(code).functional_id
        out_set = OutSet(code, f"{numbers[ControlKind.ST]:04d}", body)
        text = self.writer.interchange(
            numbers[ControlKind.ISA],
            [OutGroup(fid, numbers[ControlKind.GS], [out_set])],
            datetime.now(UTC),
        )
        name = _file_name(code, numbers[ControlKind.ISA])
        self.mailbox.put(name, text)
        return self._record(ref, code, numbers, name, what)

    def _record(
        self, ref: str, code: str, numbers: dict[ControlKind, int], name: str, what: str
    ) -> int:
        now = datetime.now(UTC)
        group = SentGroup(
            partner=self.system,
            gs_control=numbers[ControlKind.GS],
            isa_control=numbers[ControlKind.ISA],
            functional_id=grammar(code).functional_id,
            sets={f"{numbers[ControlKind.ST]:04d}": f"{code} {what}"},
            ref=ref,
            file=name,
            sent_at=now,
            due_at=now + timedelta(hours=self.settings.ack_deadline_hours),
            ack=None,
            ack_detail=None,
            acked_at=None,
        )
        with self.store.write() as tx:  # numbers used and group recorded together
            self.store.edi.settle(tx, self.system, ref, ControlState.USED)
            self.store.edi.record_sent(tx, group)
        return numbers[ControlKind.ISA]


def _done(d: Delivery, reference: str) -> DeliveryResult:
    return DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED, reference=reference)


def _file_name(code: str, isa: int) -> str:
    return f"{code}-{isa:09d}.x12"


__all__ = ["EdiDestination"]
