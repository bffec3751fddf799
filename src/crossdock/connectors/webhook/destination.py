"""The webhook system as a destination: signed JSON POSTs, one per batch or per delivery.

Delivery guarantee: at-least-once. Every POST carries Standard Webhooks
headers and an ``Idempotency-Key`` equal to its ``webhook-id``: the
``delivery_id`` in single mode, ``batch_<sha256 of the sorted delivery ids>``
in batch mode (the same set of deliveries always gets the same id). Each
delivery object also carries its own ``id``, which is what a receiver should
deduplicate on, since a retried subset of a batch is a new message.

Answers:

* 2xx: every delivery ``DELIVERED``, unless the JSON body says otherwise with
  ``{"results": [{"id", "status": "ok"|"failed"|"retry", "native_id", "error"}]}``;
  deliveries it does not list count as delivered, native ids go to the crosswalk.
* 429, 408, 5xx, timeouts, connection errors: ``RetryableError`` for the whole
  batch (``retry_after`` from ``Retry-After``). In single mode, once some
  deliveries are answered, the rest come back as ``RETRY`` results instead, so
  delivered ones are not sent again.
* any other status: ``FAILED`` per delivery, code ``REJECTED_BY_DESTINATION``,
  with the status and the first 500 characters of the body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.kit.http import DEFAULT_POLICY, status_error
from crossdock.connectors.webhook.client import Answer, WebhookClient
from crossdock.connectors.webhook.mapper import BATCH_TYPE, batch_id, delivery_json, dumps
from crossdock.connectors.webhook.signing import Signer
from crossdock.errors import ErrorCode, PermanentError, RetryableError
from crossdock.observability import tracing

ERROR_CHARS = 500
_BATCH_HEAD = b'{"type":' + json.dumps(BATCH_TYPE).encode("ascii") + b',"deliveries":['


def _clip(text: str) -> str:
    return text[:ERROR_CHARS]


class WebhookDestination:
    """Pushes deliveries to one URL; implements :class:`~crossdock.connectors.base.Destination`."""

    def __init__(
        self,
        client: WebhookClient,
        signer: Signer,
        *,
        batch: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.signer = signer
        self.batch = batch
        self._clock = clock

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        """Push a batch; one result per delivery, or ``RetryableError`` if none was answered."""
        results: dict[str, DeliveryResult] = {}
        ready: list[tuple[Delivery, bytes]] = []
        for d in batch:
            try:
                ready.append((d, dumps(delivery_json(d))))
            except (TypeError, ValueError) as exc:
                results[d.delivery_id] = DeliveryResult(
                    d.delivery_id,
                    DeliveryStatus.FAILED,
                    error=f"cannot encode delivery as JSON: {exc}",
                    code=ErrorCode.MAPPING_FAILED,
                )
        try:
            if self.batch:
                if ready:
                    body = _BATCH_HEAD + b",".join(b for _, b in ready) + b"]}"
                    msg_id = batch_id(d.delivery_id for d, _ in ready)
                    results.update(self._send(msg_id, body, [d for d, _ in ready]))
            else:
                for d, body in ready:
                    results.update(self._send(d.delivery_id, body, [d]))
        except RetryableError as exc:
            if not results:
                raise
            for d in batch:
                results.setdefault(
                    d.delivery_id,
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.RETRY,
                        error=exc.message,
                        code=exc.code,
                        retry_after=exc.retry_after,
                    ),
                )
        return [results[d.delivery_id] for d in batch]

    def notify(self, msg_id: str, document: Mapping[str, Any]) -> None:
        """POST one signed document of the hub's own (an alert); raises when not taken."""
        body = dumps(dict(document))
        headers = self.signer.headers(msg_id, int(self._clock()), body)
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = msg_id
        answer = self.client.post(body, headers)
        if answer.ok:
            return
        if DEFAULT_POLICY.is_retryable(answer.status):
            raise status_error(answer, self.client.where)
        raise PermanentError(
            f"{self.client.where} refused the notice: HTTP {answer.status} {answer.reason}",
            code=ErrorCode.REJECTED_BY_DESTINATION,
        )

    # -- one POST -----------------------------------------------------------------------
    def _send(
        self, msg_id: str, body: bytes, deliveries: Sequence[Delivery]
    ) -> dict[str, DeliveryResult]:
        headers = self.signer.headers(msg_id, int(self._clock()), body)
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = msg_id
        # The POST is a span under the first change it carries, linked to the others';
        # each delivery in the body keeps its own change's traceparent.
        traces = [d.traceparent for d in deliveries if d.traceparent]
        with tracing.span(
            "crossdock.webhook.post",
            traces[0] if traces else None,
            links=traces[1:],
            attributes={"deliveries": len(deliveries)},
        ) as trace:
            headers["traceparent"] = trace
            answer = self.client.post(body, headers)
        if answer.ok:
            return self._accepted(answer, deliveries)
        if DEFAULT_POLICY.is_retryable(answer.status):
            raise status_error(answer, self.client.where)
        body_text = _clip(answer.text)
        error = f"HTTP {answer.status} {answer.reason}" + (f": {body_text}" if body_text else "")
        return {
            d.delivery_id: DeliveryResult(
                d.delivery_id,
                DeliveryStatus.FAILED,
                error=error,
                code=ErrorCode.REJECTED_BY_DESTINATION,
            )
            for d in deliveries
        }

    def _accepted(
        self, answer: Answer, deliveries: Sequence[Delivery]
    ) -> dict[str, DeliveryResult]:
        out = {
            d.delivery_id: DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED)
            for d in deliveries
        }
        retry_after = answer.retry_after
        for entry in _result_entries(answer):
            did = entry.get("id")
            if not isinstance(did, str) or did not in out:
                continue
            out[did] = _result(did, entry, retry_after)
        return out


def _result_entries(answer: Answer) -> list[dict[str, Any]]:
    if not answer.body.strip() or answer.truncated:
        return []
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return []
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        return []
    return [r for r in results if isinstance(r, dict)]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _result(did: str, entry: dict[str, Any], retry_after: float | None) -> DeliveryResult:
    status = entry.get("status")
    native = entry.get("native_id")
    plain = isinstance(native, str | int) and not isinstance(native, bool)
    native_id = str(native) if plain else None
    error = _text(entry.get("error"))
    if status == "ok":
        return DeliveryResult(did, DeliveryStatus.DELIVERED, native_id=native_id or None)
    if status == "retry":
        return DeliveryResult(
            did,
            DeliveryStatus.RETRY,
            error=_clip(error or "destination asked to retry"),
            code=ErrorCode.TRANSIENT,
            retry_after=retry_after,
        )
    if status == "failed":
        reason = error or "destination reported the delivery as failed"
    else:
        reason = f"destination answered an unknown result status {status!r}"
        reason += f": {error}" if error else ""
    return DeliveryResult(
        did,
        DeliveryStatus.FAILED,
        error=_clip(reason),
        code=ErrorCode.REJECTED_BY_DESTINATION,
    )


__all__ = ["ERROR_CHARS", "WebhookDestination"]
