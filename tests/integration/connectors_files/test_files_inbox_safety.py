"""The inbox reads only regular files placed in it: links, FIFOs and hard links are refused.

Each refused entry is moved to ``rejected/`` once and becomes one exception naming
the entry and the reason, never its content; the rest of the inbox goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.connectors.kit.drop_folder import DropFolder, UnsafeEntry
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

SECRET = "hub-environment-SECRET-b7d1e0"
MAPPINGS = {
    "mappings": [
        {
            "pattern": "erp_customers*.jsonl",
            "entity": "customer",
            "id": "account_number",
        },
        {
            "pattern": "erp_products*.csv",
            "entity": "product",
            "id": "ITEMNO",
            "columns": {"ITEMNO": "sku", "DESCR": "description"},
            "defaults": {"base_uom": "EA", "units[0].code": "EA", "units[0].factor": "1"},
        },
    ]
}


def _config(inbox: Path) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files", settings={"inbox": str(inbox), **MAPPINGS})
        ],
        ownership={
            EntityType.PRODUCT: EntityOwnership(owner="erp"),
            EntityType.CUSTOMER: EntityOwnership(owner="erp"),
        },
    )


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    h = Hub(_config(tmp_path / "inbox"), Store.open(store_url))
    yield h
    h.close()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside the inbox that a link or a hard link could point at."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "environ").write_text(f'{{"account_number": "C1", "name": "{SECRET}"}}\n')
    (folder / "passwd.csv").write_text(f"ITEMNO,DESCR\nP1,{SECRET}\n")
    return folder


def _stored_text(hub: Hub) -> str:
    return json.dumps(
        [
            {"reason": e.reason, "ref": e.ref, "payload": e.payload}
            for e in hub.store.exceptions.page(status=None, limit=1000)
        ]
    )


def test_links_fifos_and_hard_links_are_refused_once_and_never_read(
    hub: Hub, tmp_path: Path, outside: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "erp_customers_x.jsonl").symlink_to(outside / "environ")
    (inbox / "erp_products_x.csv").symlink_to(outside / "passwd.csv")
    (inbox / "erp_products_dir.csv").symlink_to(outside)  # a link to a folder
    os.mkfifo(inbox / "erp_customers_fifo.jsonl")
    os.link(outside / "passwd.csv", inbox / "erp_products_hard.csv")
    (inbox / "erp_products_ok.csv").write_text("ITEMNO,DESCR\nP2,Hex bolt\n")

    hub.pull()

    exceptions = hub.store.exceptions.page(system="erp", status=None, limit=100)
    refused = sorted((e.ref, e.code) for e in exceptions)
    assert refused == [
        ("erp_customers_fifo.jsonl", ErrorCode.FILE_REFUSED.value),
        ("erp_customers_x.jsonl", ErrorCode.FILE_REFUSED.value),
        ("erp_products_dir.csv", ErrorCode.FILE_REFUSED.value),
        ("erp_products_hard.csv", ErrorCode.FILE_REFUSED.value),
        ("erp_products_x.csv", ErrorCode.FILE_REFUSED.value),
    ]
    reasons = {e.ref: e.reason for e in exceptions}
    assert "symbolic link" in reasons["erp_customers_x.jsonl"]
    assert "FIFO" in reasons["erp_customers_fifo.jsonl"]
    assert "hard links" in reasons["erp_products_hard.csv"]
    assert SECRET not in _stored_text(hub)
    assert all(e.payload is None for e in exceptions)
    # the regular file went through; nothing from the linked files became a record
    assert [r.data["sku"] for r in hub.store.records.page(EntityType.PRODUCT)] == ["P2"]
    assert hub.store.records.page(EntityType.CUSTOMER) == []
    # moved aside, the targets untouched, the inbox empty
    assert sorted(p.name for p in inbox.iterdir() if not p.is_dir() or p.is_symlink()) == []
    rejected = sorted(p.name for p in (inbox / "rejected").iterdir())
    assert len([n for n in rejected if n.endswith(".reason.txt")]) == 5
    assert (outside / "environ").read_text().startswith('{"account_number"')
    assert (outside / "passwd.csv").exists()

    hub.pull()  # a second pass finds nothing more to report
    assert len(hub.store.exceptions.page(system="erp", status=None, limit=100)) == 5


def test_an_entry_swapped_for_a_link_after_listing_is_refused(
    tmp_path: Path, outside: Path
) -> None:
    drop = DropFolder(tmp_path / "inbox")
    drop.make()
    path = drop.inbox / "erp_products_1.csv"
    path.write_text("ITEMNO,DESCR\nP1,x\n")
    assert drop.scan().ready == [path]
    path.unlink()
    path.symlink_to(outside / "passwd.csv")
    with pytest.raises(UnsafeEntry, match="symbolic link"):
        drop.read(path)


def test_a_path_outside_the_inbox_is_not_read_as_an_inbox_file(
    tmp_path: Path, outside: Path
) -> None:
    drop = DropFolder(tmp_path / "inbox")
    with pytest.raises(UnsafeEntry, match="not directly inside"):
        drop.read(drop.inbox / ".." / "private" / "passwd.csv")
