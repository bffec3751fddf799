"""What every SQL repository stands on: the engine, its dialect, and a way to open a write."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Engine

from crossdock.store.dialect import Dialect
from crossdock.store.write import WriteTx

OpenWrite = Callable[[], AbstractContextManager[WriteTx]]


class SqlRepo:
    """A repository over one engine: reads open a connection, writes go through ``write``."""

    def __init__(self, engine: Engine, dialect: Dialect, write: OpenWrite) -> None:
        self._engine = engine
        self._dialect = dialect
        self._write = write
