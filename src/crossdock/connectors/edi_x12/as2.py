"""AS2 (RFC 4130) with one trading partner, through pyas2lib: the signing and encryption layer.

Inbound, the partner's signature checked against its certificate *is* the
authentication of the hub's AS2 route: a message that is not signed and
encrypted for the hub, or whose signature does not verify, is refused as
:class:`~crossdock.errors.BadSignature` before anything of it is read. A
verified message yields its payload and the signed MDN that answers it, with
the URL the partner asked it to be posted to when it wants it asynchronously
(``Receipt-Delivery-Option``). Outbound, a document is signed with the hub's
key and encrypted to the partner's certificate, asking for the MDN in the
answer or, when ``mdn_url`` is set, posted later to that URL; either way the
MDN is verified against the partner's certificate and its MIC compared with
the one sent.

Keys come from files the hub file names or from environment variables
(:class:`~crossdock.connectors.edi_x12.config.PemSource`), never from the
repository. pyas2lib is the ``crossdock[as2]`` extra, imported only when a
partner has ``as2`` settings. Its crypto backend oscrypto, in its last PyPI
release (1.3.0), cannot read the version string of OpenSSL 3.0.10 and later
(wbond/oscrypto#78; fixed in Debian's python3-oscrypto and in its repository):
on such a machine the import fails until the fixed oscrypto is installed, and
AS2 then answers 503 naming the cause instead of running half-way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossdock.connectors.base import config_invalid, secret_from_env
from crossdock.connectors.edi_x12.config import As2Settings, PemSource
from crossdock.errors import BadSignature, ErrorCode, RetryableError

_REFUSALS = (
    "PartnerNotFound",
    "InsufficientSecurityError",
    "IntegrityError",
    "DecryptionError",
    "ImproperlyConfigured",
)


# pyas2lib's own answers when it could not verify an MDN (as opposed to the partner's
# verified disposition): such an MDN proves nothing and changes nothing
_UNPROVEN_MDN = (
    "Expected signed MDN",
    "Failed to parse received MDN",
    "mdn-not-found",
    "original-message-not-found",
)


def _lib() -> Any:
    try:
        import pyas2lib
    except ImportError as exc:
        raise RetryableError(
            "AS2 needs pyas2lib: pip install 'crossdock[as2]'",
            code=ErrorCode.MISSING_DEPENDENCY,
        ) from exc
    except Exception as exc:  # its crypto backend refused to load (see the module doc)
        raise RetryableError(
            f"AS2 is unavailable in this process: pyas2lib's crypto backend (oscrypto) could "
            f"not load ({exc}); on Debian/Ubuntu: apt-get install python3-oscrypto && "
            f"scripts/as2-debian-oscrypto (docs/connectors/edi_x12.md)",
            code=ErrorCode.MISSING_DEPENDENCY,
        ) from exc
    return pyas2lib


@dataclass(frozen=True, slots=True)
class Received:
    """A verified inbound message: its id, payload, and the MDN answering it."""

    message_id: str
    payload: bytes
    filename: str | None
    duplicate: bool
    mdn_headers: dict[str, str]
    mdn_body: bytes
    mdn_url: str | None = None
    """Where the partner wants the MDN posted (asynchronous), or None: in the answer."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    message: Any
    """pyas2lib's Message, kept to verify the MDN against (its MIC)."""
    message_id: str
    headers: dict[str, str]
    body: bytes


def raw_message(headers: Mapping[str, str], body: bytes) -> bytes:
    """HTTP headers and body as the MIME message pyas2lib parses."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("utf-8") + b"\r\n" + body


class As2Link:
    """The hub and one partner as AS2 parties (keys loaded once per connector)."""

    def __init__(
        self,
        system: str,
        settings: As2Settings,
        *,
        cwd: Path,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        lib = _lib()
        env = os.environ if environ is None else environ
        self.system = system
        self.settings = settings
        password = (
            secret_from_env(
                system, "as2.key_password_env", settings.key_password_env, env, "the key's password"
            )
            if settings.key_password_env
            else None
        )
        key = self._pem(settings.key, "as2.key", cwd, env)
        cert = self._pem(settings.partner_certificate, "as2.partner_certificate", cwd, env)
        try:
            self.org = lib.Organization(
                as2_name=settings.ours,
                sign_key=key,
                sign_key_pass=password,
                decrypt_key=key,
                decrypt_key_pass=password,
                mdn_url=settings.mdn_url,
            )
            self.partner = lib.Partner(
                as2_name=settings.theirs,
                verify_cert=cert,
                encrypt_cert=cert,
                sign=True,
                encrypt=True,
                enc_alg=settings.encryption,
                mdn_mode="ASYNC" if settings.mdn_url else "SYNC",
                mdn_digest_alg="sha256",
            )
        except Exception as exc:  # pyas2lib raises its own and oscrypto's errors
            raise config_invalid(system, "as2", f"the keys cannot be used: {exc}") from exc

    def _pem(self, src: PemSource, field: str, cwd: Path, env: Mapping[str, str]) -> bytes:
        if src.env is not None:
            return secret_from_env(self.system, field, src.env, env, "the PEM text").encode()
        assert src.file is not None
        path = src.file.expanduser()
        path = path if path.is_absolute() else cwd / path
        try:
            return path.read_bytes()
        except OSError as exc:
            raise config_invalid(self.system, field, f"cannot read {path}: {exc.strerror}") from exc

    # -- inbound -----------------------------------------------------------------------------
    def receive(
        self, headers: Mapping[str, str], body: bytes, seen: Callable[[str], bool]
    ) -> Received:
        """Decrypt and verify a message; BadSignature when it is not the partner's, signed.

        ``seen`` answers whether a message id was taken before (the MDN then says
        so and the payload is not to be processed again).
        """
        lib = _lib()
        msg = lib.Message()
        try:
            _status, exc, mdn = msg.parse(
                raw_message(headers, body),
                find_org_cb=lambda name: self.org if name == self.settings.ours else None,
                find_partner_cb=lambda name: self.partner if name == self.settings.theirs else None,
            )
        except Exception as err:  # pyas2lib builds an error MDN outside its own guard
            raise BadSignature(f"AS2 message refused: {type(err).__name__}: {err}") from None
        # The message id is looked up here, after the signature, not by pyas2lib's
        # callback: it asks before verifying, and a replayed id would get an MDN unproven.
        failure = exc[0] if exc else None  # (None, None) when the message was taken
        if failure is not None:
            kind = type(failure).__name__
            why = str(failure) if kind in _REFUSALS else f"{kind}: {failure}"
            raise BadSignature(f"AS2 message refused: {why}")
        if msg.payload is None or not msg.signed or not msg.encrypted:
            raise BadSignature("AS2 message refused: it is not signed and encrypted")
        duplicate = seen(msg.message_id)
        payload = msg.payload.get_payload(decode=True) or b""
        mdn_headers = dict(mdn.headers) if mdn is not None else {}
        mdn_body = mdn.content if mdn is not None else b""
        mdn_url = getattr(mdn, "mdn_url", None) if mdn is not None else None
        return Received(
            message_id=msg.message_id,
            payload=payload,
            filename=msg.payload.get_filename(),
            duplicate=duplicate,
            mdn_headers={k: str(v) for k, v in mdn_headers.items()},
            mdn_body=mdn_body if isinstance(mdn_body, bytes) else str(mdn_body).encode(),
            mdn_url=str(mdn_url).strip() if mdn_url else None,
        )

    # -- outbound ----------------------------------------------------------------------------
    def build(self, data: bytes, filename: str, local_id: str) -> Outgoing:
        """A signed, encrypted message asking for a signed MDN; the same id on every retry."""
        lib = _lib()
        msg = lib.Message(self.org, self.partner)
        msg.build(
            data,
            filename=filename,
            subject=f"X12 {filename}",
            message_id=local_id,
            disposition_notification_to=f"{self.settings.ours}@crossdock",
        )
        return Outgoing(
            msg, msg.message_id, {k: str(v) for k, v in msg.headers.items()}, msg.content
        )

    def verify_mdn(self, out: Outgoing, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
        """The MDN's disposition (``processed`` when taken and the MIC matched) and detail."""
        lib = _lib()
        status, detail = lib.Mdn().parse(
            raw_message(headers, body),
            lambda mid, _rcpt: out.message if mid == out.message_id else None,
        )
        return str(status or "failed/Failure"), str(detail or "")

    def verify_async_mdn(
        self, headers: Mapping[str, str], body: bytes, sent: Callable[[str], bytes | None]
    ) -> tuple[str, str, str]:
        """An MDN posted to the hub: (original message id, disposition, detail).

        ``sent`` answers the MIC of a message the hub sent under that id and still
        waits an MDN for (None: no such message). An MDN that is not signed by the
        partner, or answers no such message, is BadSignature: it changes nothing.
        """
        lib = _lib()
        found: dict[str, str] = {}

        def find(mid: str, _rcpt: str) -> Any:
            mic = sent(mid)
            if mic is None:
                return None
            msg = lib.Message(self.org, self.partner)
            msg.message_id, msg.mic = mid, mic
            found["id"] = mid
            return msg

        status, detail = lib.Mdn().parse(raw_message(headers, body), find)
        status, detail = str(status or ""), str(detail or "")
        if "id" not in found:
            raise BadSignature(f"AS2 MDN refused: it answers no message waiting for one ({detail})")
        if status == "failed/Failure" and detail.startswith(_UNPROVEN_MDN):
            raise BadSignature(f"AS2 MDN refused: {detail}")
        return found["id"], status, detail


__all__ = ["As2Link", "Outgoing", "Received", "raw_message"]
