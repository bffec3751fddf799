"""The ``files`` connector kind: a drop folder in (a source), an export folder out.

Relative folders in the settings are resolved against the working directory
when the connector is built. A folder that could not be created (its nearest
existing parent is not a writable folder) is reported with the configuration
(``InvalidInput``, ``CONFIG_INVALID``) rather than at the first sync; missing
folders are created when the source or destination is first asked for, so
reading a hub file (or a read-only command) creates nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination, Source
from crossdock.connectors.files.config import FilesSettings
from crossdock.connectors.files.destination import FilesDestination
from crossdock.connectors.files.errors import config_invalid
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.kit.drop_folder import DropFolder


def _resolve(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def _cannot_create(path: Path) -> str | None:
    """Why ``path`` could not be a folder we write in, or ``None`` (creating nothing)."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return f"no part of {path} exists"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


class FilesConnector(Connector[FilesSettings]):
    """A system that exchanges CSV and JSON Lines files through folders."""

    kind = "files"
    Settings = FilesSettings

    def __init__(
        self,
        system: SystemConfig,
        settings: BaseModel,
        hub: HubConfig,
        *,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(system, settings, hub)
        settings = self.settings
        base = Path.cwd() if cwd is None else cwd
        self._source: FilesSource | None = None
        self._destination: FilesDestination | None = None
        if settings.inbox is not None:
            inbox = _resolve(settings.inbox, base)
            why = _cannot_create(inbox)
            if why is not None:
                raise config_invalid(system.name, "inbox", f"cannot use {inbox}: {why}")
            drop = DropFolder(inbox, settle_seconds=settings.settle_seconds)
            self._source = FilesSource(system.name, drop, settings)
        if settings.export_dir is not None:
            export_dir = _resolve(settings.export_dir, base)
            why = _cannot_create(export_dir)
            if why is not None:
                raise config_invalid(system.name, "export_dir", f"cannot use {export_dir}: {why}")
            self._destination = FilesDestination(export_dir, settings.export_format)

    def source(self) -> Source | None:
        """The drop folder as a source; its folders are created now (the first real use)."""
        if self._source is not None:
            self._make(self._source.drop.make, "inbox", self._source.drop.inbox)
        return self._source

    def destination(self) -> Destination | None:
        """The export folder as a destination; created now (the first real use)."""
        if self._destination is not None:
            folder = self._destination.export_dir
            self._make(lambda: folder.mkdir(parents=True, exist_ok=True), "export_dir", folder)
        return self._destination

    def _make(self, make: Callable[[], None], field: str, folder: Path) -> None:
        try:
            make()
        except OSError as exc:
            raise config_invalid(
                self.system.name, field, f"cannot use {folder}: {exc.strerror or exc}"
            ) from exc


__all__ = ["FilesConnector"]
