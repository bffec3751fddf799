"""AS2 end to end on loopback: the hub's API (uvicorn) and a partner built with pyas2lib.

The partner is a real HTTP server on 127.0.0.1 that speaks AS2 through pyas2lib
(signing, encryption, MDNs); keys and certificates are made with
``cryptography`` for each run, the hub's read from a file the hub file names,
the partner's certificate from an environment variable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from crossdock.api.app import create_app
from crossdock.app import Application
from crossdock.cli.main import app as cli
from crossdock.connectors.edi_x12.as2 import raw_message
from crossdock.connectors.edi_x12.source import EdiExchange
from crossdock.observability.metrics import REGISTRY

from .conftest import SAMPLES

try:
    from pyas2lib import Mdn, Message, Organization, Partner
except Exception as exc:  # oscrypto 1.3.0 from PyPI on OpenSSL 3.0.10+: wbond/oscrypto#78
    _why = (
        f"pyas2lib cannot load its crypto backend here ({exc!r}); on Debian/Ubuntu: "
        "apt-get install python3-oscrypto && scripts/as2-debian-oscrypto "
        "(docs/connectors/edi_x12.md)"
    )
    if os.environ.get("CROSSDOCK_REQUIRE_AS2") == "1":  # CI: missing AS2 is a failure
        pytest.fail(f"CROSSDOCK_REQUIRE_AS2=1 but {_why}", pytrace=False)
    pytest.skip(f"AS2 tests skipped: {_why}", allow_module_level=True)

pytestmark = pytest.mark.integration


def _pair(name: str) -> tuple[bytes, bytes]:
    """A private key with its self-signed certificate (PEM), and the certificate alone."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    return pem_key + pem_cert, pem_cert


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[bytes, bytes]]:
    return {"hub": _pair("CROSSDOCKHUB"), "partner": _pair("BIGBOX")}


class PartnerServer:
    """The trading partner's AS2 server (pyas2lib): takes messages, answers signed MDNs."""

    def __init__(self, keys: dict[str, tuple[bytes, bytes]], port: int = 0) -> None:
        self.org = Organization(
            "BIGBOX", sign_key=keys["partner"][0], decrypt_key=keys["partner"][0]
        )
        self.hub = Partner(
            "CROSSDOCKHUB",
            verify_cert=keys["hub"][1],
            encrypt_cert=keys["hub"][1],
            sign=True,
            encrypt=True,
            enc_alg="aes_256_cbc",
            mdn_mode="SYNC",
            mdn_digest_alg="sha256",
        )
        self.keys = keys
        self.received: list[bytes] = []
        self.mdns: list[tuple[dict[str, str], bytes]] = []
        """asynchronous MDNs the hub posted to the partner's /mdn"""
        self.mdn_refusals = 0
        """answer this many of them 503"""
        self.owed: list[tuple[str, dict[str, str], bytes]] = []
        """asynchronous MDNs the partner owes the hub: (URL, headers, body)"""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/mdn":  # an asynchronous MDN from the hub
                    outer.mdns.append((dict(self.headers.items()), body))
                    refused = outer.mdn_refusals > 0
                    outer.mdn_refusals -= 1
                    self.send_response(503 if refused else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                msg = Message()
                status, _exc, mdn = msg.parse(
                    raw_message(dict(self.headers.items()), body),
                    find_org_cb=lambda n: outer.org if n == "BIGBOX" else None,
                    find_partner_cb=lambda n: outer.hub if n == "CROSSDOCKHUB" else None,
                )
                if status == "processed":
                    outer.received.append(msg.payload.get_payload(decode=True))
                if mdn.mdn_mode == "ASYNC":  # owed: the test delivers it when it chooses
                    outer.owed.append((mdn.mdn_url, dict(mdn.headers), mdn.content))
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                for k, v in mdn.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(mdn.content)))
                self.end_headers()
                self.wfile.write(mdn.content)

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def message(self, data: bytes, filename: str) -> Message:
        msg = Message(self.org, self.hub)
        msg.build(data, filename=filename, disposition_notification_to="edi@bigbox.example")
        return msg

    def async_message(self, data: bytes, filename: str) -> Message:
        """A message asking the hub for an asynchronous MDN, posted to this server's /mdn."""
        org = Organization(
            "BIGBOX",
            sign_key=self.keys["partner"][0],
            decrypt_key=self.keys["partner"][0],
            mdn_url=f"http://127.0.0.1:{self.port}/mdn",
        )
        hub = Partner(
            "CROSSDOCKHUB",
            verify_cert=self.keys["hub"][1],
            encrypt_cert=self.keys["hub"][1],
            sign=True,
            encrypt=True,
            enc_alg="aes_256_cbc",
            mdn_mode="ASYNC",
            mdn_digest_alg="sha256",
        )
        msg = Message(org, hub)
        msg.build(data, filename=filename, disposition_notification_to="edi@bigbox.example")
        return msg

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def partner_server(keys: dict[str, tuple[bytes, bytes]]) -> Iterator[PartnerServer]:
    server = PartnerServer(keys)
    yield server
    server.close()


@pytest.fixture
def async_mdn() -> bool:
    """Whether the hub asks for asynchronous MDNs (a test parametrizes it to True)."""
    return False


@pytest.fixture
def hub_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def partner_extra(
    keys: dict[str, tuple[bytes, bytes]],
    partner_server: PartnerServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    async_mdn: bool,
    hub_port: int,
) -> dict[str, Any]:
    hub_key = tmp_path / "hub-as2.pem"
    hub_key.write_bytes(keys["hub"][0])
    monkeypatch.setenv("BIGBOX_AS2_CERT", keys["partner"][1].decode())
    return {
        "as2": {
            "ours": "CROSSDOCKHUB",
            "theirs": "BIGBOX",
            "url": f"http://127.0.0.1:{partner_server.port}/as2",
            "key": {"file": str(hub_key)},
            "partner_certificate": {"env": "BIGBOX_AS2_CERT"},
            "mdn_deadline_seconds": 600,
            "retry_seconds": 30,
            "timeout_seconds": 5,
        }
        | ({"mdn_url": f"http://127.0.0.1:{hub_port}/v1/as2/bigbox/mdn"} if async_mdn else {})
    }


@pytest.fixture
def hub_url(app: Application, hub_port: int) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(app), host="127.0.0.1", port=hub_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1/as2/bigbox"
    server.should_exit = True
    thread.join()


def _exchange(app: Application) -> EdiExchange:
    documents = app.hub.connector("bigbox").documents()
    assert isinstance(documents, EdiExchange) and documents.as2 is not None
    return documents


def _post(url: str, msg: Message) -> httpx.Response:
    return httpx.post(url, content=msg.content, headers=dict(msg.headers), timeout=30)


def test_an_850_in_with_its_signed_mdn_and_the_997_out_with_the_partners(
    app: Application, hub_url: str, partner_server: PartnerServer, mailbox: Path
) -> None:
    data = (SAMPLES / "bigbox_two_orders.x12").read_bytes()
    msg = partner_server.message(data, "po-4500012345.x12")
    answer = _post(hub_url, msg)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("multipart/signed")
    verdict = Mdn().parse(raw_message(dict(answer.headers), answer.content), lambda mid, r: msg)
    assert verdict == ("processed", None)  # signed by the hub, the MIC matches
    orders = app.hub.store.orders
    assert orders.find("bigbox", "4500012345") is not None
    assert orders.find("bigbox", "4500012346") is not None

    again = _post(hub_url, msg)  # the same message again: answered, not processed twice
    assert again.status_code == 200
    resent = partner_server.message(data, "po-again.x12")  # a new id, the same content
    assert _post(hub_url, resent).status_code == 200
    acks = sorted((mailbox / "outbound").glob("*.x12"))
    assert len(acks) == 1  # one 997, for the one time the groups were read

    assert _exchange(app).as2.send_pending(time.time()) == 1  # type: ignore[union-attr]
    assert len(partner_server.received) == 1
    assert b"ST*997*" in partner_server.received[0]
    sent = mailbox / "outbound" / "sent"
    assert (sent / acks[0].name).exists()
    assert '"disposition": "processed"' in (sent / f"{acks[0].name}.mdn.json").read_text()
    assert list((mailbox / "outbound").glob("*.x12")) == []

    change = partner_server.message((SAMPLES / "bigbox_860_changes.x12").read_bytes(), "860.x12")
    assert _post(hub_url, change).status_code == 200  # an 860 by AS2: the same order intake
    amended = orders.find("bigbox", "4500012346")
    assert amended is not None
    assert [ln.quantity for ln in orders.lines(amended.id)] == [Decimal(6), Decimal(5)]


@pytest.mark.parametrize(
    "case",
    ["unsigned", "not AS2 at all", "another system", "signed by someone else"],
)
def test_the_route_cannot_be_reached_unsigned(
    app: Application,
    hub_url: str,
    partner_server: PartnerServer,
    keys: dict[str, tuple[bytes, bytes]],
    case: str,
) -> None:
    data = (SAMPLES / "bigbox_two_orders.x12").read_bytes()
    url = hub_url
    if case == "unsigned":
        unsigned = Partner(
            "CROSSDOCKHUB",
            encrypt_cert=keys["hub"][1],
            encrypt=True,
            enc_alg="aes_256_cbc",
            mdn_mode="SYNC",
        )
        msg = Message(partner_server.org, unsigned)
        msg.build(data, disposition_notification_to="edi@bigbox.example")
        headers, body = dict(msg.headers), msg.content
    elif case == "not AS2 at all":
        headers, body = {"Content-Type": "application/edi-x12"}, data
    elif case == "another system":
        msg = partner_server.message(data, "po.x12")
        headers, body = dict(msg.headers), msg.content
        url = hub_url.replace("/bigbox", "/erp")
    else:
        stranger, _ = _pair("BIGBOX")
        org = Organization("BIGBOX", sign_key=stranger, decrypt_key=stranger)
        msg = Message(org, partner_server.hub)
        msg.build(data, disposition_notification_to="edi@bigbox.example")
        headers, body = dict(msg.headers), msg.content
    answer = httpx.post(url, content=body, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "bad_signature"
    assert app.hub.store.orders.find("bigbox", "4500012345") is None


def _status_json(app: Application, store_url: str, tmp_path: Path) -> dict[str, Any]:
    """``crossdock status --json`` on the hub's own store and hub file."""
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(yaml.safe_dump(app.hub.config.model_dump(mode="json", exclude_none=True)))
    result = CliRunner().invoke(cli, ["status", "--json", "-c", str(cfg), "--store", store_url])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{") :])
    return out


def test_a_partner_that_is_down_is_retried_then_the_missing_mdn_is_an_alert(
    app: Application,
    partner_server: PartnerServer,
    keys: dict[str, tuple[bytes, bytes]],
    mailbox: Path,
    tmp_path: Path,
    store_url: str,
) -> None:
    port = partner_server.port
    partner_server.close()  # down: the connection is refused
    (mailbox / "outbound").mkdir(parents=True, exist_ok=True)
    (mailbox / "outbound" / "997-000000001.x12").write_bytes(
        (SAMPLES / "bigbox_two_orders.x12").read_bytes()
    )
    transport = _exchange(app).as2
    assert transport is not None
    t0 = time.time()
    overdue = (
        REGISTRY.get_sample_value("crossdock_edi_as2_mdn_overdue_total", {"partner": "bigbox"})
        or 0.0
    )
    assert transport.send_pending(t0) == 0
    assert transport.send_pending(t0 + 10) == 0  # backing off: not tried again yet
    assert transport.send_pending(t0 + 31) == 0  # tried again, down still
    assert app.hub.store.exceptions.page(system="bigbox", limit=10) == []
    assert transport.send_pending(t0 + 601) == 0  # past the deadline: the alert
    assert transport.send_pending(t0 + 700) == 0  # once
    rows = app.hub.store.exceptions.page(system="bigbox", limit=10)
    assert [r.field for r in rows] == ["MDN"]
    assert "no MDN for 997-000000001.x12 within 600s" in rows[0].reason
    assert "unreachable" in rows[0].reason
    assert (
        REGISTRY.get_sample_value("crossdock_edi_as2_mdn_overdue_total", {"partner": "bigbox"})
        == overdue + 1
    )

    assert _status_json(app, store_url, tmp_path)["edi_as2_mdn_overdue"] == 1

    back = PartnerServer(keys, port)  # up again: the next due attempt goes through
    try:
        assert transport.send_pending(t0 + 5000) == 1
        assert len(back.received) == 1
    finally:
        back.close()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"AS2-From": "BIGBOX", "AS2-To": "NOBODY", "Disposition-Notification-To": "x@y"},
        {"AS2-From": "NOBODY", "AS2-To": "CROSSDOCKHUB", "Disposition-Notification-To": "x@y"},
        {
            "AS2-From": "BIGBOX",
            "AS2-To": "CROSSDOCKHUB",
            "Content-Type": "application/pkcs7-mime; smime-type=enveloped-data",
            "Content-Transfer-Encoding": "base64",
            "Disposition-Notification-To": "x@y",
            "Disposition-Notification-Options": (
                "signed-receipt-protocol=required, pkcs7-signature; "
                "signed-receipt-micalg=required, sha256"
            ),
        },
    ],
)
@pytest.mark.parametrize("body", [b"", b"\x00\xff garbage", b"MIIB" * 50])
def test_whatever_comes_unproven_is_a_401_problem_never_a_500(
    app: Application, hub_url: str, headers: dict[str, str], body: bytes
) -> None:
    answer = httpx.post(hub_url, content=body, headers=headers, timeout=30)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_an_asynchronous_mdn_is_answered_at_once_then_posted_once_through_retries_and_a_restart(
    app: Application, hub_url: str, partner_server: PartnerServer, mailbox: Path
) -> None:
    data = (SAMPLES / "bigbox_two_orders.x12").read_bytes()
    msg = partner_server.async_message(data, "po-4500012345.x12")
    partner_server.mdn_refusals = 1  # the partner's MDN endpoint is down at first
    answer = _post(hub_url, msg)
    assert answer.status_code == 200
    assert answer.content == b""  # at once, without the MDN
    assert app.hub.store.orders.find("bigbox", "4500012345") is not None

    transport = _exchange(app).as2
    assert transport is not None
    t0 = time.time()
    # the answer's own follow-up and this pass are one at a time: exactly one attempt, refused
    assert transport.send_mdns(t0, wait=True) == 0
    assert len(partner_server.mdns) == 1
    assert len(list(transport.mdn_dir.glob("*.json"))) == 1  # kept for the retry

    assert _post(hub_url, msg).status_code == 200  # a resend: no second MDN queued
    assert len(list(transport.mdn_dir.glob("*.json"))) == 1

    restarted = _exchange(app).as2  # what a restart builds: the queue is on disk
    assert restarted is not None and restarted is not transport
    assert restarted.send_mdns(t0 + 10, wait=True) == 0  # backing off
    assert restarted.send_mdns(t0 + 31, wait=True) == 1
    assert restarted.send_mdns(t0 + 5000, wait=True) == 0
    assert _post(hub_url, msg).status_code == 200  # answered already: not queued again
    assert restarted.send_mdns(t0 + 9000, wait=True) == 0
    assert len(partner_server.mdns) == 2  # one refused, one taken: never sent twice
    assert list(restarted.mdn_dir.glob("*.json")) == []

    headers, body = partner_server.mdns[-1]
    assert headers["AS2-From"] == "CROSSDOCKHUB"
    verdict = Mdn().parse(raw_message(headers, body), lambda mid, r: msg)
    assert verdict == ("processed", None)  # signed by the hub, the MIC matches
    assert len(list((mailbox / "outbound").glob("*.x12"))) == 1  # one 997 for the one read


@pytest.mark.parametrize("async_mdn", [True])
def test_an_outbound_message_asking_an_asynchronous_mdn_waits_for_it_verified_and_matched(
    app: Application,
    hub_url: str,
    partner_server: PartnerServer,
    mailbox: Path,
    async_mdn: bool,
) -> None:
    outbound = mailbox / "outbound"
    outbound.mkdir(parents=True, exist_ok=True)
    (outbound / "997-000000001.x12").write_bytes((SAMPLES / "bigbox_two_orders.x12").read_bytes())
    transport = _exchange(app).as2
    assert transport is not None
    t0 = time.time()
    assert transport.send_pending(t0) == 0  # delivered; the MDN is to come
    assert len(partner_server.received) == 1
    assert transport.send_pending(t0 + 100) == 0  # waiting: not sent again
    assert len(partner_server.received) == 1
    [(url, headers, body)] = partner_server.owed
    assert url == hub_url + "/mdn"

    # forged or unsigned MDNs prove nothing and change nothing
    assert b"processed" in body
    tampered = body.replace(b"processed", b"failed/x!", 1)  # the signed part altered
    for h, b in [(headers, tampered), ({"Content-Type": "text/plain"}, b"processed")]:
        refused = httpx.post(url, content=b, headers=h, timeout=30)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (outbound / "997-000000001.x12").exists()
    assert app.hub.store.exceptions.page(system="bigbox", limit=10) == []

    assert transport.send_pending(t0 + 601) == 0  # the MDN is overdue: the alert, as for sync
    rows = app.hub.store.exceptions.page(system="bigbox", limit=10)
    assert [r.field for r in rows] == ["MDN"]
    assert "no MDN for 997-000000001.x12 within 600s" in rows[0].reason

    taken = httpx.post(url, content=body, headers=headers, timeout=30)  # the partner's MDN
    assert taken.status_code == 200, taken.text
    sent = outbound / "sent"
    assert (sent / "997-000000001.x12").exists()
    record = json.loads((sent / "997-000000001.x12.mdn.json").read_text())
    assert record["disposition"] == "processed" and record["mic"]
    assert list(outbound.glob("*.x12")) == []
    again = httpx.post(url, content=body, headers=headers, timeout=30)  # a repeat: no change
    assert again.status_code == 200
    assert transport.send_pending(t0 + 5000) == 0
    assert len(partner_server.received) == 1


@pytest.mark.parametrize("async_mdn", [True])
def test_an_asynchronous_mdn_whose_mic_is_not_the_one_sent_fails_the_file(
    app: Application, hub_url: str, partner_server: PartnerServer, mailbox: Path, async_mdn: bool
) -> None:
    outbound = mailbox / "outbound"
    outbound.mkdir(parents=True, exist_ok=True)
    (outbound / "997-000000002.x12").write_bytes((SAMPLES / "bigbox_two_orders.x12").read_bytes())
    transport = _exchange(app).as2
    assert transport is not None
    assert transport.send_pending(time.time()) == 0
    [(url, headers, body)] = partner_server.owed
    state_path = transport.state_dir / "997-000000002.x12.json"
    state = json.loads(state_path.read_text())
    assert state["awaiting"] and state["mic"]
    state["mic"] = (
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, sha256"  # not what the partner saw
    )
    state_path.write_text(json.dumps(state))

    assert httpx.post(url, content=body, headers=headers, timeout=30).status_code == 200
    assert (outbound / "failed" / "997-000000002.x12").exists()
    rows = app.hub.store.exceptions.page(system="bigbox", limit=10)
    assert [r.field for r in rows] == ["MDN"]
    assert "Message Integrity check failed" in rows[0].reason
