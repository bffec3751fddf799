"""Opening a store by URL: SQLite (the embedded default) or PostgreSQL.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable at checkpoint,
safe against corruption), a generous busy timeout, and write transactions
opened with ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock
upgrade. Reads open a deferred transaction and never block writers.
PostgreSQL goes through psycopg 3, imported only when asked for.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from crossdock.errors import ConfigInvalid, MissingDependency

WRITE = "crossdock_write"


def normalize_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``postgres://``) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL (``None``: another backend, or in memory)."""
    try:
        parsed = make_url(normalize_url(url))
    except Exception:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def database_failure(exc: BaseException) -> str | None:
    """The driver's own first line when ``exc`` is the database refusing us, else ``None``."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigInvalid(
            f"store.url: {url!r} is not a database URL ({exc})", field="store.url"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database, echo)
    if backend == "postgresql":
        if importlib.util.find_spec("psycopg") is None:
            raise MissingDependency("a PostgreSQL store", "postgres")
        # No pre-ping: it is a round trip on every checkout (a delivery pass makes about
        # eight). A connection the server dropped fails one operation, SQLAlchemy then
        # discards the pool, and the sync loop's next pass starts from committed state.
        return create_engine(url, echo=echo, pool_size=10, max_overflow=20, future=True)
    raise ConfigInvalid(
        f"store.url: backend {backend!r} is not supported; use sqlite:/// or postgresql://",
        field="store.url",
    )


def read_connection(engine: Engine) -> Connection:
    """A connection for a few reads that need no snapshot shared between statements.

    On PostgreSQL it runs in autocommit: at READ COMMITTED (the store's level)
    every statement takes its own snapshot inside a transaction or not, so the
    BEGIN and ROLLBACK round trips buy nothing. On SQLite it is a plain
    connection: its read transaction costs no round trip and keeps one snapshot.
    """
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def _create_private(path: Path) -> None:
    """Create a new store file readable by its owner alone (0600).

    SQLite would create it with the umask's mode (usually 0644), and the store holds
    API key hashes, cost prices and customer data; its ``-wal`` and ``-shm`` files
    take the database file's mode. An existing file is left as its owner set it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_engine(url: str, database: str | None, echo: bool) -> Engine:
    memory = not database or database == ":memory:"
    if not memory and database:
        _create_private(Path(database).expanduser())
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
    if memory:
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
    else:
        # Keep connections: opening one costs the PRAGMAs, and closing the last one
        # checkpoints the WAL (about 1.5 ms together, which was half of a small
        # delivery pass). An idle pooled connection holds no read transaction, so it
        # does not hold checkpoints back.
        kwargs["poolclass"] = QueuePool
        # As many kept as the API's worker threads (40) can ask for at once: an
        # overflow connection is opened, and closed again, per checkout past the pool.
        kwargs["pool_size"] = 40
        kwargs["max_overflow"] = 24
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is wrong for us).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


__all__ = [
    "WRITE",
    "create_store_engine",
    "database_failure",
    "normalize_url",
    "read_connection",
    "sqlite_file",
]
