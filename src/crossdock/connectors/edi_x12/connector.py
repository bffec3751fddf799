"""The ``edi_x12`` connector kind: one trading partner exchanging X12 through a mailbox folder.

The partner is a document exchange (:meth:`EdiConnector.documents`): each
sync pass reads what it dropped into ``inbound/``, hands its orders (850) and
changes (860) to the order service and writes a 997 for every received group
to ``outbound/``; with ``as2`` settings it also takes messages from the API's
AS2 route and sends ``outbound/`` over AS2 (:mod:`.as2_transport`).
As a route destination (:meth:`EdiConnector.destination`) it writes the
outbound documents (855, 856, 810, 846) to ``outbound/``; it is not an ingest
source.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination, DocumentExchange
from crossdock.connectors.edi_x12.as2 import As2Link
from crossdock.connectors.edi_x12.as2_transport import As2Transport
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
        self._cwd = cwd or Path.cwd()
        self.mailbox = Mailbox(root if root.is_absolute() else self._cwd / root)
        self._store: Store | None = None
        self._as2: As2Link | None = None

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
        transport = None
        if self.settings.as2 is not None:
            if self._as2 is None:  # keys read once per connector
                self._as2 = As2Link(self.system.name, self.settings.as2, cwd=self._cwd)
            transport = As2Transport(self.system.name, self._as2, self.mailbox, self._store)
        return EdiExchange(self.system.name, self.settings, self.mailbox, self._store, transport)


__all__ = ["EdiConnector"]
