"""The seeded hub every order test starts from, on the backend under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossdock.app import Application

from .seed import seeded


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    a = seeded(store_url)
    yield a
    a.close()
