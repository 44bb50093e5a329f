"""Nobody but this computer's browser with the launch key gets in; the token never leaves."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from importer.sandbox.server import Config, Sandbox
from importer.web.routes import create_app
from importer.web.security import clean_path, page_location

from .conftest import row, write_csv
from .test_web import BASE, PORT, Page, page_for

TOKEN = "Tok3n-Very-Secret-42"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with page_for(tmp_path / "work") as p:
        yield p


def test_every_address_needs_the_launch_key(page):
    bare = TestClient(create_app(page.ctx), base_url=BASE)
    key = page.ctx.secrets.key
    for path in ("/", "/review", "/send", "/results", "/progress", "/static/app.js",
                 "/download/results", f"/{key[:-1]}/", f"/{key}x/review", f"/x/{key}/",
                 f"/review?key={key}x"):  # fmt: skip
        answer = bare.get(path, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "needs its key" in answer.text
    assert bare.get("/?key=wrong").status_code == 403
    assert bare.post("/upload", files={"file": ("a.csv", b"x")}).status_code == 403
    assert bare.post(f"/upload?key={key}", files={"file": ("a.csv", b"x")}).status_code == 403


def test_the_printed_address_leads_under_the_key_and_sets_no_cookie(page):
    fresh = TestClient(create_app(page.ctx), base_url=BASE)
    key = page.ctx.secrets.key
    answer = fresh.get(f"/?key={key}&x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/{key}/?x=1"
    assert "set-cookie" not in answer.headers
    assert fresh.get(f"/?key={key}").status_code == 200
    assert not fresh.cookies  # nothing another port of this host could be sent
    again = fresh.get(f"/{key}/review?key={key}", follow_redirects=False)
    assert again.headers["location"] == f"/{key}/review"
    assert fresh.get(f"/{key}", follow_redirects=False).headers["location"] == f"/{key}/"


def test_a_cookie_holding_the_key_opens_nothing(page):
    # Browsers send 127.0.0.1's cookies to every port: nothing a cookie says may count.
    key = page.ctx.secrets.key
    jar = {f"wolkvox_key_{PORT}": key, "key": key, "wolkvox_lang": "es"}
    fresh = TestClient(create_app(page.ctx), base_url=BASE, cookies=jar)
    for path in ("/", "/review", "/send", "/progress"):
        answer = fresh.get(path, headers={"referer": f"{BASE}/{key}/review"})
        assert answer.status_code == 403, path
        assert page.ctx.secrets.csrf not in answer.text
    sent = fresh.post("/send", data={"csrf": page.ctx.secrets.csrf},
                      headers={"origin": BASE, "sec-fetch-site": "same-origin"})  # fmt: skip
    assert sent.status_code == 403
    assert page.ctx.runs.current is None


def _asgi_get(app: Any, path: str, query: str) -> tuple[int, str]:
    """One GET with ``path`` exactly as given (no HTTP client cleans it up); (status, Location)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode("utf-8"), "root_path": "",
        "query_string": query.encode("latin-1"), "server": ("127.0.0.1", PORT),
        "client": ("127.0.0.1", 50000), "headers": [(b"host", f"127.0.0.1:{PORT}".encode())],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    location = dict(start["headers"]).get(b"location", b"").decode("latin-1")
    return start["status"], location


def _stays_on_the_page(location: str, root: str) -> None:
    assert location.startswith(root + "/"), location
    assert location[len(root) + 1 : len(root) + 2] not in {"/", "\\"}, location
    resolved = urlsplit(urljoin(f"{BASE}/somewhere/deep", location))
    assert (resolved.scheme, resolved.netloc) == ("http", f"127.0.0.1:{PORT}"), location
    assert resolved.path.startswith(root + "/"), location


TRICKY = ["//evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
          "/\\/evil.example", "///evil.example/", "/.//evil.example", "/..//evil.example",
          "/%2F%2Fevil.example", "/\t//evil.example", "/\r\n//evil.example", "evil.example",
          "/ //evil.example", "/。/evil.example", ""]  # fmt: skip


@pytest.mark.parametrize("path", TRICKY)
def test_the_key_redirect_stays_on_the_page_whatever_the_path(page, path):
    app = create_app(page.ctx)
    root = page.ctx.secrets.root
    for where in (path, root + path if path.startswith("/") else path):
        status, location = _asgi_get(app, where, f"key={page.ctx.secrets.key}")
        assert status == 303, where
        _stays_on_the_page(location, root)
        assert "\r" not in location and "\n" not in location


@pytest.mark.parametrize("target", [*TRICKY, "http://evil.example/", "https:evil.example",
                                    "/review?x=//evil.example"])  # fmt: skip
def test_the_pages_own_redirects_stay_on_it(page, target):
    # /lang goes back to the page it was switched on ("next"), a value the form sends
    raw = TestClient(create_app(page.ctx), base_url=BASE)
    root = page.ctx.secrets.root
    answer = raw.post(
        f"{root}/lang",
        data={"csrf": page.ctx.secrets.csrf, "lang": "es", "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    _stays_on_the_page(answer.headers["location"], root)


@given(st.text())
def test_a_cleaned_path_is_always_an_address_on_the_page(text):
    clean = clean_path(text)
    assert clean.startswith("/") and clean[1:2] not in {"/", "\\"}
    assert not any(c in clean for c in "\\\r\n\t ")
    resolved = urlsplit(urljoin(f"{BASE}/x/y", "/KEY" + clean))
    assert resolved.netloc == f"127.0.0.1:{PORT}" and resolved.path.startswith("/KEY/")
    assert page_location(text, "/KEY").startswith("/KEY/")


def test_every_address_in_a_page_is_under_the_key(tmp_path, page):
    page.upload(write_csv(tmp_path / "a.csv", [row("A"), row("B", skill_id="x")]))
    root = page.ctx.secrets.root
    bodies = [page.get(p).text for p in ("/", "/columns", "/review", "/send")]
    page.post("/send")
    page.wait_run()
    bodies.append(page.get("/results").text)
    found = 0
    for body in bodies:
        for attr, value in re.findall(r'\s(href|src|action|formaction|data-[a-z-]+)="([^"]*)"',
                                      body):  # fmt: skip
            if value.startswith("/"):
                found += 1
                assert value.startswith(root + "/"), (attr, value)
    assert found > 20
    assert f'name="page-root" content="{root}"' in bodies[0]


def test_no_referrer_leaves_for_another_origin(page):
    assert page.get("/").headers["referrer-policy"] in {"same-origin", "no-referrer"}


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:9", "localhost", ""]
)
def test_a_foreign_host_header_is_refused(page, host):
    answer = page.client.get("/", headers={"host": host})
    assert answer.status_code == 400
    assert "not served here" in answer.text


@pytest.mark.parametrize("host", [f"localhost:{PORT}", f"[::1]:{PORT}", f"127.0.0.1:{PORT}"])
def test_the_local_names_are_served(page, host):
    assert page.client.get("/", headers={"host": host}).status_code == 200


def _post_routes(web: Page) -> list[str]:
    app = create_app(web.ctx)
    return [r.path for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]


def test_every_state_changing_request_needs_the_csrf_token(tmp_path, page):
    routes = _post_routes(page)
    assert {"/upload", "/cell", "/send", "/stop", "/resume", "/columns", "/sheet", "/lang"} <= set(
        routes
    )
    for path in routes:
        plain = page.client.post(path, data={"x": "1"})
        assert plain.status_code == 403, path
        assert "missing security token" in plain.text
        wrong = page.client.post(path, data={"csrf": "nope"}, headers={"x-csrf-token": "no"})
        assert wrong.status_code == 403, path
        as_json = page.client.post(path, json={"row": 2})
        assert as_json.status_code == 403, path
    # with the token, the same upload is accepted
    with_token = page.post("/upload", files={"file": ("a.csv", write_csv(
        tmp_path / "a.csv", [row("A")]).read_bytes())})  # fmt: skip
    assert with_token.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": f"http://127.0.0.1:{PORT + 1}"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_a_request_from_another_site_is_refused_even_with_the_token(page, headers):
    answer = page.client.post(
        "/lang", data={"csrf": page.ctx.secrets.csrf, "lang": "es"}, headers=headers
    )
    assert answer.status_code == 403
    assert "another site" in answer.text


def test_the_pages_own_origin_is_accepted(page):
    answer = page.client.post(
        "/lang",
        data={"csrf": page.ctx.secrets.csrf, "lang": "es"},
        headers={"origin": BASE, "sec-fetch-site": "same-origin"},
    )
    assert answer.status_code == 200


def test_answers_forbid_framing_scripts_from_elsewhere_and_caching(page):
    headers = page.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"


def _texts_of_workbook(content: bytes) -> str:
    if not content.startswith(b"PK"):  # a CSV given back as a CSV
        return content.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())


def test_the_token_is_in_no_page_cookie_download_or_file(tmp_path):
    work = tmp_path / "work"
    with Sandbox(Config(tokens=frozenset({TOKEN}))) as box:
        with page_for(work, simulate=False, base_url=box.url) as page:
            page.upload(write_csv(tmp_path / "t.csv", [row("A"), row("B", skill_id="x")]))
            assert 'data-testid="token-input"' in page.get("/send").text
            page.post("/send", {"token": TOKEN})
            assert page.wait_run()["counts"] == {"created": 1}
            for path in ("/", "/send", "/results", "/progress", "/review", "/columns"):
                page.get(path)
            kinds = ("results", "retry", "corrected", "edited", "corrected-xlsx", "edited-xlsx")
            downloads = [page.get(f"/download/{what}") for what in kinds]
            assert all(d.status_code == 200 for d in downloads)
            assert not any(TOKEN.encode() in body for body in page.seen)
            assert not any(TOKEN in _texts_of_workbook(d.content) for d in downloads)
            assert TOKEN not in str(page.client.cookies)
            assert page.ctx.runs.current is not None
            assert TOKEN not in repr(vars(page.ctx.runs.current))
        assert box.state.snapshot()["create_calls"] == 1
    for path in Path(work).rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_wrong_token_is_told_on_send_with_the_servers_words_and_no_token(tmp_path):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}))) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "t.csv", [row("A")]))
        told = page.post("/send", {"token": "not-the-token"})
        assert told.url.path == "/send"
        assert "not-the-token" not in told.text
        assert "PLEASE VALIDATE TOKEN" in told.text


def test_sending_without_a_token_says_what_to_do(tmp_path):
    with Sandbox(Config(tokens=frozenset({TOKEN}))) as box:
        with page_for(tmp_path / "work", simulate=False, base_url=box.url) as page:
            page.upload(write_csv(tmp_path / "t.csv", [row("A")]))
            answer = page.post("/send", {"token": ""})
            assert answer.status_code == 400
            assert "Type the token" in answer.text
            bad = page.post("/send", {"token": "has space"})
            assert "characters a token cannot have" in bad.text
            assert "has space" not in bad.text
        assert box.state.snapshot()["create_calls"] == 0


def test_a_websocket_is_refused_before_anything(page):
    from starlette.websockets import WebSocketDisconnect

    raw = TestClient(create_app(page.ctx), base_url=BASE)
    with pytest.raises(WebSocketDisconnect), raw.websocket_connect(f"{page.ctx.secrets.root}/x"):
        pass
