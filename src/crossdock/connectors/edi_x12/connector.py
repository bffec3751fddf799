"""The ``edi_x12`` connector kind: one trading partner exchanging X12 through a mailbox folder.

The partner is a document exchange (:meth:`EdiConnector.documents`): each
sync pass reads what it dropped into ``inbound/``, hands its orders to the
order service and writes a 997 for every received group to ``outbound/``.
As a route destination (:meth:`EdiConnector.destination`) it writes the
outbound documents (855, 856, 810, 846) to ``outbound/``; it is not an ingest
source.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination, DocumentExchange
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.destination import EdiDestination
from crossdock.connectors.edi_x12.errors import config_invalid
from crossdock.connectors.edi_x12.source import EdiExchange
from crossdock.store.facade import Store


class EdiConnector(Connector[EdiSettings]):
    kind = "edi_x12"
    Settings = EdiSettings

    def __init__(
        self,
        system: SystemConfig,
        settings: BaseModel,
        hub: HubConfig,
        *,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(system, settings, hub)
        root = self.settings.mailbox.expanduser()
        self.mailbox = Mailbox(root if root.is_absolute() else (cwd or Path.cwd()) / root)
        self._store: Store | None = None

    def bind_store(self, store: Store) -> None:
        self._store = store

    def destination(self) -> Destination | None:
        """The partner's outbound documents, written to ``outbound/`` (needs the store)."""
        if self._store is None:
            return None
        self._make()
        return EdiDestination(self.system.name, self.settings, self.mailbox, self._store)

    def _make(self) -> None:
        try:
            self.mailbox.make()
        except OSError as exc:
            raise config_invalid(
                self.system.name, "mailbox", f"cannot use {self.mailbox.root}: {exc.strerror}"
            ) from exc

    def documents(self) -> DocumentExchange | None:
        """The partner's mailbox as a document exchange; its folders are made now."""
        if self._store is None:
            return None
        self._make()
        return EdiExchange(self.system.name, self.settings, self.mailbox, self._store)


__all__ = ["EdiConnector"]
