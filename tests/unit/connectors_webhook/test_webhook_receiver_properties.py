"""Property: any request, signed or not, either maps or is refused with InvalidInput."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from crossdock.connectors.base import SourceError
from crossdock.connectors.webhook.signing import Signer
from crossdock.connectors.webhook.source import WebhookSource
from crossdock.errors import ErrorCode, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change

SECRET = "whsec_" + base64.b64encode(b"crossdock-property-secret-32byte").decode()
RECEIVER = WebhookSource("portal", Signer(SECRET))

_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["\ud800", "P-1", "0001-01-01T00:00:00+14:00", "2024-01-01T00:00:00Z"])
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_change = st.fixed_dictionaries(
    {
        "entity_type": st.sampled_from([e.value for e in EntityType]) | _leaf,
        "native_id": st.text(max_size=12) | _leaf,
    },
    optional={
        "op": st.sampled_from(["upsert", "delete"]) | _leaf,
        "data": _json,
        "source_ts": _leaf,
        "idempotency_key": _leaf,
    },
)
_body = st.fixed_dictionaries({"changes": st.lists(_change | _json, max_size=4)}) | _change | _json


def _encodable(value: Any) -> bool:
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    return True


@settings(max_examples=300, deadline=None)
@given(
    body=_body,
    raw=st.none() | st.binary(max_size=32),
    skew=st.sampled_from([0, 0, 0, -3600, 3600]),
    tamper=st.sampled_from([None, None, "webhook-id", "webhook-timestamp", "webhook-signature"]),
    msg_id=st.text(min_size=1, max_size=12),
)
def test_any_request_maps_or_is_refused(
    body: Any, raw: bytes | None, skew: int, tamper: str | None, msg_id: str
) -> None:
    text = json.dumps(body) if raw is None else raw.decode("latin-1")
    content = text.encode() if raw is None else raw
    when = datetime.now(UTC) + timedelta(seconds=skew)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, when, text),
    }
    if tamper is not None:  # a value the header cannot already have (msg_id may be "x")
        headers[tamper] = {
            "webhook-id": msg_id + "-other",
            "webhook-timestamp": "x",
            "webhook-signature": "v1,AAAA",
        }[tamper]
    refused: InvalidInput | None = None
    try:
        items = RECEIVER.receive(headers, content)
    except InvalidInput as exc:
        refused = exc
    if refused is not None:
        assert refused.code in (ErrorCode.BAD_SIGNATURE, ErrorCode.VALIDATION_FAILED)
        assert refused.field
        return
    assert raw is None or raw.isascii()
    assert skew == 0
    assert tamper is None
    sent = body if raw is None else json.loads(raw)  # what really went over the wire
    changes = sent.get("changes", [sent])
    assert len(items) == len(changes)
    for i, item in enumerate(items):
        if isinstance(item, Change):
            assert item.ref == f"webhook:{msg_id}#{i}"
            assert _encodable(item.data)
            assert item.source_ts.tzinfo is not None
        else:
            assert isinstance(item, SourceError)
            assert item.field
            assert _encodable(item.raw)
