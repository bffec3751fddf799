"""The rooms of ../shared/ARCHITECTURE.md and who may import whom, checked on the source.

Arrows point down only: faces (cli, api, ui, demo) -> the work (services,
sync, connectors) -> what the work stands on (config, store, observability)
-> the canonical model. ``model`` imports nothing of the project; ``sync``
never imports a concrete connector (only the protocols in
``connectors.base`` and the registry that finds a connector by kind);
``services`` may call ``sync`` (the one sideways
arrow); connectors never reach into the engine or the services. The console
(``ui``) uses the services as the API does, and of the API only its key check,
scopes, masking and error type (:data:`UI_MAY_USE_OF_API`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import crossdock

SRC = Path(crossdock.__file__).parent

FACES = {"api", "ui", "cli", "app"}  # app: the application the faces run
FACES.add("demo")
WORK = {"services", "sync", "connectors"}
BASE = {"config", "store", "observability"}
CORE = {"model", "errors", "clock", "__init__"}  # the package root: the version and the clock
SYNC_MAY_USE = {"crossdock.connectors.base", "crossdock.connectors.registry"}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> list[tuple[str, str]]:
    """(importing module, imported crossdock module) for every import in the package."""
    found: list[tuple[str, str]] = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found += [(module, n) for n in names if n.split(".")[0] == "crossdock"]
    return found


UI_MAY_USE_OF_API = {
    "crossdock.api.auth",  # the key check a session repeats on every page
    "crossdock.api.keys",  # scopes, the key's prefix and hash
    "crossdock.api.masking",  # what a viewer may not see, as the API masks it
    "crossdock.api.problems",  # the ApiError a refused key raises
}
"""The console stands beside the API on the same services; of the API it reuses only these."""


def _allowed(src: str, dst: str) -> bool:
    a, b = _room(src), _room(dst)
    if a == "ui" and b == "api":
        return dst in UI_MAY_USE_OF_API
    if a == "api" and b == "ui":
        return dst == "crossdock.ui"  # the app mounts the console through its package face
    if a == b or a in FACES:
        return True
    if a in CORE:
        return False
    if a in BASE:
        return b in BASE | CORE
    if a in WORK:
        if b in BASE | CORE:
            return True
        if a == "services" and b == "sync":
            return True
        return a == "sync" and dst in SYNC_MAY_USE
    return False


def test_every_room_is_one_the_architecture_names() -> None:
    rooms = {_room(m) for m, _ in _imports()}
    assert rooms <= FACES | WORK | BASE | CORE, rooms - (FACES | WORK | BASE | CORE)


def test_imports_point_down_only() -> None:
    bad = sorted(f"{src} -> {dst}" for src, dst in _imports() if not _allowed(src, dst))
    assert not bad, "imports against ../shared/ARCHITECTURE.md:\n" + "\n".join(bad)


def test_the_rules_themselves_refuse_what_the_architecture_forbids() -> None:
    assert not _allowed("crossdock.model.product", "crossdock.store")
    assert not _allowed("crossdock.model.product", "crossdock.errors")
    assert not _allowed("crossdock.sync.delivery", "crossdock.connectors.webhook.client")
    assert not _allowed("crossdock.sync.ingest", "crossdock.services.pricing")
    assert not _allowed("crossdock.connectors.files.source", "crossdock.sync.ingest")
    assert not _allowed("crossdock.store.write", "crossdock.sync.ingest")
    assert _allowed("crossdock.services.pricing.publish", "crossdock.sync.ingest")
    assert _allowed("crossdock.sync.ingest", "crossdock.connectors.base")
    assert not _allowed("crossdock.ui.exceptions", "crossdock.api.routers.exceptions")
    assert _allowed("crossdock.ui.session", "crossdock.api.auth")
    assert not _allowed("crossdock.api.app", "crossdock.ui.session")


# -- the store keeps its SQL -------------------------------------------------------------
_SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
)


def _outside_store() -> list[tuple[str, ast.Module]]:
    """(path relative to the package, parsed module) of every module not under store/."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] != "store":
            out.append((str(rel), ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _database_imports(tree: ast.Module) -> list[str]:
    """What a module imports that only the store may: SQLAlchemy and the table definitions."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [
            n
            for n in names
            if n.split(".")[0] == "sqlalchemy" or n.startswith("crossdock.store.schema")
        ]
    return found


def _sql_literals(tree: ast.Module) -> list[str]:
    return [
        f"line {node.lineno}: {node.value[:60]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _SQL.search(node.value)
    ]


def test_no_module_outside_the_store_imports_sqlalchemy_or_the_schema() -> None:
    bad = [f"{rel}: {n}" for rel, tree in _outside_store() for n in _database_imports(tree)]
    assert not bad, "only crossdock.store may talk SQL:\n" + "\n".join(bad)


def test_no_module_outside_the_store_holds_raw_sql() -> None:
    bad = [f"{rel} {hit}" for rel, tree in _outside_store() for hit in _sql_literals(tree)]
    assert not bad, "SQL belongs in a store repository:\n" + "\n".join(bad)


def test_the_sql_rules_themselves_catch_what_they_forbid() -> None:
    tree = ast.parse(
        "import sqlalchemy\n"
        "from crossdock.store import schema\n"
        "Q = 'SELECT id FROM records'\n"
        "U = f'UPDATE parked SET status = {1}'\n"
        "D = 'DELETE FROM inbox'\n"
        "I = 'INSERT INTO events (seq) VALUES (1)'\n"
        "OK = 'select the records a route delivers'\n"
    )
    assert _database_imports(tree) == ["sqlalchemy", "crossdock.store.schema"]
    assert len(_sql_literals(tree)) == 4


def test_code_outside_the_store_asks_the_store_not_the_backend_name() -> None:
    branch = re.compile(r"is_postgres|\.backend\s*[=!]=")
    bad = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] != "store"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if branch.search(line)
    ]
    assert not bad, "ask the store (store.is_embedded, stx.serial_writers, ...):\n" + "\n".join(bad)
