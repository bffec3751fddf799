"""The broker as a destination: each delivery one confirmed message.

Delivery guarantee: at-least-once on the wire, exactly-once in effect where the
broker or subscriber drops repeats by id. The message id is the delivery id:
JetStream drops a repeat within the stream's duplicate window
(``Nats-Msg-Id``); RabbitMQ does not de-duplicate, so subscribers drop repeats
by the AMQP ``message_id`` (and the CloudEvents ``id``, the same value).

A delivery counts as delivered only once the broker confirmed it (JetStream
PubAck, RabbitMQ publisher confirm). Answers:

* the broker unreachable before anything was sent, or nothing confirmed:
  ``RetryableError`` for the batch (retry with backoff, the route's circuit);
* some confirmed, others timed out or nacked: those are ``RETRY`` results;
* refused for good (no stream for the subject, unroutable key) or a subject the
  template cannot be filled for: ``FAILED`` — the engine parks the record, and
  later versions of it park behind, so one entity's order holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.broker.client import LoopThread, Publisher, Rejected, where
from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.errors import unavailable
from crossdock.connectors.broker.mapper import Message, to_message
from crossdock.errors import ErrorCode, RetryableError
from crossdock.observability import metrics


class BrokerDestination:
    """Publishes deliveries; implements :class:`~crossdock.connectors.base.Destination`."""

    def __init__(
        self, settings: BrokerSettings, publisher: Publisher, loop: LoopThread, system: str = ""
    ) -> None:
        self.system = system
        self.settings = settings
        self.publisher = publisher
        self.loop = loop
        self.where = where(settings)

    @property
    def unconfirmed(self) -> int:
        return self.publisher.unconfirmed

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        """Publish a batch; one result per delivery, or ``RetryableError`` if none was confirmed."""
        try:
            return self._push(batch)
        finally:
            metrics.BROKER_CONNECTED.labels(self.system).set(1 if self.publisher.connected else 0)
            metrics.BROKER_UNCONFIRMED.labels(self.system).set(self.publisher.unconfirmed)

    def _push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        results: dict[str, DeliveryResult] = {}
        ready: list[tuple[Delivery, Message]] = []
        for d in batch:
            try:
                mode = self.settings.content_mode_for(d.route)
                ready.append((d, to_message(d, self.settings.subject, mode)))
            except KeyError as exc:
                results[d.delivery_id] = _failed(
                    d,
                    f"subject template field {exc.args[0]!r} is not in the record",
                    ErrorCode.MAPPING_FAILED,
                )
            except (TypeError, ValueError) as exc:
                results[d.delivery_id] = _failed(
                    d, f"cannot encode delivery: {exc}", ErrorCode.MAPPING_FAILED
                )
        if ready:
            answers = self._publish([m for _, m in ready])
            transient: list[str] = []
            for (d, _m), answer in zip(ready, answers, strict=True):
                if answer is None:
                    results[d.delivery_id] = DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED)
                elif isinstance(answer, Rejected):
                    results[d.delivery_id] = _failed(
                        d, str(answer), ErrorCode.REJECTED_BY_DESTINATION
                    )
                else:
                    transient.append(d.delivery_id)
                    results[d.delivery_id] = DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.RETRY,
                        error=f"{self.where}: {type(answer).__name__}: {answer}"[:500],
                        code=ErrorCode.DESTINATION_UNAVAILABLE,
                    )
            if transient and len(transient) == len(results):
                raise unavailable(self.where, results[transient[0]].error or "no confirm")
        return [results[d.delivery_id] for d in batch]

    def _publish(self, messages: list[Message]) -> list[BaseException | None]:
        # The whole batch gets its confirms within one timeout per in-flight window.
        windows = -(-len(messages) // self.settings.max_in_flight)
        budget = self.settings.timeout_seconds * (windows + 1)
        try:
            return self.loop.run(self.publisher.publish(messages), budget)
        except RetryableError:
            raise
        except (FutureTimeout, OSError, Exception) as exc:
            raise unavailable(self.where, exc) from None


def _failed(d: Delivery, error: str, code: ErrorCode) -> DeliveryResult:
    return DeliveryResult(d.delivery_id, DeliveryStatus.FAILED, error=error[:500], code=code)


__all__ = ["BrokerDestination"]
