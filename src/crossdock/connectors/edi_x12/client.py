"""The partner's mailbox: ``inbound/`` (with ``processed/`` and ``rejected/``) and ``outbound/``.

Whatever moves files between the mailbox and the partner (an SFTP account,
a VAN's client, AS2 later) drops received interchanges into ``inbound/`` and
picks acknowledgments and documents up from ``outbound/``. Reading inbound
goes through the connector kit's drop folder (links, FIFOs and hard-linked
files are refused, transfers in progress left alone); an outbound file is
written under a temporary name and renamed, so a partner's transport never
takes half a file.
"""

from __future__ import annotations

from pathlib import Path

from crossdock.connectors.kit.drop_folder import DropFolder, write_atomic


class Mailbox:
    def __init__(self, root: Path, *, settle_seconds: float = 0.0) -> None:
        self.root = root
        self.drop = DropFolder(root / "inbound", settle_seconds=settle_seconds)
        self.outbound = root / "outbound"

    def make(self) -> None:
        self.drop.make()
        self.outbound.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, text: str) -> Path:
        """Write an outbound file atomically (the partner's transport sees all of it or nothing)."""
        path = self.outbound / name
        write_atomic(path, text.encode("latin-1", errors="replace"))
        return path

    def has_out(self, name: str) -> bool:
        return (self.outbound / name).exists()


__all__ = ["Mailbox"]
