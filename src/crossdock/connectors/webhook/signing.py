"""Standard Webhooks signing and verification (HMAC-SHA256 over ``id.timestamp.body``).

The HMAC itself is the ``standardwebhooks`` package's :class:`Webhook`, so
what we sign is exactly what receivers verify with their own libraries.
Verification is ours around it because the package's ``verify`` has a fixed
five-minute tolerance and no field-level errors: here a missing header, an
unreadable or out-of-tolerance timestamp and a non-matching signature each
raise ``InvalidInput`` (code ``BAD_SIGNATURE``) naming the header at fault.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks import Webhook

from crossdock.connectors.webhook.errors import bad_signature, malformed_body

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
_PREFIX = "whsec_"


def parse_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` (or bare base64) secret; ``ValueError`` if unusable."""
    text = secret.strip().removeprefix(_PREFIX)
    if not text:
        raise ValueError("the secret is empty")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("the secret is not whsec_ followed by base64") from exc
    if not key:
        raise ValueError("the secret is empty")
    return key


class Signer:
    """Signs (and checks) messages with one Standard Webhooks secret."""

    __slots__ = ("_webhook",)

    def __init__(self, secret: str | bytes) -> None:
        key = parse_secret(secret) if isinstance(secret, str) else secret
        if not key:
            raise ValueError("the secret is empty")
        self._webhook = Webhook(key)

    def signature(self, msg_id: str, timestamp: int, body: bytes | str) -> str:
        """The ``v1,<base64>`` signature of one message."""
        text = body if isinstance(body, str) else body.decode("utf-8")
        return self._webhook.sign(msg_id, datetime.fromtimestamp(timestamp, UTC), text)

    def headers(self, msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
        """The three Standard Webhooks headers for one message."""
        return {
            HEADER_ID: msg_id,
            HEADER_TIMESTAMP: str(timestamp),
            HEADER_SIGNATURE: self.signature(msg_id, timestamp, body),
        }


def _unix(timestamp: int | datetime) -> int:
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        return int(timestamp.timestamp())
    return int(timestamp)


def sign_request(
    secret: str, msg_id: str, timestamp: int | datetime, body: bytes | str
) -> dict[str, str]:
    """Headers that make ``body`` a signed Standard Webhooks request (for tests and the demo)."""
    return Signer(secret).headers(msg_id, _unix(timestamp), body)


@dataclass(frozen=True, slots=True)
class Verified:
    """What a verified request tells us besides its body."""

    msg_id: str
    timestamp: datetime
    text: str


def _v1_signatures(header: str) -> list[bytes]:
    found: list[bytes] = []
    for entry in header.split():
        version, sep, value = entry.partition(",")
        if not sep or version != "v1":
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except binascii.Error:
            continue
    return found


def verify(
    signer: Signer | str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: datetime | None = None,
) -> Verified:
    """Check a request's Standard Webhooks headers against its body, or raise ``InvalidInput``."""
    if isinstance(signer, str):
        signer = Signer(signer)
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE):
        if not lowered.get(name, "").strip():
            raise bad_signature(name, f"the {name} header is missing")
    msg_id = lowered[HEADER_ID]
    raw_ts = lowered[HEADER_TIMESTAMP].strip()
    if not raw_ts.isascii() or not raw_ts.isdigit():
        raise bad_signature(
            HEADER_TIMESTAMP, f"{raw_ts[:40]!r} is not an integer Unix timestamp in seconds"
        )
    ts = int(raw_ts)
    current = int((now or datetime.now(UTC)).timestamp())
    skew = current - ts
    if skew > tolerance_seconds:
        raise bad_signature(
            HEADER_TIMESTAMP,
            f"timestamp is {skew}s old; the tolerance is {tolerance_seconds}s "
            "(replayed request or sender clock behind)",
        )
    if -skew > tolerance_seconds:
        raise bad_signature(
            HEADER_TIMESTAMP,
            f"timestamp is {-skew}s in the future; the tolerance is {tolerance_seconds}s "
            "(sender clock ahead)",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed_body("body", f"not UTF-8 text (byte {exc.start})") from exc
    expected = base64.b64decode(signer.signature(msg_id, ts, text).partition(",")[2])
    offered = _v1_signatures(lowered[HEADER_SIGNATURE])
    if not offered:
        raise bad_signature(HEADER_SIGNATURE, "no v1,<base64> signature in the header")
    if not any(hmac.compare_digest(expected, sig) for sig in offered):
        raise bad_signature(
            HEADER_SIGNATURE,
            "no v1 signature matches the body with the configured secret "
            "(wrong secret, or the body was changed after signing)",
        )
    return Verified(msg_id=msg_id, timestamp=datetime.fromtimestamp(ts, UTC), text=text)


__all__ = [
    "HEADER_ID",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "Signer",
    "Verified",
    "parse_secret",
    "sign_request",
    "verify",
]
