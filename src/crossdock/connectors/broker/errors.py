"""Translating broker-client failures into Crossdock's error tree.

Nothing from nats-py or aio-pika leaves the connector: a broker that cannot
be reached, a publish whose confirm did not come in time, a JetStream
``503 no responders`` or a RabbitMQ nack/channel error is a
:class:`~crossdock.errors.RetryableError` (the engine backs off, opens the
route's circuit, and in the end parks); a message the broker refuses for
good (no stream bound to the subject, an unroutable routing key) is a
``FAILED`` result with ``REJECTED_BY_DESTINATION``.
"""

from __future__ import annotations

from crossdock.connectors.base import config_invalid
from crossdock.errors import ErrorCode, RetryableError


def unavailable(where: str, exc: BaseException | str) -> RetryableError:
    """The broker is down, slow, or pushing back: try again later."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return RetryableError(f"{where}: {text or 'no answer'}", code=ErrorCode.DESTINATION_UNAVAILABLE)


__all__ = ["config_invalid", "unavailable"]
