"""Tryton's JSON-RPC over HTTP: login, session, the value codec, batched reads and writes.

One keep-alive :class:`~crossdock.connectors.kit.http.HttpClient` per connector.
``common.db.login`` gives a user id and a session token; each call then sends
``Authorization: Session base64(login:user_id:token)`` and the user's
context (from ``res.user.get_preferences``) as its last parameter. An
expired session (HTTP 401) logs in again once and repeats the call.
Decimals, dates and datetimes travel as ``{"__class__": ...}`` objects in
both directions (:func:`encode`, :func:`decode`); a float never reaches the
hub for money (unit factors and price-list quantities, which Tryton keeps as
floats, are converted through their shortest text).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import httpx

from crossdock import __version__
from crossdock.connectors.kit.http import Answer, HttpClient, status_error
from crossdock.connectors.tryton.errors import HTTP_HINTS, from_rpc_error
from crossdock.errors import ErrorCode, PermanentError

USER_AGENT = f"crossdock-tryton/{__version__}"


def encode(value: Any) -> Any:
    """A Python value in Tryton's JSON form."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        v = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return {
            "__class__": "datetime",
            "year": v.year,
            "month": v.month,
            "day": v.day,
            "hour": v.hour,
            "minute": v.minute,
            "second": v.second,
            "microsecond": v.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    cls = obj.get("__class__")
    if cls == "Decimal":
        return Decimal(obj["decimal"])
    if cls == "datetime":  # Tryton keeps UTC without a zone
        return dt.datetime(
            obj["year"],
            obj["month"],
            obj["day"],
            obj["hour"],
            obj["minute"],
            obj["second"],
            obj.get("microsecond", 0),
            tzinfo=dt.UTC,
        )
    if cls == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    return obj


def decode(text: str | bytes) -> Any:
    """Tryton's JSON with Decimals, dates and datetimes (UTC) restored; floats stay floats."""
    return json.loads(text, object_hook=_object_hook)


def batched(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


class TrytonClient:
    """Calls one Tryton database as one user; thread-safe login, close it when done."""

    def __init__(
        self,
        url: str,
        database: str,
        user: str,
        password: str,
        *,
        timeout_seconds: float = 30.0,
        read_batch: int = 200,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.rpc_url = f"{url.rstrip('/')}/{database}/rpc/"
        self.user = user
        self._password = password
        self.read_batch = read_batch
        self._http = HttpClient(
            self.rpc_url,
            timeout_seconds=timeout_seconds,
            headers={"Content-Type": "application/json"},
            user_agent=USER_AGENT,
            transport=transport,
            max_answer_bytes=1 << 30,  # a read batch of wide rows is large; Tryton is trusted
        )
        self.where = self._http.where.removesuffix("/rpc/")
        self._auth: str | None = None
        self._context: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ids = 0
        self.calls = 0

    # -- session ------------------------------------------------------------------------
    def login(self) -> None:
        result = self._post("common.db.login", [self.user, {"password": self._password}, "en"])
        if not isinstance(result, list) or len(result) < 2:
            raise PermanentError(
                f"{self.where}: login as {self.user!r} refused (check user and password_env)",
                code=ErrorCode.UNAUTHORIZED,
            )
        token = f"{self.user}:{result[0]}:{result[1]}"
        self._auth = "Session " + base64.b64encode(token.encode()).decode("ascii")
        prefs = self._post("model.res.user.get_preferences", [True, {}], auth=self._auth)
        self._context = dict(prefs) if isinstance(prefs, dict) else {}
        self._context.pop("locale", None)

    @property
    def context(self) -> dict[str, Any]:
        return dict(self._context)

    def _ensure(self) -> str:
        with self._lock:
            if self._auth is None:
                self.login()
            assert self._auth is not None
            return self._auth

    # -- calls --------------------------------------------------------------------------
    def call(self, method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        """Call ``method`` with ``params`` and the user's context (updated by ``context``)."""
        for attempt in (1, 2):
            auth = self._ensure()
            ctx = {**self._context, **(context or {})}
            try:
                return self._post(method, [*params, ctx], auth=auth)
            except _Expired:
                with self._lock:
                    self._auth = None
                if attempt == 2:
                    raise PermanentError(
                        f"{self.where}: the session is refused right after login ({method})",
                        code=ErrorCode.UNAUTHORIZED,
                    ) from None
        raise AssertionError("unreachable")

    def _post(self, method: str, params: list[Any], *, auth: str | None = None) -> Any:
        self._ids += 1
        body = json.dumps({"id": self._ids, "method": method, "params": encode(params)})
        headers = {"Authorization": auth} if auth else {}
        self.calls += 1
        r = self._http.send("POST", content=body.encode(), headers=headers, action=method)
        if r.status == 401 and auth is not None:
            raise _Expired
        if r.status != 200:
            raise status_error(r, self.where, action=method, hints=HTTP_HINTS)
        try:
            payload = decode(r.body)
        except ValueError as exc:
            answer = Answer(502, "Bad Gateway", f"not JSON: {exc}".encode())
            raise status_error(answer, self.where, action=method) from exc
        if isinstance(payload, dict) and payload.get("error") is not None:
            raise from_rpc_error(method, payload["error"])
        return payload.get("result") if isinstance(payload, dict) else None

    # -- model helpers ------------------------------------------------------------------
    def search(
        self,
        model: str,
        domain: list[Any],
        *,
        order: list[list[str]] | None = None,
        limit: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[int]:
        ids = self.call(f"model.{model}.search", domain, 0, limit, order, context=context)
        return [int(i) for i in ids]

    def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Read in batches of ``read_batch`` ids; rows come back in the order of ``ids``."""
        out: dict[int, dict[str, Any]] = {}
        for chunk in batched(list(dict.fromkeys(ids)), self.read_batch):
            for row in self.call(f"model.{model}.read", chunk, list(fields), context=context):
                out[int(row["id"])] = row
        return [out[i] for i in ids if i in out]

    def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: Sequence[str],
        *,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        return self.read(
            model, self.search(model, domain, context=context), fields, context=context
        )

    def create(self, model: str, vlist: Sequence[dict[str, Any]], *, batch: int = 50) -> list[int]:
        ids: list[int] = []
        for i in range(0, len(vlist), batch):
            ids += [int(x) for x in self.call(f"model.{model}.create", list(vlist[i : i + batch]))]
        return ids

    def write(self, model: str, ids: Sequence[int], values: dict[str, Any]) -> None:
        self.call(f"model.{model}.write", list(ids), values)

    def delete(self, model: str, ids: Sequence[int]) -> None:
        self.call(f"model.{model}.delete", list(ids))

    def button(self, model: str, name: str, ids: Sequence[int]) -> Any:
        return self.call(f"model.{model}.{name}", list(ids))

    def close(self) -> None:
        self._http.close()


class _Expired(Exception):
    """The server answered 401 to a session call: log in again."""


__all__ = ["TrytonClient", "batched", "decode", "encode"]
