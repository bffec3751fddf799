"""The inbound side of a trading partner: received files -> orders, exceptions and 997s.

One received file is processed in this order, each step safe to repeat:

1. Its content hash is looked up: a file already done is only moved aside.
2. It is read and every set validated (no side effect). An interchange whose
   envelope is wrong (ISA13 and IEA02 disagree, ...), or that is not between
   the partner and the hub, is answered by a TA1 and imports nothing; a group
   whose envelope is wrong is rejected whole; a rejected set imports nothing.
3. Each accepted 850 is mapped and handed to the order intake, which is
   idempotent per channel and order number (a crash here repeats the intake
   harmlessly).
4. One transaction records the file as received and files an exception for
   every rejected set, group, interchange and refused order, naming the
   segment and element; a second run finds the record and files nothing.
   A received 997 is recorded on the group it answers here too (:mod:`.ack_in`).
5. The acknowledgment (a 997 per received group, a TA1 per bad interchange)
   gets its control numbers in their own committed transaction, is written
   to ``outbound/``, and then the numbers and the file are marked done. After
   a crash between the two, the numbers are found: the file written under
   them is kept, or, when there is none, they are marked void (a visible gap)
   and the acknowledgment is written under new ones.
6. The file moves to ``inbound/processed/``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossdock.connectors.base import ExchangeReport, OrderChanges, OrderIntake, SignedAnswer
from crossdock.connectors.edi_x12 import ack997, ack_in
from crossdock.connectors.edi_x12.as2_transport import As2Transport
from crossdock.connectors.edi_x12.change860 import CANCEL, amend
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.envelope import Interchange, TransactionSet, read
from crossdock.connectors.edi_x12.errors import X12SyntaxError
from crossdock.connectors.edi_x12.lookup import StoreLookup
from crossdock.connectors.edi_x12.mapper import MappingProblem, to_order
from crossdock.connectors.edi_x12.po850 import read_850
from crossdock.connectors.edi_x12.po860 import read_860
from crossdock.connectors.edi_x12.validate import GroupResult, SetResult, validate_group
from crossdock.connectors.edi_x12.writer import Fields, OutGroup, OutSet, Writer
from crossdock.connectors.kit.drop_folder import UnsafeEntry
from crossdock.errors import BadSignature, ConflictError, ErrorCode, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.store.edi_rows import ControlKind, ControlState, InboundState
from crossdock.store.facade import Store
from crossdock.store.records import NewException

log = logging.getLogger(__name__)
_RAW_LIMIT = 20_000


@dataclass(slots=True)
class _Outcome:
    """What one file came to, before anything of it is recorded."""

    acks: list[ack997.FunctionalAck] = field(default_factory=list)
    ta1: list[Fields] = field(default_factory=list)
    exceptions: list[NewException] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    acks_in: list[ack997.FunctionalAck] = field(default_factory=list)


class EdiExchange:
    """A partner's mailbox processed against the store, orders handed to an intake."""

    def __init__(
        self,
        system: str,
        settings: EdiSettings,
        mailbox: Mailbox,
        store: Store,
        as2: As2Transport | None = None,
    ) -> None:
        self.system = system
        self.as2 = as2
        self.settings = settings
        self.mailbox = mailbox
        self.store = store
        self.writer = Writer(settings.envelope())
        self.lookup = StoreLookup(store, system)
        self._changes: OrderChanges | None = None

    # -- a pass -----------------------------------------------------------------------------
    def exchange(self, intake: OrderIntake, changes: OrderChanges | None = None) -> ExchangeReport:
        self._changes = changes
        report = ExchangeReport()
        listing = self.mailbox.drop.scan()
        for refused in listing.refused:
            self._refuse(refused.path, refused.reason, report)
        for path in listing.ready:
            try:
                content = self.mailbox.drop.read(path)
            except UnsafeEntry as unsafe:
                self._refuse(path, unsafe.reason, report)
                continue
            except FileNotFoundError:
                continue
            self.process(path.name, content.data, intake, report)
            self.mailbox.drop.move(path, self.mailbox.drop.processed)
        if self.as2 is not None:
            self.as2.send_pending(time.time())
            self.as2.send_mdns(time.time())
        return report

    # -- AS2 ------------------------------------------------------------------------------------
    def receives_signed(self) -> bool:
        return self.as2 is not None

    def receive_signed(
        self,
        headers: dict[str, str],
        body: bytes,
        intake: OrderIntake,
        changes: OrderChanges | None = None,
    ) -> SignedAnswer:
        """An AS2 message in: verified, processed as a received file, answered by its MDN."""
        if self.as2 is None:
            raise BadSignature(f"{self.system} does not send by AS2")
        self._changes = changes
        got = self.as2.receive(self, headers, body, intake)
        return SignedAnswer(got.status, got.headers, got.body, got.after)

    def receive_signed_receipt(self, headers: dict[str, str], body: bytes) -> None:
        """An asynchronous AS2 MDN for a message the hub sent; BadSignature when unproven."""
        if self.as2 is None:
            raise BadSignature(f"{self.system} does not send by AS2")
        self.as2.receive_mdn(headers, body)

    def _refuse(self, path: Path, reason: str, report: ExchangeReport) -> None:
        exc = NewException(
            self.system,
            ErrorCode.FILE_REFUSED.value,
            f"{path.name}: {reason}",
            ref=path.name,
            field="file",
        )
        with self.store.write() as tx:
            tx.add_exceptions([exc], datetime.now(UTC))
        self.mailbox.drop.refuse(path, reason)
        report.exceptions += 1

    # -- one file ---------------------------------------------------------------------------
    def process(self, name: str, data: bytes, intake: OrderIntake, report: ExchangeReport) -> None:
        """Process one received file's bytes (steps 1-5 of the module docstring)."""
        digest = hashlib.sha256(data).hexdigest()
        seen = self.store.edi.inbound(self.system, digest)
        if seen is not None and seen.state is InboundState.DONE:
            report.duplicates += 1
            return
        report.files += 1
        outcome = self._read(name, data, intake if seen is None else None)
        summary: dict[str, Any] = {
            "orders": outcome.orders,
            "groups": len(outcome.acks),
            "rejected_interchanges": len(outcome.ta1),
            "exceptions": len(outcome.exceptions),
        }
        if seen is None:
            with self.store.write() as tx:
                if self.store.edi.receive(tx, self.system, digest, name, summary):
                    outcome.exceptions += ack_in.record(
                        self.store, tx, self.system, name, outcome.acks_in
                    )
                    tx.add_exceptions(outcome.exceptions, datetime.now(UTC))
                    report.exceptions += len(outcome.exceptions)
                    report.orders += len(outcome.orders)
        isa = self._acknowledge(digest, outcome) if outcome.acks or outcome.ta1 else None
        if isa is not None:
            report.acks += 1
        with self.store.write() as tx:  # numbers used and file done together: no second ack
            self.store.edi.settle(tx, self.system, f"ack:{digest}", ControlState.USED)
            self.store.edi.done(tx, self.system, digest, isa)

    def _read(self, name: str, data: bytes, intake: OrderIntake | None) -> _Outcome:
        out = _Outcome()
        try:
            interchanges = read(data)
        except X12SyntaxError as exc:
            out.exceptions.append(
                NewException(
                    self.system, exc.code.value, f"{name}: {exc.message}", ref=name, field="ISA"
                )
            )
            return out
        now = datetime.now(UTC)
        for ic in interchanges:
            why = self._not_ours(ic)
            if why is None and ic.problems:
                note = ack997.ta1(ic, now)
                assert note is not None
                out.ta1.append(note)
                why = f"interchange {ic.control} refused (TA1 {note[5]}): " + ", ".join(
                    p.name.lower().replace("_", " ") for p in ic.problems
                )
            if why is not None:
                out.exceptions.append(self._exception(name, ic, None, None, "IEA02", why))
                continue
            for group in ic.groups:
                result = validate_group(group, tuple(self.settings.accept_versions))
                if group.functional_id != "FA":  # a 997 is not acknowledged
                    out.acks.append(ack997.from_result(result))
                self._group(name, ic, result, intake, out)
        return out

    def _not_ours(self, ic: Interchange) -> str | None:
        s = self.settings
        if ic.sender != (s.theirs.qualifier, s.theirs.id):
            return (
                f"interchange {ic.control} is from {ic.sender[0]}/{ic.sender[1]}, "
                f"not this partner ({s.theirs.qualifier}/{s.theirs.id}); not read, not answered"
            )
        if ic.receiver != (s.ours.qualifier, s.ours.id):
            return (
                f"interchange {ic.control} is for {ic.receiver[0]}/{ic.receiver[1]}, "
                f"not the hub ({s.ours.qualifier}/{s.ours.id}); not read, not answered"
            )
        return None

    def _group(
        self,
        name: str,
        ic: Interchange,
        result: GroupResult,
        intake: OrderIntake | None,
        out: _Outcome,
    ) -> None:
        group = result.group
        if result.codes:
            reason = (
                f"group {group.control} rejected (AK905 {result.codes[0].value}): "
                + ", ".join(c.name.lower().replace("_", " ") for c in result.codes)
            )
            out.exceptions.append(self._exception(name, ic, group.control, None, "GE02", reason))
            return
        for sr in result.sets:
            if not sr.accepted:
                out.exceptions.append(self._rejected_set(name, ic, group.control, sr))
            elif sr.tset.code == "850" and intake is not None:
                self._take(name, ic, group.control, sr.tset, intake, out)
            elif sr.tset.code == "860" and intake is not None:
                self._change(name, ic, group.control, sr.tset, intake, out)
            elif sr.tset.code == "997":
                out.acks_in.append(ack997.parse(sr.tset))

    def _take(
        self,
        name: str,
        ic: Interchange,
        gs06: str,
        tset: TransactionSet,
        intake: OrderIntake,
        out: _Outcome,
    ) -> None:
        po = read_850(tset)
        try:
            order = to_order(po, self.system, self.settings, self.lookup)
            answer = intake(self.system, order)
        except MappingProblem as problem:
            where, why, code = problem.element, f"order {po.number}: {problem}", problem.code
        except (InvalidInput, ConflictError) as exc:
            where = getattr(exc, "field", None) or "order"
            why = f"order {po.number} refused by the order intake: {exc.message}"
            code = exc.code
        else:
            out.orders.append(answer.order_id)
            return
        out.exceptions.append(
            self._exception(name, ic, gs06, tset, where, why, code=code, po=po.number)
        )

    def _change(
        self,
        name: str,
        ic: Interchange,
        gs06: str,
        tset: TransactionSet,
        intake: OrderIntake,
        out: _Outcome,
    ) -> None:
        """An 860: the whole order cancelled, or the order amended through the intake."""
        change = read_860(tset)
        where, code = "BCH03", ErrorCode.DOCUMENT_REFUSED
        try:
            if self._changes is None:
                raise ConflictError("this hub takes no order changes from document exchanges")
            current = self._changes.current(self.system, change.number)
            if current is None:
                raise InvalidInput(
                    f"there is no order {change.number} from this partner to change",
                    field="BCH03",
                )
            if change.purpose == CANCEL:
                answer = self._changes.cancel(
                    self.system, change.number, f"860 {tset.control} in {name}: cancelled"
                )
            else:
                amended = amend(change, current, self.settings, self.lookup)
                answer = intake(self.system, amended)
        except MappingProblem as problem:
            where, why, code = problem.element, f"order {change.number}: {problem}", problem.code
        except (InvalidInput, ConflictError, NotFound) as exc:
            where = getattr(exc, "field", None) or where
            why = f"change of order {change.number} refused: {exc.message}"
            code = exc.code
        else:
            out.orders.append(answer.order_id)
            return
        out.exceptions.append(
            self._exception(name, ic, gs06, tset, where, why, code=code, po=change.number)
        )

    def _rejected_set(self, name: str, ic: Interchange, gs06: str, sr: SetResult) -> NewException:
        first = next((e for e in sr.errors if e.code.value != "6"), None)
        if first is not None and first.elements:
            where = f"{first.segment_id}{first.elements[0].position:02d}"
        elif first is not None:
            where = first.segment_id
        else:
            where = "SE"
        codes = " ".join(c.value for c in sr.codes)
        reason = f"transaction set {sr.tset.code} {sr.tset.control} rejected (AK5 R {codes}): " + (
            sr.describe()
        )
        return self._exception(name, ic, gs06, sr.tset, where, reason)

    def _exception(
        self,
        name: str,
        ic: Interchange,
        gs06: str | None,
        tset: TransactionSet | None,
        where: str,
        reason: str,
        *,
        code: ErrorCode = ErrorCode.DOCUMENT_REFUSED,
        po: str | None = None,
    ) -> NewException:
        ref = f"{name}:{ic.control}" + (f"/{gs06}" if gs06 else "")
        payload: dict[str, Any] = {"interchange": ic.control, "group": gs06}
        if tset is not None:
            ref += f"/{tset.control}"
            seps = ic.separators
            text = seps.segment.join(seps.element.join(s) for s in tset.segments)
            payload.update(set=tset.code, control=tset.control, x12=text[:_RAW_LIMIT])
        return NewException(
            system=self.system,
            code=code.value,
            reason=reason,
            entity_type=EntityType.ORDER.value if po else None,
            native_id=po,
            ref=ref,
            field=where,
            payload=payload,
        )

    # -- the acknowledgment -----------------------------------------------------------------
    def _acknowledge(self, digest: str, outcome: _Outcome) -> int:
        """Write the acknowledging interchange; its ISA13 (step 5 of the module docstring).

        The numbers stay ``allocated`` until the caller marks them used with the file.
        """
        ref = f"ack:{digest}"
        pending = self.store.edi.allocated(self.system, ref)
        isa_rows = [r for r in pending if r.kind is ControlKind.ISA]
        if isa_rows:
            number = isa_rows[0].number
            if self.mailbox.has_out(_file_name(number)):
                return number  # written before the crash: the caller marks it used
            log.warning("%s: ack %s was allocated but never written: void", self.system, number)
            self._settle(ref, ControlState.VOID)
        wants = {ControlKind.ISA: 1}
        if outcome.acks:
            wants |= {ControlKind.GS: 1, ControlKind.ST: len(outcome.acks)}
        got = self.store.edi.allocate(self.system, wants, ref)
        isa = got[ControlKind.ISA][0]
        groups = []
        if outcome.acks:
            seps = self.writer.env.separators
            sets = [
                OutSet("997", f"{st:04d}", ack997.body(a, seps))
                for a, st in zip(outcome.acks, got[ControlKind.ST], strict=True)
            ]
            groups.append(OutGroup("FA", got[ControlKind.GS][0], sets))
        text = self.writer.interchange(isa, groups, datetime.now(UTC), outcome.ta1)
        self.mailbox.put(_file_name(isa), text)
        return isa

    def _settle(self, ref: str, state: ControlState) -> None:
        with self.store.write() as tx:
            self.store.edi.settle(tx, self.system, ref, state)


def _file_name(isa: int) -> str:
    return f"997-{isa:09d}.x12"


__all__ = ["EdiExchange"]
