"""A loopback webhook receiver for tests: a real HTTP server on 127.0.0.1.

Many tests need "the portal" (or any peer the webhook connector posts to):
it verifies each request's Standard Webhooks signature when given the
secret, keeps every delivery in arrival order (a batch body is unpacked,
one body kept as is), and answers ``status`` (settable, e.g. 500 to make
the hub retry). Importable as ``loopback`` because ``tests/`` holds the
root conftest, which pytest puts on ``sys.path``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook


class LoopbackReceiver:
    """Records the deliveries POSTed to :attr:`url`; use as a context manager or ``close()``."""

    def __init__(self, secret: str | None = None, path: str = "/hooks") -> None:
        self.path = path
        self.status = 204
        self.received: list[dict[str, Any]] = []
        self.refused_signatures = 0
        self._lock = threading.Lock()
        verifier = Webhook(secret) if secret else None
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if verifier is not None:
                    try:
                        verifier.verify(body, dict(self.headers.items()))
                    except Exception:
                        me.refused_signatures += 1
                        self.send_response(401)
                        self.send_header("content-length", "0")
                        self.end_headers()
                        return
                status = me.status
                if 200 <= status < 300:
                    doc = json.loads(body)
                    with me._lock:
                        me.received.extend(doc.get("deliveries", [doc]))  # a batch, or one
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["LoopbackReceiver"]
