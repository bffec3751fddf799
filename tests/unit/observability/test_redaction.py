"""No secret survives redaction, whatever shape of text it sits in; ordinary text is kept."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.observability.logging import configure_logging
from crossdock.observability.redaction import (
    RedactingFilter,
    Redactor,
    redact_text,
    register_secret,
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("POST https://ops:hunter2pass@portal.example.com/hooks", "hunter2pass"),
        ("POST https://ops@portal.example.com/hooks", "ops@"),
        ('HTTP Request: POST http://127.0.0.1:9/h?token=abcdef123&x=1 "200"', "abcdef123"),
        ("GET /v1/hooks?access_token=zzzzzz99 HTTP/1.1", "zzzzzz99"),
        ("headers={'Authorization': 'Bearer eyJhbGciOi.J9xyz'}", "eyJhbGciOi"),
        ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
        ("X-API-Key: cdk_ab12cd34_0123456789abcdefghijABCDEFGHIJ__", "0123456789abcdef"),
        ("key cdk_ab12cd34_0123456789abcdefghijABCDEFGHIJ__ used", "0123456789abcdef"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw loaded", "MfKQ9r8GKY"),
        ('{"password": "pa55word!", "user": "x"}', "pa55word!"),
        ("login failed password=letmein42 user=admin", "letmein42"),
    ],
)
def test_shapes_of_secrets_are_masked(text: str, secret: str) -> None:
    assert secret not in redact_text(text)


def test_ordinary_text_is_kept() -> None:
    text = "route items-to-wms: retrying 12 deliveries in 0.50s (http://127.0.0.1:8080/hooks)"
    assert redact_text(text) == text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=8, max_size=40))
def test_a_registered_secret_is_masked_anywhere(secret: str) -> None:
    redactor = Redactor()
    redactor.register("another-secret-value")
    redactor.register(secret)
    for text in (secret, f"x{secret}y", f"url=https://h/?q={secret}", f"{secret} and {secret}"):
        assert secret not in redactor.redact(text)


def test_every_log_record_is_redacted_at_any_level(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", json=True, stream=out)
    register_secret("the-env-secret-91ff")
    log = logging.getLogger("crossdock.test")
    log.debug("to %s", "https://u:pw-in-url-77@h/x?sig=sig-value-55")
    log.info("from env: %s", "the-env-secret-91ff")
    try:
        raise RuntimeError("connect to https://u:pw-in-traceback-33@h/ failed")
    except RuntimeError:
        log.exception("delivery failed")
    logging.getLogger("httpx").info("HTTP Request: POST https://u:httpx-pw-44@h/")
    text = out.getvalue()
    for secret in ("pw-in-url-77", "sig-value-55", "the-env-secret-91ff", "pw-in-traceback-33"):
        assert secret not in text
    assert "httpx-pw-44" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines][:2] == [
        "to https://***@h/x?sig=***",
        "from env: ***",
    ]
    assert "RuntimeError" in lines[2]["exception"]


def test_handlers_outside_the_pipeline_get_the_filter(restore_logging: None) -> None:
    out = io.StringIO()
    foreign = logging.getLogger("uvicorn.test")
    handler = logging.StreamHandler(out)
    foreign.addHandler(handler)
    foreign.propagate = False
    try:
        configure_logging("INFO", json=True, stream=io.StringIO())
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        foreign.warning("GET %s", "/hook?token=tok-uvicorn-66")
        assert "tok-uvicorn-66" not in out.getvalue()
    finally:
        foreign.removeHandler(handler)
        foreign.propagate = True
