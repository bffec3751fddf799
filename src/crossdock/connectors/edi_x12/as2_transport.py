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

Asynchronous MDNs, in: a partner that asks for the MDN to be posted to a URL
(``Receipt-Delivery-Option``) is answered 200 at once. The signed MDN, built
when the message was verified, is first written to ``outbound/.as2/mdn/``
(keyed by the message id, before the id is recorded as taken), then posted
by a pass that holds a file lock (one sender at a time, across threads and
processes), retried with the same backoff, and on a 2xx moved to
``outbound/.as2/mdn-sent/``. A message id already queued or answered does not
queue a second MDN. The only way the same MDN goes out twice is a crash
between the partner's 2xx and that move; it is then the same bytes, under
the same MDN Message-ID.

Asynchronous MDNs, out: with ``mdn_url`` set, a message asks for its MDN
there; a 2xx from the partner only means it was delivered, and the file waits
(not resent) for the MDN posted to ``POST /v1/as2/{system}/mdn``, which is
matched to the file by its original message id, verified against the
partner's certificate and the MIC kept in the file's state, and settles it as
a synchronous MDN would. The overdue alert covers the wait.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crossdock.connectors.base import ExchangeReport, OrderIntake
from crossdock.connectors.edi_x12.as2 import As2Link, Received
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
    after: Callable[[], object] | None = None
    """Run once the answer is sent: the queued asynchronous MDN's first attempt."""


@dataclass(slots=True)
class _Sending:
    local_id: str
    first_at: float
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""
    alerted: bool = False
    mic: str = ""
    """The MIC of what was sent, kept to check an asynchronous MDN against."""
    message_id: str = ""
    """The AS2 Message-ID it was sent under (built from ``local_id``)."""
    awaiting: bool = False
    """Delivered; its MDN is to be posted to the hub (asynchronous)."""


@dataclass(slots=True)
class _MdnOut:
    """A signed MDN to post to the partner (asynchronous), as built when its message came in."""

    message_id: str
    url: str
    headers: dict[str, str]
    body: str
    """base64 of the exact bytes"""
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""


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
        self.mdn_dir = self.state_dir / "mdn"
        self.mdn_sent_dir = self.state_dir / "mdn-sent"
        self.settled_dir = self.state_dir / "settled"

    @contextmanager
    def _locked(self, name: str, *, wait: bool = True) -> Iterator[bool]:
        """An exclusive file lock (threads, processes); yields False when busy and not waiting."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / name, "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

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
        later = got.mdn_url is not None and got.mdn_url.startswith(("http://", "https://"))
        if not got.duplicate:
            name = got.filename or f"as2-{got.message_id}"
            exchange.process(name[:200], got.payload, intake, ExchangeReport())
        if later:  # queued before the id is recorded: a crash in between re-queues, once
            self._queue_mdn(got)
        if not got.duplicate:
            digest = _mid_digest(got.message_id)
            with self.store.write() as tx:
                self.store.edi.receive(tx, self.system, digest, got.message_id[:255], {"as2": 1})
                self.store.edi.done(tx, self.system, digest, None)
        if later:
            return As2Answer(200, {}, b"", after=lambda: self.send_mdns(time.time()))
        return As2Answer(200, got.mdn_headers, got.mdn_body)

    def _queue_mdn(self, got: Received) -> None:
        assert got.mdn_url is not None
        digest = _mid_digest(got.message_id)
        with self._locked("mdn.queue.lock"):
            pending = self.mdn_dir / f"{digest}.json"
            if pending.exists() or (self.mdn_sent_dir / f"{digest}.json").exists():
                return  # one MDN per message id
            self.mdn_dir.mkdir(parents=True, exist_ok=True)
            out = _MdnOut(
                got.message_id,
                got.mdn_url,
                got.mdn_headers,
                base64.b64encode(got.mdn_body).decode(),
            )
            write_atomic(pending, json.dumps(asdict(out)).encode())

    def send_mdns(self, now: float, *, wait: bool = False) -> int:
        """Post the queued asynchronous MDNs that are due; how many the partner took.

        One pass at a time (a file lock): a pass finding another one running returns 0
        (unless ``wait``), and what it would have sent is that pass's or the next one's.
        """
        if not self.mdn_dir.is_dir():
            return 0
        sent = 0
        with self._locked("mdn.send.lock", wait=wait) as mine:
            if not mine:
                return 0
            for pending in sorted(self.mdn_dir.glob("*.json")):
                out = _MdnOut(**json.loads(pending.read_text()))
                if out.next_at > now:
                    continue
                if self._post_mdn(pending, out, now):
                    sent += 1
        return sent

    def _post_mdn(self, pending: Path, out: _MdnOut, now: float) -> bool:
        settings = self.link.settings
        out.attempts += 1
        client = HttpClient(
            out.url, timeout_seconds=settings.timeout_seconds, user_agent="crossdock-as2"
        )
        try:
            answer = client.send(
                "POST",
                content=base64.b64decode(out.body),
                headers=out.headers,
                action="AS2 MDN send",
            )
            if not answer.ok:
                raise status_error(answer, client.where, action="AS2 MDN send")
        except RetryableError as exc:
            delay = min(
                settings.retry_seconds * 2 ** (out.attempts - 1), settings.retry_max_seconds
            )
            out.next_at = now + max(delay, exc.retry_after or 0.0)
            out.last_error = exc.message
            write_atomic(pending, json.dumps(asdict(out)).encode())
            log.warning(
                "%s: AS2 MDN post failed, retry in %.0fs: %s", self.system, delay, exc.message
            )
            return False
        except PermanentError as exc:
            reason = f"the partner refused the MDN for AS2 message {out.message_id}: {exc.message}"
            new = NewException(
                self.system,
                ErrorCode.REJECTED_BY_DESTINATION.value,
                reason,
                ref=out.message_id[:200],
                field="MDN",
            )
            with self.store.write() as tx:
                tx.add_exceptions([new], datetime.now(UTC))
            out.last_error = exc.message
            self._mdn_done(pending, out)
            return False
        finally:
            client.close()
        self._mdn_done(pending, out)
        return True

    def _mdn_done(self, pending: Path, out: _MdnOut) -> None:
        self.mdn_sent_dir.mkdir(parents=True, exist_ok=True)
        record = {"message_id": out.message_id, "url": out.url, "attempts": out.attempts}
        record |= {"error": out.last_error} if out.last_error else {}
        write_atomic(self.mdn_sent_dir / pending.name, json.dumps(record).encode())
        pending.unlink(missing_ok=True)

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
                if state.awaiting or state.next_at > now:
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
        later = settings.mdn_url is not None
        state.attempts += 1
        if later:  # the MDN may come back before the answer does: its MIC is kept first
            with self._locked("state.lock"):
                state.mic = out.message.mic.decode() if out.message.mic else ""
                state.message_id = out.message_id
                self._save(path, state)
        try:
            answer = client.send("POST", content=out.body, headers=out.headers, action="AS2 send")
            if not answer.ok:
                raise status_error(answer, client.where, action="AS2 send")
            if later:
                with self._locked("state.lock"):
                    if path.exists():  # else its MDN came and settled it already
                        state.awaiting = True
                        self._save(path, state)
                AS2_SENT.labels(self.system, "delivered").inc()
                return False
            disposition, detail = self.link.verify_mdn(out, answer.headers, answer.body)
        except RetryableError as exc:
            if not path.exists():  # its asynchronous MDN came and settled it meanwhile
                return False
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
        mic = out.message.mic.decode() if out.message.mic else None
        return self._settle(path, state, out.message_id, mic, disposition, detail)

    def _settle(
        self,
        path: Path,
        state: _Sending,
        message_id: str,
        mic: str | None,
        disposition: str,
        detail: str,
    ) -> bool:
        if disposition != "processed":
            self._fail(path, state, f"the MDN for {path.name} says {disposition}: {detail}")
            return False
        record = {
            "message_id": message_id,
            "disposition": disposition,
            "mic": mic,
            "attempts": state.attempts,
            "at": datetime.now(UTC).isoformat(),
        }
        write_atomic(self.sent_dir / f"{path.name}.mdn.json", json.dumps(record).encode())
        path.rename(self.sent_dir / path.name)
        self._state_path(path).unlink(missing_ok=True)
        AS2_SENT.labels(self.system, "processed").inc()
        return True

    def receive_mdn(self, headers: dict[str, str], body: bytes) -> None:
        """An asynchronous MDN posted by the partner; BadSignature when it proves nothing.

        It must be signed by the partner and answer a message the hub sent and
        still waits for (or settled already: a repeat is taken, changing nothing).
        """
        for d in (self.state_dir, self.sent_dir, self.failed_dir, self.settled_dir):
            d.mkdir(parents=True, exist_ok=True)

        def mic_of(mid: str) -> bytes | None:
            settled = self.settled_dir / f"{_mid_digest(mid)}.json"
            if settled.exists():
                return str(json.loads(settled.read_text())["mic"]).encode()
            found = self._waiting(mid)
            return found[1].mic.encode() if found is not None and found[1].mic else None

        mid, disposition, detail = self.link.verify_async_mdn(headers, body, mic_of)
        with self._locked("state.lock"):
            found = self._waiting(mid)
            if found is None:
                return  # settled by an earlier copy of this MDN
            path, state = found
            write_atomic(
                self.settled_dir / f"{_mid_digest(mid)}.json",
                json.dumps({"message_id": mid, "mic": state.mic}).encode(),
            )
            self._settle(path, state, mid, state.mic, disposition, detail)

    def _waiting(self, message_id: str) -> tuple[Path, _Sending] | None:
        """The outbound file sent under this AS2 message id, with its state."""
        for state_path in self.state_dir.glob("*.x12.json"):
            try:
                state = _Sending(**json.loads(state_path.read_text()))
            except FileNotFoundError:
                continue
            path = self.mailbox.outbound / state_path.name.removesuffix(".json")
            if state.message_id == message_id and path.exists():
                return path, state
        return None

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
        with self._locked("state.lock"):
            if not path.exists():
                return  # its MDN settled it meanwhile
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
