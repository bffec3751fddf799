"""Structured logs: JSON lines through structlog, or readable lines on a terminal.

Every record, from structlog or the standard library (httpx, uvicorn, SQLAlchemy),
passes :func:`~crossdock.observability.redaction.redact_event` after its exception
is rendered and before it is written, so no secret reaches the output at any level.
httpx and httpcore log each request's URL at INFO and DEBUG; they are held at
WARNING (one line per delivered batch is noise, and URLs are where credentials sit).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from crossdock.observability.redaction import RedactingFilter, redact_event

#: Third-party loggers that log every request; kept at WARNING whatever the level.
CHATTY = ("httpx", "httpcore", "hpack", "urllib3")


def configure_logging(
    level: str = "INFO", *, json: bool | None = None, stream: TextIO | None = None
) -> None:
    """Route stdlib and structlog records through one redacting renderer."""
    out = sys.stderr if stream is None else stream
    if json is None:
        json = not out.isatty()
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.StackInfoRenderer(),
                structlog.processors.format_exc_info,
                redact_event,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    guard_other_handlers()


def guard_other_handlers() -> None:
    """Put the redacting filter on every handler already attached to a named logger.

    uvicorn, when it configures its own logging, attaches handlers to its loggers
    that do not pass through the root handler's formatter.
    """
    loggers = [logging.getLogger()]
    loggers += [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


__all__ = ["CHATTY", "configure_logging", "guard_other_handlers"]
