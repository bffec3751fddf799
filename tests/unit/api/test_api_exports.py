"""The API package's public face is what we mean to export."""

from __future__ import annotations

import crossdock.api


def test_public_names() -> None:
    assert sorted(crossdock.api.__all__) == ["Scope", "create_api_key", "create_app"]
    for name in crossdock.api.__all__:
        assert getattr(crossdock.api, name) is not None
