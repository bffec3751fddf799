"""The API docs and the home page open with no network: everything they load is served here."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

_REFS = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in _REFS.findall(html)]


@pytest.mark.parametrize("page", ["/v1/docs", "/v1/redoc"])
def test_the_docs_load_only_what_the_app_serves(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    refs = _references(answer.text)
    assert refs, "the page references its script and the OpenAPI document"
    for ref in refs:
        assert not re.match(r"^(https?:)?//", ref), f"{page} loads {ref} from elsewhere"
        assert client.get(ref).status_code == 200, ref
    assert "cdn.jsdelivr" not in answer.text and "fonts.googleapis" not in answer.text


def test_the_home_page_links_docs_health_and_metrics(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    links = _references(answer.text)
    assert {"/v1/docs", "/v1/health", "/v1/metrics", "/v1/openapi.json"} <= set(links)
    assert client.get("/v1/health").status_code == 200
    assert client.get("/v1/metrics").status_code == 401  # still needs a key


def test_the_docs_pages_are_not_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert not any(p.startswith(("/v1/docs", "/v1/redoc")) or p == "/" for p in paths)
