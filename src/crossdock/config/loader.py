"""Loading the hub file: YAML to typed config, with errors that name file, path, line and reason.

Secrets never live in the file: a value written ``${NAME}`` is read from
the environment when the file is loaded, and a missing variable is an
error that names it. Connector settings are checked against the
connector's own settings model, so a typo in a mapping is caught at load
time, not at the first file dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.config.problems import first_problem
from crossdock.errors import ConfigInvalid, InvalidInput
from crossdock.observability.redaction import register_secret

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ConfigInvalid):
    """The hub file is wrong; ``str()`` reads ``file:line: path: reason``."""

    def __init__(self, file: str, path: str, reason: str, line: int | None = None) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(
            f"{where}: {path or '(top)'}: {reason}",
            field=path,
            reason=reason,
        )
        self.file = file
        self.path = path
        self.line = line


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, f"{path}[{i}]", out)


def _interpolate(value: Any, path: str, file: str, lines: dict[str, int]) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise ConfigError(
                    file, path, f"environment variable {name} is not set", lines.get(path)
                )
            value = os.environ[name]
            register_secret(value)  # read from the environment: never logged
            return value

        return _ENV.sub(sub, value)
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else str(k), file, lines)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", file, lines) for i, v in enumerate(value)]
    return value


def parse_hub(
    text: str,
    file: str = "crossdock.yaml",
    *,
    check_settings: Callable[[HubConfig, SystemConfig], None] | None = None,
) -> HubConfig:
    """Parse and validate hub file text."""
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            file, "", f"not valid YAML: {getattr(exc, 'problem', exc)}", line
        ) from exc
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    if raw is None or raw == {}:
        raise ConfigError(
            file,
            "",
            "the hub file is empty: it needs at least systems (write an example with "
            "`crossdock init`)",
            1,
        )
    if not isinstance(raw, dict):
        raise ConfigError(file, "", "the hub file must be a mapping at the top", 1)
    raw = _interpolate(raw, "", file, lines)
    try:
        hub = HubConfig.model_validate(raw)
    except ValidationError as exc:
        path, msg = first_problem(exc, HubConfig)
        raise ConfigError(file, path, msg, _nearest_line(lines, path)) from exc
    if check_settings is not None:
        for i, system in enumerate(hub.systems):
            try:
                check_settings(hub, system)
            except InvalidInput as exc:
                # the connector names the field within the system ("settings.inbx", "kind")
                path = f"systems[{i}].{exc.field}" if exc.field else f"systems[{i}]"
                raise ConfigError(file, path, exc.reason, _nearest_line(lines, path)) from exc
    return hub


def _nearest_line(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get(path)


def load_hub(
    path: str | Path, *, check_settings: Callable[[HubConfig, SystemConfig], None] | None = None
) -> HubConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(str(p), "", "file not found (create one with `crossdock init`)") from None
    return parse_hub(text, str(p), check_settings=check_settings)


__all__ = ["ConfigError", "load_hub", "parse_hub"]
