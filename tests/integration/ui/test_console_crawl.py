"""Every console page and form, found by following the pages' own links, answers without a 500.

A crawler signs in as admin, follows each link under /console from the pages
it can reach without an id (read off the app's routes), and submits every form
it finds: as rendered, then with each field in turn replaced by a hostile
value (empty, huge, not a number, markup, a NUL, a path). No answer may be a
server error, every page must be HTML or a redirect, and no page may echo a
submitted value as markup. Then, signed in with a read key, every form the
admin saw that would change something is refused (403), and a path parameter
that names nothing is a page that says so (4xx), never a 500.

Pages added later are crawled without changing this test, as long as a page
links to them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from test_console_pages import sign_in

from console_hub import Keys
from crossdock.ui.console import ROUTERS
from crossdock.ui.pages import PREFIX

pytestmark = pytest.mark.integration

HOSTILE = [
    "",
    "x" * 5000,
    "-1",
    "1e309",
    "NaN",
    "{",
    "<script>alert(1)</script>",
    "a\x00b",
    "../../etc/passwd",
    "ü\u202eevil",
]
MARKUP = "<script>alert(1)</script>"
NOT_FOLLOWED = ("/console/static", "/console/logout", "/console/login")
MAX_PAGES = 150


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self._form = Form(action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") in ("submit", "button", "image", "reset"):
                return
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self._form.fields.setdefault(a["name"], "")
                return
            self._form.fields[a["name"]] = a.get("value", "")
            self._select = a["name"] if tag == "select" else None
        elif (
            tag == "option"
            and self._form is not None
            and self._select
            and not self._form.fields.get(self._select)
        ):  # a select's first option is what the browser would send
            self._form.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _console(url: str) -> str | None:
    """The path and query of a console URL worth following, else None."""
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/console"):
        return None
    if parts.path.startswith(NOT_FOLLOWED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _gets() -> list[APIRoute]:
    """The console's GET routes (their paths with the console's prefix)."""
    return [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in r.methods
    ]


def _starts() -> list[str]:
    """Every console page reachable without an id, read off the console's routers."""
    paths = {PREFIX + r.path for r in _gets() if "{" not in r.path}
    return sorted(p for p in paths if _console(p) is not None)


def _check(url: str, status: int, content_type: str, text: str, sent: str = "") -> None:
    assert status < 500, f"{url}: {status}\n{text[:2000]}"
    if 200 <= status < 300 and status != 204:
        assert content_type.startswith("text/html"), f"{url}: {content_type}"
    if MARKUP in sent:
        assert MARKUP not in text, f"{url} echoes submitted markup unescaped"


def _crawl(client: TestClient) -> tuple[list[str], list[Form]]:
    seen: set[str] = set()
    queue = deque(_starts())
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url, follow_redirects=False)
        _check(url, r.status_code, r.headers.get("content-type", ""), r.text)
        if r.is_redirect:
            target = _console(urljoin(url, r.headers["location"]))
            if target is not None:
                queue.append(target)
            continue
        page = _Page(url)
        page.feed(r.text)
        queue.extend(u for link in page.links if (u := _console(link)) is not None)
        for f in page.forms:
            if _console(f.action) is not None:
                forms.setdefault((f.action, f.method, tuple(sorted(f.fields))), f)
    return sorted(seen), list(forms.values())


def _submit(client: TestClient, form: Form, values: dict[str, str]) -> None:
    target = _console(form.action)
    assert target is not None
    if form.method == "post":
        r = client.post(target, data=values, follow_redirects=False)
    else:
        sep = "&" if "?" in target else "?"
        r = client.get(target + sep + urlencode(values), follow_redirects=False)
    sent = " ".join(values.values())
    _check(target, r.status_code, r.headers.get("content-type", ""), r.text, sent)
    if r.is_redirect and (follow := _console(urljoin(target, r.headers["location"]))):
        page = client.get(follow, follow_redirects=False)
        _check(follow, page.status_code, page.headers.get("content-type", ""), page.text, sent)


def test_every_page_and_form_answers_without_a_server_error(client: TestClient, keys: Keys) -> None:
    sign_in(client, keys.admin)
    pages, forms = _crawl(client)
    assert len(pages) >= 8 and forms, (pages, forms)
    for form in forms:
        _submit(client, form, dict(form.fields))
        for name in form.fields:
            if name == "csrf":
                continue
            for bad in HOSTILE:
                _submit(client, form, {**form.fields, name: bad})
    # the crawl again, after every action ran: the pages still render
    again, _ = _crawl(client)
    assert again


def test_a_read_key_is_refused_every_form_that_changes_something(
    client: TestClient, keys: Keys
) -> None:
    sign_in(client, keys.admin)
    _, forms = _crawl(client)
    actions = [f for f in forms if f.method == "post"]
    assert actions
    token = sign_in(client, keys.read)
    for form in actions:
        target = _console(form.action)
        assert target is not None
        r = client.post(target, data={**form.fields, "csrf": token}, follow_redirects=False)
        assert r.status_code == 403, target


@pytest.mark.parametrize("bad", ["0", "-1", "99999999999999999999999", "abc", "%2e%2e", "x" * 300])
def test_a_path_that_names_nothing_is_a_page_saying_so(
    client: TestClient, keys: Keys, bad: str
) -> None:
    sign_in(client, keys.admin)
    for route in _gets():
        if "{" not in route.path:
            continue
        url = PREFIX + route.path
        for name in route.param_convertors:
            url = url.replace("{" + name + "}", bad)
        r = client.get(url, follow_redirects=False)
        assert r.status_code < 500, f"{url}: {r.status_code}\n{r.text[:2000]}"


def test_a_control_character_is_refused_by_name_and_never_echoed_as_markup(
    client: TestClient, keys: Keys
) -> None:
    token = sign_in(client, keys.admin)
    r = client.get("/console/exceptions", params={"<b>x</b>": "a\x00b"})
    assert r.status_code == 400 and "<b>" not in r.text and "control character" in r.text
    r = client.post("/console/exceptions/retry-code", data={"csrf": token, "code": "x\x07"})
    assert r.status_code == 400 and "&#x27;code&#x27;" in r.text
