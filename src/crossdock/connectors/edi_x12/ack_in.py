"""997s received from a partner, matched to the groups the hub sent (by GS06, per partner).

Each 997 says what became of one sent group (AK1) and of its sets (AK2/AK5).
The answer is recorded on the sent group (accepted, accepted with errors,
partially accepted or rejected, with the sets' codes) in the transaction that
records the received file, so it is recorded once. A group or set the
partner rejected is an exception naming the group, the set and what it
carried; a 997 for a group the hub never sent is one too. Groups still
without their 997 after the partner's ``ack_deadline_hours`` are listed by
:func:`overdue_groups` (``crossdock status`` and the metrics).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crossdock.connectors.edi_x12.ack997 import FunctionalAck
from crossdock.connectors.edi_x12.codes import GroupAck, SetAck
from crossdock.errors import ErrorCode
from crossdock.store.edi_rows import SentGroup
from crossdock.store.facade import Store
from crossdock.store.records import NewException
from crossdock.store.write import WriteTx


def _detail(ack: FunctionalAck) -> dict[str, Any]:
    return {
        "functional_id": ack.functional_id,
        "codes": [c.value for c in ack.codes],
        "sets": {
            s.control: {
                "set": s.code,
                "ack": s.ack.value,
                "codes": [c.value for c in s.codes],
                "errors": [e.describe() for e in s.errors],
            }
            for s in ack.sets
        },
    }


def record(
    store: Store, tx: WriteTx, partner: str, file: str, acks: list[FunctionalAck]
) -> list[NewException]:
    """Record each 997 on its sent group (in ``tx``); the exceptions they call for."""
    out: list[NewException] = []
    for ack in acks:
        gs = int(ack.group_control) if ack.group_control.isdigit() else -1
        sent = store.edi.sent_group(partner, gs) if gs >= 0 else None
        if sent is None:
            out.append(
                NewException(
                    partner,
                    ErrorCode.DOCUMENT_REFUSED.value,
                    f"{file}: a 997 for group {ack.group_control}, which the hub never sent "
                    "to this partner",
                    ref=f"{file}:997/{ack.group_control}",
                    field="AK102",
                )
            )
            continue
        store.edi.acknowledge(tx, partner, gs, ack.ack.value, _detail(ack))
        if ack.ack in (GroupAck.REJECTED, GroupAck.PARTIAL) or any(
            s.ack is SetAck.REJECTED for s in ack.sets
        ):
            out.append(_rejected(file, sent, ack))
    return out


def _rejected(file: str, sent: SentGroup, ack: FunctionalAck) -> NewException:
    parts = []
    for s in ack.sets:
        if s.ack is SetAck.REJECTED:
            what = sent.sets.get(s.control, s.code)
            codes = " ".join(c.value for c in s.codes)
            errors = "; ".join(e.describe() for e in s.errors)
            parts.append(
                f"set {s.control} ({what}) rejected (AK5 R {codes}){': ' if errors else ''}{errors}"
            )
    if ack.codes:
        parts.append("group codes " + " ".join(c.value for c in ack.codes))
    reason = (
        f"the partner {'rejected' if ack.ack is GroupAck.REJECTED else 'partly rejected'} "
        f"group {sent.gs_control} (interchange {sent.isa_control:09d}, file {sent.file}): "
        + ("; ".join(parts) or "no set named")
    )
    return NewException(
        sent.partner,
        ErrorCode.DOCUMENT_REFUSED.value,
        reason,
        ref=f"sent:{sent.gs_control}",
        field="AK9" if ack.ack is GroupAck.REJECTED else "AK5",
        payload={"group": sent.gs_control, "file": sent.file, "997": file, **_detail(ack)},
    )


def overdue_groups(store: Store, now: datetime | None = None) -> list[SentGroup]:
    """Sent groups still without their 997 after the partner's deadline."""
    return store.edi.overdue(now or datetime.now(UTC))


__all__ = ["overdue_groups", "record"]
