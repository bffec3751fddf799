"""Talking to Medusa v2's Admin API: JSON over one keep-alive client, the secret key as Basic auth.

Every call goes through :meth:`MedusaClient.call`, which sends JSON, reads
JSON and turns a failed exchange into the hub's error tree
(:func:`~crossdock.connectors.medusa.errors.from_answer`). Decimals leave as
JSON numbers (Medusa's prices and quantities are numbers); they come back as
``Decimal`` (the JSON is parsed with ``parse_float=Decimal``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

from crossdock import __version__
from crossdock.connectors.kit.http import HttpClient
from crossdock.connectors.medusa.errors import from_answer
from crossdock.errors import ErrorCode, RetryableError

#: Rows per page when listing.
PAGE = 200


def _number(value: object) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def basic_auth(secret_key: str) -> str:
    """Medusa's secret API keys go as the user name of HTTP Basic auth, with no password."""
    return "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode("ascii")


class MedusaClient:
    """One Medusa server's Admin API; close it when done."""

    def __init__(
        self,
        url: str,
        secret_key: str,
        *,
        key_env: str,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = url.rstrip("/")
        self.key_env = key_env
        self.http = HttpClient(
            self.base,
            timeout_seconds=timeout_seconds,
            headers={"Authorization": basic_auth(secret_key), "Content-Type": "application/json"},
            user_agent=f"crossdock/{__version__}",
            transport=transport,
        )

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        action: str,
    ) -> dict[str, Any]:
        """One request; the decoded answer, or the hub's error for a failed one."""
        url = self.base + path + (f"?{urlencode(params, doseq=True)}" if params else "")
        content = None if body is None else json.dumps(body, default=_number).encode()
        answer = self.http.send(method, url, content=content, action=action)
        if not answer.ok:
            raise from_answer(answer, self.http.where, action, self.key_env)
        if answer.truncated:
            raise RetryableError(
                f"{self.http.where} answered more than the hub reads to {action}",
                code=ErrorCode.TRANSIENT,
            )
        if not answer.body:
            return {}
        decoded = json.loads(answer.body, parse_float=Decimal)
        return decoded if isinstance(decoded, dict) else {}

    def get(self, path: str, *, action: str, **params: Any) -> dict[str, Any]:
        return self.call("GET", path, params=params, action=action)

    def rows(self, path: str, key: str, *, action: str, **params: Any) -> list[dict[str, Any]]:
        """The first page of a list endpoint's ``key`` (a lookup by name, e-mail, handle…)."""
        return list(self.get(path, action=action, **params).get(key) or [])

    def post(self, path: str, body: Mapping[str, Any], *, action: str) -> dict[str, Any]:
        return self.call("POST", path, body, action=action)

    def delete(self, path: str, *, action: str) -> dict[str, Any]:
        return self.call("DELETE", path, action=action)

    def list_all(
        self, path: str, key: str, *, action: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list endpoint, page by page (``limit``/``offset``)."""
        offset = 0
        while True:
            page = self.get(path, action=action, limit=PAGE, offset=offset, **params)
            rows = page.get(key) or []
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page.get("count", 0)):
                return

    def close(self) -> None:
        self.http.close()


__all__ = ["PAGE", "MedusaClient", "basic_auth"]
