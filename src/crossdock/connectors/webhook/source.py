"""The webhook system as a source: signed inbound requests to changes.

:class:`WebhookSource` implements the
:class:`~crossdock.connectors.base.WebhookReceiver` protocol (it receives; it
does not pull). It verifies the Standard Webhooks headers first, so nothing
of an unsigned, tampered, stale or replayed-too-late request is read, then
parses the body and maps each change (see :mod:`.mapper` for the format).
It does no I/O: the API answers the request once ingest has recorded the
changes, and the work happens behind the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from crossdock.connectors.base import SourceItem
from crossdock.connectors.webhook.mapper import map_inbound, parse_body
from crossdock.connectors.webhook.signing import Signer, verify


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookSource:
    """Verifies and maps inbound requests for one system."""

    def __init__(
        self,
        system: str,
        signer: Signer,
        *,
        tolerance_seconds: int = 300,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.system = system
        self.signer = signer
        self.tolerance_seconds = tolerance_seconds
        self._clock = clock

    def receive(self, headers: Mapping[str, str], body: bytes) -> list[SourceItem]:
        """Verify (``InvalidInput``/``BAD_SIGNATURE``), parse (``VALIDATION_FAILED``) and map."""
        checked = verify(
            self.signer,
            headers,
            body,
            tolerance_seconds=self.tolerance_seconds,
            now=self._clock(),
        )
        payload = parse_body(checked.text)
        return map_inbound(
            payload, system=self.system, msg_id=checked.msg_id, timestamp=checked.timestamp
        )


__all__ = ["WebhookSource"]
