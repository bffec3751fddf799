"""A receiver on loopback that plays the B2B portal: verifies, de-duplicates, keeps state.

It verifies each request's Standard Webhooks signature with the
``standardwebhooks`` library, as a real receiver would, drops deliveries
whose id it has already applied, and keeps the newest version of each
record, so the demo (and tests) can compare its state with the hub's.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class ReceiverState:
    requests: int = 0
    rejected: int = 0
    duplicates: int = 0
    applied: int = 0
    seen_ids: set[str] = field(default_factory=set)
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PortalReceiver:
    """``with PortalReceiver(secret) as r: r.url ...`` serves on an ephemeral loopback port."""

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = ReceiverState()
        verifier = Webhook(secret)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                try:
                    verifier.verify(body, dict(self.headers.items()))
                    doc = json.loads(body)
                except Exception:
                    with state.lock:
                        state.rejected += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                items = doc.get("deliveries", [doc])
                with state.lock:
                    state.requests += 1
                    for d in items:
                        if d["id"] in state.seen_ids:
                            state.duplicates += 1
                            continue
                        state.seen_ids.add(d["id"])
                        key = (d["entity_type"], d["entity_id"])
                        held = state.records.get(key)
                        if held is None or held["version"] < d["version"]:
                            state.records[key] = d
                        state.applied += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def __enter__(self) -> PortalReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


__all__ = ["PortalReceiver", "ReceiverState"]
