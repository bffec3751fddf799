"""EDI control numbers and received files (tables in ``schema/edi.py``).

Control numbers: :meth:`SqlEdi.allocate` hands out the next numbers of a
partner's counters and records each as ``allocated``, in its own committed
transaction, before the caller writes any file. So a crash after it can only
leave a gap (a number never used, visible as ``allocated``, later ``void``),
never a number used twice. The counter row is updated in place, which locks
it: two writers for one partner take turns.

Received files: :meth:`SqlEdi.receive` records a file's content hash inside
the caller's transaction (with the exceptions its rejected sets file), once;
a second receipt of the same content finds it and files nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.edi_rows import (
    ControlKind,
    ControlRow,
    ControlState,
    InboundRow,
    InboundState,
    SentGroup,
)
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx

MAX_CONTROL = 999_999_999
"""ISA13 has nine digits; GS06 and ST02 are held to the same."""


class ControlNumbersExhausted(Exception):
    """A partner's counter reached nine digits: a person resets it with the partner."""


class SqlEdi(SqlRepo):
    # -- control numbers ------------------------------------------------------------------
    def allocate(
        self, partner: str, wants: Mapping[ControlKind, int], ref: str, file: str | None = None
    ) -> dict[ControlKind, list[int]]:
        """The next ``wants[kind]`` numbers of each kind, committed as allocated before return."""
        c = t.edi_counters.c
        now = datetime.now(UTC)
        out: dict[ControlKind, list[int]] = {}
        with self._write() as tx:
            for kind, n in sorted(wants.items()):
                if n <= 0:
                    continue
                tx.conn.execute(
                    self._dialect.insert_ignore(t.edi_counters).values(
                        partner=partner, kind=kind.value, last=0
                    )
                )
                tx.conn.execute(
                    update(t.edi_counters)
                    .where(c.partner == partner, c.kind == kind.value)
                    .values(last=c.last + n)
                )
                last = int(
                    tx.conn.execute(
                        select(c.last).where(c.partner == partner, c.kind == kind.value)
                    ).scalar_one()
                )
                if last > MAX_CONTROL:
                    raise ControlNumbersExhausted(
                        f"{partner}: {kind.value} control numbers are used up ({MAX_CONTROL})"
                    )
                numbers = list(range(last - n + 1, last + 1))
                tx.conn.execute(
                    t.edi_control_numbers.insert(),
                    [
                        {
                            "partner": partner,
                            "kind": kind.value,
                            "number": num,
                            "state": ControlState.ALLOCATED.value,
                            "ref": ref,
                            "file": file,
                            "allocated_at": now,
                            "updated_at": now,
                        }
                        for num in numbers
                    ],
                )
                out[kind] = numbers
        return out

    def settle(self, tx: WriteTx, partner: str, ref: str, state: ControlState) -> int:
        """Move the numbers still allocated for ``ref`` to ``used`` or ``void``."""
        c = t.edi_control_numbers.c
        res = tx.conn.execute(
            update(t.edi_control_numbers)
            .where(c.partner == partner, c.ref == ref, c.state == ControlState.ALLOCATED.value)
            .values(state=state.value, updated_at=datetime.now(UTC))
        )
        return int(res.rowcount)

    def allocated(self, partner: str, ref: str) -> list[ControlRow]:
        """Numbers allocated for ``ref`` and not yet settled (a crash left them)."""
        c = t.edi_control_numbers.c
        q = select(t.edi_control_numbers).where(
            c.partner == partner, c.ref == ref, c.state == ControlState.ALLOCATED.value
        )
        return self._controls(q)

    def gaps(self, partner: str | None = None) -> list[ControlRow]:
        """Numbers handed out that no written file carries: allocated (in flight) or void."""
        c = t.edi_control_numbers.c
        q = select(t.edi_control_numbers).where(c.state != ControlState.USED.value)
        if partner is not None:
            q = q.where(c.partner == partner)
        return self._controls(q.order_by(c.partner, c.kind, c.number))

    def numbers(self, partner: str, kind: ControlKind) -> list[ControlRow]:
        c = t.edi_control_numbers.c
        q = select(t.edi_control_numbers).where(c.partner == partner, c.kind == kind.value)
        return self._controls(q.order_by(c.number))

    def _controls(self, q: Any) -> list[ControlRow]:
        with self._engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [
            ControlRow(
                r["partner"],
                ControlKind(r["kind"]),
                int(r["number"]),
                ControlState(r["state"]),
                r["ref"],
                r["file"],
                r["allocated_at"],
            )
            for r in rows
        ]

    # -- received files -------------------------------------------------------------------
    def inbound(self, partner: str, digest: str) -> InboundRow | None:
        c = t.edi_inbound.c
        with self._engine.connect() as conn:
            r = (
                conn.execute(select(t.edi_inbound).where(c.partner == partner, c.digest == digest))
                .mappings()
                .one_or_none()
            )
        if r is None:
            return None
        return InboundRow(
            r["partner"],
            r["digest"],
            r["name"],
            InboundState(r["state"]),
            None if r["ack_control"] is None else int(r["ack_control"]),
            loads(r["summary"]),
            r["received_at"],
        )

    def receive(
        self, tx: WriteTx, partner: str, digest: str, name: str, summary: dict[str, Any]
    ) -> bool:
        """Record a file as received (in ``tx``); False when it was already."""
        now = datetime.now(UTC)
        # RETURNING, not rowcount: a skipped insert's rowcount differs by driver
        res = tx.conn.execute(
            self._dialect.insert_ignore(t.edi_inbound)
            .values(
                partner=partner,
                digest=digest,
                name=name,
                state=InboundState.RECEIVED.value,
                ack_control=None,
                summary=dumps(summary),
                received_at=now,
                updated_at=now,
            )
            .returning(t.edi_inbound.c.digest)
        )
        return len(res.all()) == 1

    def done(self, tx: WriteTx, partner: str, digest: str, ack_control: int | None) -> None:
        c = t.edi_inbound.c
        tx.conn.execute(
            update(t.edi_inbound)
            .where(c.partner == partner, c.digest == digest)
            .values(
                state=InboundState.DONE.value, ack_control=ack_control, updated_at=datetime.now(UTC)
            )
        )

    # -- sent groups and their 997s --------------------------------------------------------
    def record_sent(self, tx: WriteTx, group: SentGroup) -> bool:
        """Record a sent group (in ``tx``, with its numbers marked used); False if it was."""
        res = tx.conn.execute(
            self._dialect.insert_ignore(t.edi_sent_groups)
            .values(
                partner=group.partner,
                gs_control=group.gs_control,
                isa_control=group.isa_control,
                functional_id=group.functional_id,
                sets=dumps(group.sets),
                ref=group.ref,
                file=group.file,
                sent_at=group.sent_at,
                due_at=group.due_at,
                ack=None,
                ack_detail=None,
                acked_at=None,
            )
            .returning(t.edi_sent_groups.c.gs_control)
        )
        return len(res.all()) == 1

    def sent(self, partner: str, ref: str) -> SentGroup | None:
        """The group sent for ``ref`` (a delivery's document), if it went out."""
        c = t.edi_sent_groups.c
        rows = self._sent(select(t.edi_sent_groups).where(c.partner == partner, c.ref == ref))
        return rows[0] if rows else None

    def sent_group(self, partner: str, gs_control: int) -> SentGroup | None:
        c = t.edi_sent_groups.c
        q = select(t.edi_sent_groups).where(c.partner == partner, c.gs_control == gs_control)
        rows = self._sent(q)
        return rows[0] if rows else None

    def acknowledge(
        self, tx: WriteTx, partner: str, gs_control: int, ack: str, detail: dict[str, Any]
    ) -> bool:
        """Record the partner's 997 for a sent group; False when no such group was sent.

        A later 997 for the same group replaces the earlier (a partner re-sends
        one after correcting it); the first one's time is kept only in the log.
        """
        c = t.edi_sent_groups.c
        res = tx.conn.execute(
            update(t.edi_sent_groups)
            .where(c.partner == partner, c.gs_control == gs_control)
            .values(ack=ack, ack_detail=dumps(detail), acked_at=datetime.now(UTC))
        )
        return int(res.rowcount) == 1

    def overdue(self, now: datetime, partner: str | None = None) -> list[SentGroup]:
        """Groups still without their 997 after their deadline."""
        c = t.edi_sent_groups.c
        q = select(t.edi_sent_groups).where(c.ack.is_(None), c.due_at < now)
        if partner is not None:
            q = q.where(c.partner == partner)
        return self._sent(q.order_by(c.partner, c.gs_control))

    def sent_groups(self, partner: str) -> list[SentGroup]:
        c = t.edi_sent_groups.c
        return self._sent(
            select(t.edi_sent_groups).where(c.partner == partner).order_by(c.gs_control)
        )

    def _sent(self, q: Any) -> list[SentGroup]:
        with self._engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [
            SentGroup(
                r["partner"],
                int(r["gs_control"]),
                int(r["isa_control"]),
                r["functional_id"],
                loads(r["sets"]),
                r["ref"],
                r["file"],
                _utc(r["sent_at"]),
                _utc(r["due_at"]),
                r["ack"],
                None if r["ack_detail"] is None else loads(r["ack_detail"]),
                None if r["acked_at"] is None else _utc(r["acked_at"]),
            )
            for r in rows
        ]


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


__all__ = ["MAX_CONTROL", "ControlNumbersExhausted", "SqlEdi"]
