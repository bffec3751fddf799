"""Every CLI failure is one clear line on stderr and a non-zero exit, never a traceback.

:func:`guard` wraps every command of the app (and of its sub-apps) once, at
import: whatever a command raises becomes ``error: <what>, <where>; <what to
do>`` and exit 2 (1 for a failure nobody anticipated, which also says how to
see the traceback: ``CROSSDOCK_DEBUG=1``). :func:`port_in_use` lets `serve`
and `demo` say a port is taken before they start work.
"""

from __future__ import annotations

import errno
import functools
import os
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer
from pydantic import ValidationError
from rich.console import Console

from crossdock.errors import CrossdockError
from crossdock.observability.redaction import redact_text
from crossdock.store.engine import database_failure

F = TypeVar("F", bound=Callable[..., Any])
DEBUG_ENV = "CROSSDOCK_DEBUG"
_err = Console(stderr=True, soft_wrap=True)

_OS_ADVICE = {
    errno.ENOENT: "check the path (does its folder exist?)",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOSPC: "free some disk space",
    errno.EROFS: "the file system is read-only",
    errno.EADDRINUSE: "another process listens there: choose another --port or stop it",
}


def _first_line(text: str) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return redact_text(line)


def explain(exc: BaseException) -> tuple[str, int]:
    """The one line that says what failed (and what to do), and the exit code."""
    if isinstance(exc, CrossdockError):
        return _first_line(exc.message) or type(exc).__name__, 2
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors()[:3]:
            where = ".".join(str(p) for p in e["loc"]) or exc.title
            parts.append(f"{where}: {e['msg']}")
        more = len(exc.errors()) - 3
        return "; ".join(parts) + (f" (and {more} more)" if more > 0 else ""), 2
    failure = database_failure(exc)
    if failure is not None:
        reason = _first_line(failure)
        return (
            f"the store cannot be used: {reason} (check store.url or --store: is the "
            "server running, are the user and password right, does the database exist?)",
            2,
        )
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        advice = _OS_ADVICE.get(exc.errno or 0, "")
        line = f"{where}: {what}" if where else what
        return line + (f"; {advice}" if advice else ""), 2
    if isinstance(exc, KeyError | ValueError | LookupError):
        return _first_line(str(exc.args[0]) if exc.args else str(exc)), 2
    return (
        f"unexpected {type(exc).__name__}: {_first_line(str(exc))} "
        f"(set {DEBUG_ENV}=1 to see the traceback, and please report it)",
        1,
    )


def guarded(func: F) -> F:
    """``func`` with every exception but an exit turned into one line and an exit code."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _err.print("interrupted", highlight=False)
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            line, code = explain(exc)
            _err.print(f"[red]error:[/red] {line}", highlight=False)
            raise typer.Exit(code) from None

    return run  # type: ignore[return-value]


def guard(app: typer.Typer) -> typer.Typer:
    """Wrap every command of ``app`` and of the apps added to it (once)."""
    for command in app.registered_commands:
        if command.callback is not None and not hasattr(command.callback, "__wrapped__"):
            command.callback = guarded(command.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard(group.typer_instance)
    return app


def port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on now, or ``None`` when it is free."""
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


__all__ = ["DEBUG_ENV", "explain", "guard", "guarded", "port_in_use"]
