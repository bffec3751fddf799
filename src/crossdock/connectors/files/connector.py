"""The ``files`` connector kind: a drop folder in (a source), an export folder out.

Relative folders in the settings are resolved against the working directory
when the connector is built, and missing folders are created then, so a
folder that cannot exist is reported with the configuration (``InvalidInput``,
``CONFIG_INVALID``) rather than at the first sync.
"""

from __future__ import annotations

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


class FilesConnector(Connector):
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
        if not isinstance(settings, FilesSettings):
            raise TypeError(f"expected FilesSettings, got {type(settings).__name__}")
        super().__init__(system, settings, hub)
        self.files_settings = settings
        base = Path.cwd() if cwd is None else cwd
        self._source: FilesSource | None = None
        self._destination: FilesDestination | None = None
        if settings.inbox is not None:
            inbox = _resolve(settings.inbox, base)
            try:
                drop = DropFolder(inbox, settle_seconds=settings.settle_seconds)
            except OSError as exc:
                raise config_invalid(
                    system.name, "inbox", f"cannot use {inbox}: {exc.strerror or exc}"
                ) from exc
            self._source = FilesSource(system.name, drop, settings)
        if settings.export_dir is not None:
            export_dir = _resolve(settings.export_dir, base)
            try:
                export_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise config_invalid(
                    system.name, "export_dir", f"cannot use {export_dir}: {exc.strerror or exc}"
                ) from exc
            self._destination = FilesDestination(export_dir, settings.export_format)

    def source(self) -> Source | None:
        return self._source

    def destination(self) -> Destination | None:
        return self._destination


__all__ = ["FilesConnector"]
