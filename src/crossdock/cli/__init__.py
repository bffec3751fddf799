"""The `crossdock` command line: one module per command group; :mod:`.main` holds the app."""

from __future__ import annotations

from crossdock.cli.main import app

__all__ = ["app"]
