"""AS2 as the partner's transport: messages in to the mailbox's inbound path, files out with MDNs.

In: a verified message's payload goes through the same processing as a file
dropped into ``inbound/`` (:meth:`EdiExchange.process`), so it is never
processed twice: its content hash is recorded there, and its AS2 message id
here (a resend under the same id is answered by the MDN alone). The payload
is processed before the message id is recorded, so a crash between the two
only makes a resend look new, and the content hash then catches it.

Out: every file the hub writes to ``outbound/`` is sent signed and encrypted
to the partner's URL, under one message id kept across retries (the partner
can drop a repeat). A verified ``processed`` MDN moves the file to
``outbound/sent/`` with the MDN beside it; a transport failure or a 5xx/429
is retried with a doubling backoff; a refused message or a failed MDN moves
it to ``outbound/failed/`` and files an exception. A file whose MDN has not
come back ``mdn_deadline_seconds`` after its first attempt is an alert: an
exception (once) and the ``crossdock_edi_as2_mdn_overdue_total`` metric.
The per-file state is a small JSON file in ``outbound/.as2/``, written
atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crossdock.connectors.base import ExchangeReport, OrderIntake
from crossdock.connectors.edi_x12.as2 import As2Link
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.kit.drop_folder import write_atomic
from crossdock.connectors.kit.http import HttpClient, status_error
from crossdock.errors import ErrorCode, PermanentError, RetryableError
from crossdock.observability.metrics import AS2_MDN_OVERDUE, AS2_SENT
from crossdock.store.facade import Store
from crossdock.store.records import NewException

if TYPE_CHECKING:
    from crossdock.connectors.edi_x12.source import EdiExchange

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class As2Answer:
    """The HTTP answer to an inbound message: the signed MDN."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class _Sending:
    local_id: str
    first_at: float
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""
    alerted: bool = False


def _mid_digest(message_id: str) -> str:
    return hashlib.sha256(b"as2-message-id:" + message_id.encode()).hexdigest()


class As2Transport:
    def __init__(self, system: str, link: As2Link, mailbox: Mailbox, store: Store) -> None:
        self.system = system
        self.link = link
        self.mailbox = mailbox
        self.store = store
        self.state_dir = mailbox.outbound / ".as2"
        self.sent_dir = mailbox.outbound / "sent"
        self.failed_dir = mailbox.outbound / "failed"

    # -- inbound -----------------------------------------------------------------------------
    def receive(
        self,
        exchange: EdiExchange,
        headers: dict[str, str],
        body: bytes,
        intake: OrderIntake,
    ) -> As2Answer:
        """Verify, process (once), answer with the signed MDN; BadSignature when unproven."""

        def seen(mid: str) -> bool:
            return self.store.edi.inbound(self.system, _mid_digest(mid)) is not None

        got = self.link.receive(headers, body, seen)
        if not got.duplicate:
            name = got.filename or f"as2-{got.message_id}"
            exchange.process(name[:200], got.payload, intake, ExchangeReport())
            digest = _mid_digest(got.message_id)
            with self.store.write() as tx:
                self.store.edi.receive(tx, self.system, digest, got.message_id[:255], {"as2": 1})
                self.store.edi.done(tx, self.system, digest, None)
        return As2Answer(200, got.mdn_headers, got.mdn_body)

    # -- outbound ----------------------------------------------------------------------------
    def send_pending(self, now: float) -> int:
        """Send what waits in ``outbound/`` and is due; the number of MDNs received."""
        url = self.link.settings.url
        if url is None:
            return 0
        for d in (self.state_dir, self.sent_dir, self.failed_dir):
            d.mkdir(parents=True, exist_ok=True)
        done = 0
        client = HttpClient(
            url, timeout_seconds=self.link.settings.timeout_seconds, user_agent="crossdock-as2"
        )
        try:
            for path in sorted(self.mailbox.outbound.glob("*.x12")):
                state = self._state(path, now)
                if state.next_at > now:
                    self._overdue(path, state, now)
                    continue
                if self._send(client, path, state, now):
                    done += 1
                else:
                    self._overdue(path, state, now)
        finally:
            client.close()
        return done

    def _send(self, client: HttpClient, path: Path, state: _Sending, now: float) -> bool:
        settings = self.link.settings
        out = self.link.build(path.read_bytes(), path.name, state.local_id)
        state.attempts += 1
        try:
            answer = client.send("POST", content=out.body, headers=out.headers, action="AS2 send")
            if not answer.ok:
                raise status_error(answer, client.where, action="AS2 send")
            disposition, detail = self.link.verify_mdn(out, answer.headers, answer.body)
        except RetryableError as exc:
            delay = min(
                settings.retry_seconds * 2 ** (state.attempts - 1), settings.retry_max_seconds
            )
            state.next_at = now + max(delay, exc.retry_after or 0.0)
            state.last_error = exc.message
            self._save(path, state)
            AS2_SENT.labels(self.system, "retry").inc()
            log.warning(
                "%s: AS2 send of %s failed, retry in %.0fs: %s",
                self.system,
                path.name,
                delay,
                exc.message,
            )
            return False
        except PermanentError as exc:
            self._fail(path, state, f"the partner refused {path.name}: {exc.message}")
            return False
        if disposition != "processed":
            self._fail(path, state, f"the MDN for {path.name} says {disposition}: {detail}")
            return False
        record = {
            "message_id": out.message_id,
            "disposition": disposition,
            "mic": out.message.mic.decode() if out.message.mic else None,
            "attempts": state.attempts,
            "at": datetime.now(UTC).isoformat(),
        }
        write_atomic(self.sent_dir / f"{path.name}.mdn.json", json.dumps(record).encode())
        path.rename(self.sent_dir / path.name)
        self._state_path(path).unlink(missing_ok=True)
        AS2_SENT.labels(self.system, "processed").inc()
        return True

    def _fail(self, path: Path, state: _Sending, reason: str) -> None:
        exc = NewException(
            self.system, ErrorCode.REJECTED_BY_DESTINATION.value, reason, ref=path.name, field="MDN"
        )
        with self.store.write() as tx:
            tx.add_exceptions([exc], datetime.now(UTC))
        path.rename(self.failed_dir / path.name)
        self._state_path(path).unlink(missing_ok=True)
        AS2_SENT.labels(self.system, "failed").inc()

    def _overdue(self, path: Path, state: _Sending, now: float) -> None:
        deadline = self.link.settings.mdn_deadline_seconds
        if state.alerted or now - state.first_at < deadline:
            return
        reason = (
            f"no MDN for {path.name} within {deadline}s ({state.attempts} attempts; "
            f"last: {state.last_error or 'none'}); it is still being retried"
        )
        exc = NewException(
            self.system, ErrorCode.DESTINATION_UNAVAILABLE.value, reason, ref=path.name, field="MDN"
        )
        with self.store.write() as tx:
            tx.add_exceptions([exc], datetime.now(UTC))
        state.alerted = True
        self._save(path, state)
        AS2_MDN_OVERDUE.labels(self.system).inc()
        log.error("%s: %s", self.system, reason)

    def _state_path(self, path: Path) -> Path:
        return self.state_dir / f"{path.name}.json"

    def _state(self, path: Path, now: float) -> _Sending:
        try:
            return _Sending(**json.loads(self._state_path(path).read_text()))
        except FileNotFoundError:
            state = _Sending(
                local_id=f"crossdock-{path.stem}-{uuid.uuid4().hex[:12]}", first_at=now
            )
            self._save(path, state)  # the id is fixed before the first attempt
            return state

    def _save(self, path: Path, state: _Sending) -> None:
        write_atomic(self._state_path(path), json.dumps(asdict(state)).encode())


__all__ = ["As2Answer", "As2Transport"]
