"""The rooms of ../shared/ARCHITECTURE.md and who may import whom, checked on the source.

Arrows point down only: faces (cli, api, ui, demo) -> the work (services,
sync, connectors) -> what the work stands on (config, store, observability)
-> the canonical model. ``model`` imports nothing of the project; ``sync``
never imports a concrete connector (only the protocols in
``connectors.base`` and the registry that finds a connector by kind);
``services`` may call ``sync`` (the one sideways
arrow); connectors never reach into the engine or the services.
"""

from __future__ import annotations

import ast
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


def _allowed(src: str, dst: str) -> bool:
    a, b = _room(src), _room(dst)
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
