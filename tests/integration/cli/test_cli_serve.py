"""`crossdock serve` as a real process: API on loopback, sync loop behind it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossdock.connectors.webhook.signing import sign_request

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
systems:
  - name: portal
    kind: webhook
    settings: {{secret_env: PORTAL_SECRET}}
  - name: wms
    kind: files
    settings: {{export_dir: {tmp_path / "out"}}}
routes:
  - {{name: to-wms, entities: [customer], destination: wms}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "PORTAL_SECRET": SECRET}
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "serve",
            "-c",
            str(cfg),
            "--port",
            str(port),
            "--interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"serve did not come up: {out}")
            time.sleep(0.2)
        yield base, cfg, env
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_answers_and_syncs(served: tuple[str, Path, dict[str, str]]) -> None:
    base, cfg, env = served
    assert httpx.get(f"{base}/v1/routes").status_code == 401
    key = subprocess.run(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "keys",
            "create",
            "ops",
            "--scope",
            "admin",
            "-c",
            str(cfg),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{base}/v1/routes", headers=auth).status_code == 200

    body = json.dumps(
        {
            "changes": [
                {
                    "entity_type": "customer",
                    "native_id": "c-1",
                    "data": {"account_number": "C1", "name": "Acme"},
                }
            ]
        }
    )
    headers = sign_request(SECRET, "msg_1", int(time.time()), body)
    bad = httpx.post(
        f"{base}/v1/webhooks/portal",
        content=body,
        headers={**headers, "webhook-signature": "v1,AAAA"},
    )
    assert bad.status_code == 401 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    ok = httpx.post(f"{base}/v1/webhooks/portal", content=body, headers=headers)
    assert ok.status_code == 202, ok.text

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        routes = httpx.get(f"{base}/v1/routes", headers=auth).json()
        items = routes if isinstance(routes, list) else routes.get("items", routes)
        if any(r.get("delivered", 0) >= 1 for r in items):
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"the sync loop never delivered: {routes}")
    exported = list((cfg.parent / "out").rglob("*.jsonl"))
    assert exported and "Acme" in exported[0].read_text(encoding="utf-8")
