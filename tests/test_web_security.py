"""Nobody but this computer's browser with the launch key gets in; the token never leaves."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from importer.sandbox import Config, Sandbox
from importer.web.app import create_app

from .conftest import row, write_csv
from .test_web import BASE, PORT, Page, page_for

TOKEN = "Tok3n-Very-Secret-42"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with page_for(tmp_path / "work") as p:
        yield p


def test_every_address_needs_the_launch_key(page):
    bare = TestClient(page.client.app, base_url=BASE)
    for path in ("/", "/review", "/send", "/results", "/progress", "/static/app.js",
                 "/download/results"):  # fmt: skip
        answer = bare.get(path, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "needs its key" in answer.text
    assert bare.get("/?key=wrong").status_code == 403
    assert bare.post("/upload", files={"file": ("a.csv", b"x")}).status_code == 403


def test_the_key_in_the_address_becomes_a_strict_cookie_and_leaves_the_address(page):
    fresh = TestClient(page.client.app, base_url=BASE)
    answer = fresh.get(f"/?key={page.ctx.secrets.key}&x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?x=1"
    cookie = answer.headers["set-cookie"]
    assert f"wolkvox_key_{PORT}={page.ctx.secrets.key}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert fresh.get("/").status_code == 200


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
            kinds = ("results", "retry", "corrected", "edited")
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


def test_a_wrong_token_ends_the_run_with_the_servers_words_and_no_token(tmp_path):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}))) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "t.csv", [row("A")]))
        page.post("/send", {"token": "not-the-token"})
        page.wait_run()
        results = page.get("/results").text
        assert "not-the-token" not in results
        assert "PLEASE VALIDATE TOKEN" in results


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
