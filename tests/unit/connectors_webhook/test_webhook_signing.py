"""Standard Webhooks sign/verify: round trip, tampering, wrong secret, clock skew, headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from crossdock.connectors.webhook.signing import Signer, parse_secret, sign_request, verify
from crossdock.errors import ErrorCode, InvalidInput

SECRET = "whsec_" + base64.b64encode(b"crossdock-unit-test-secret-32by").decode()
OTHER = "whsec_" + base64.b64encode(b"some-other-secret-of-enough-len").decode()
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
BODY = b'{"entity_type":"product","native_id":"P-1","data":{"sku":"P-1"}}'


def _headers(ts: datetime = NOW, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return sign_request(secret, "msg_1", ts, body)


def test_round_trip() -> None:
    checked = verify(SECRET, _headers(), BODY, now=NOW)
    assert checked.msg_id == "msg_1"
    assert checked.timestamp == NOW
    assert checked.text == BODY.decode()


def test_headers_are_case_insensitive() -> None:
    upper = {k.upper(): v for k, v in _headers().items()}
    assert verify(SECRET, upper, BODY, now=NOW).msg_id == "msg_1"


def test_interoperates_with_the_standardwebhooks_library() -> None:
    now = datetime.now(UTC)
    ours = sign_request(SECRET, "msg_2", now, BODY)
    assert Webhook(SECRET).verify(BODY, ours) == {
        "entity_type": "product",
        "native_id": "P-1",
        "data": {"sku": "P-1"},
    }
    theirs = {
        "webhook-id": "msg_3",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_3", now, BODY.decode()),
    }
    assert verify(SECRET, theirs, BODY).msg_id == "msg_3"


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(InvalidInput) as info:
        verify(SECRET, _headers(), BODY.replace(b"P-1", b"P-2"), now=NOW)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == "webhook-signature"
    assert "body was changed" in info.value.reason


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(InvalidInput) as info:
        verify(OTHER, _headers(), BODY, now=NOW)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == "webhook-signature"


def test_any_matching_signature_passes_for_secret_rotation() -> None:
    old = _headers(secret=OTHER)["webhook-signature"]
    new = _headers()["webhook-signature"]
    headers = {**_headers(), "webhook-signature": f"v2,abc {old} garbage {new}"}
    assert verify(SECRET, headers, BODY, now=NOW).msg_id == "msg_1"


def test_garbage_signature_header_is_a_bad_signature_not_a_crash() -> None:
    headers = {**_headers(), "webhook-signature": "not-a-signature"}
    with pytest.raises(InvalidInput) as info:
        verify(SECRET, headers, BODY, now=NOW)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == "webhook-signature"


@pytest.mark.parametrize(
    ("offset", "word"), [(timedelta(seconds=-301), "old"), (timedelta(seconds=301), "future")]
)
def test_timestamp_outside_tolerance_is_rejected(offset: timedelta, word: str) -> None:
    with pytest.raises(InvalidInput) as info:
        verify(SECRET, _headers(ts=NOW + offset), BODY, now=NOW)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == "webhook-timestamp"
    assert word in info.value.reason
    assert "tolerance is 300s" in info.value.reason


def test_timestamp_within_a_custom_tolerance_passes() -> None:
    headers = _headers(ts=NOW - timedelta(seconds=900))
    assert verify(SECRET, headers, BODY, now=NOW, tolerance_seconds=1000).msg_id == "msg_1"


def test_non_integer_timestamp_is_rejected() -> None:
    headers = {**_headers(), "webhook-timestamp": "yesterday"}
    with pytest.raises(InvalidInput) as info:
        verify(SECRET, headers, BODY, now=NOW)
    assert info.value.field == "webhook-timestamp"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_rejected(missing: str) -> None:
    headers = {k: v for k, v in _headers().items() if k != missing}
    with pytest.raises(InvalidInput) as info:
        verify(SECRET, headers, BODY, now=NOW)
    assert info.value.code is ErrorCode.BAD_SIGNATURE
    assert info.value.field == missing
    assert "missing" in info.value.reason


def test_signer_headers_match_sign_request() -> None:
    assert Signer(SECRET).headers("msg_1", int(NOW.timestamp()), BODY) == _headers()


@pytest.mark.parametrize("bad", ["", "whsec_", "whsec_not base64!"])
def test_unusable_secret_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        parse_secret(bad)
