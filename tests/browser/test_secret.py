"""The page refuses every request that does not carry the per-launch key, and nothing another
service on this computer can capture from the browser is enough to read the page or start a run.

Most of these are plain HTTP (no browser needed); the capture test drives Chromium, because what
matters is what a real browser sends to another port of 127.0.0.1.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from . import pages
from .pages import find
from .support import campaign_rows, wait_for, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _status(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, cookies: bool = False
) -> int:
    """The HTTP status of one request from a fresh client (with a cookie jar if asked)."""
    handlers = [urllib.request.HTTPCookieProcessor(CookieJar())] if cookies else []
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, method=method, headers=headers or {})
    data = b"" if method == "POST" else None
    try:
        with opener.open(request, data=data, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_requests_without_the_secret_are_refused(start_web):
    server = start_web()
    origin = server.origin
    assert server.url.rstrip("/") != origin, f"the address carries no secret: {server.url}"
    assert _status(server.url, cookies=True) == 200
    assert _status(f"{origin}/") == 403
    if server.secret:
        assert _status(server.url.replace(server.secret, "not-the-secret")) == 403
    assert _status(f"{origin}/anything/else") == 403
    assert _status(f"{origin}/", method="POST") == 403
    # DNS rebinding: a foreign Host header is refused even with the secret.
    port = origin.rsplit(":", 1)[1]
    foreign = _status(server.url, headers={"Host": f"evil.example:{port}"}, cookies=True)
    assert foreign in {400, 403, 421}, foreign


def test_the_key_travels_in_the_address_only(start_web, page, context):
    server = start_web()
    pages.open_page(page, server.url)
    assert server.secret in page.url and "key=" not in page.url
    assert not [c for c in context.cookies() if server.secret in c["value"]], "a cookie holds it"
    # the page's own links and forms keep it
    pages.choose_language(page, "es")
    assert server.secret in page.url
    page.goto(server.origin + "/")
    assert "necesita su clave" in page.content()  # refused, in the language chosen


# --- another service on this computer --------------------------------------------------------

Seen = tuple[str, str, list[tuple[str, str]]]


class Capture:
    """A plain HTTP server on another port of 127.0.0.1 that keeps every request it gets."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def _keep(self) -> None:
                seen.append((self.command, self.path, list(self.headers.items())))
                body = b"<!doctype html><title>another service</title><p>hello</p>"
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _keep

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Capture:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture() -> Iterator[Capture]:
    with Capture() as other:
        yield other


#: Headers that describe one connection, not what a replaying process could resend.
_PER_CONNECTION = {"host", "connection", "content-length", "keep-alive"}


def _replay(origin: str, method: str, path: str, headers: list[tuple[str, str]],
            body: bytes = b"") -> tuple[int, str, bytes]:  # fmt: skip
    """Send ``headers`` (as captured elsewhere) to the page; (status, location, body)."""
    where = urlsplit(origin)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", where.netloc)
        for name, value in headers:
            if name.lower() not in _PER_CONNECTION:
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        answer = conn.getresponse()
        return answer.status, answer.getheader("location") or "", answer.read()
    finally:
        conn.close()


def test_what_another_local_port_captures_opens_nothing_and_starts_nothing(
    start_web, page, capture, tmp_path
):
    server = start_web()
    pages.open_page(page, server.url)
    pages.upload(page, write_xlsx(tmp_path / "two.xlsx", campaign_rows(2)))
    pages.to_send(page)
    assert find(page, "send").is_visible()
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert csrf

    # The same browser visits the other service: from the page itself (so a Referer would be
    # sent if the page allowed it), then typed into the address bar.
    page.evaluate("url => setTimeout(() => { window.location.href = url }, 0)",
                  f"{capture.url}/from-the-page")  # fmt: skip
    page.wait_for_url(f"{capture.url}/from-the-page")
    page.goto(f"{capture.url}/typed")
    wait_for(lambda: len(capture.seen) >= 2, what="the other service to be visited twice")

    everything = repr(capture.seen)
    assert server.secret not in everything, f"the key reached another port: {capture.seen}"
    assert csrf not in everything
    assert f"{server.origin}/" not in everything, "the page's address reached another port"

    # A process holding all of it replays it, every captured header, to the page.
    for _method, path, headers in capture.seen:
        for target in (path, "/", "/review", "/send", "/progress", "/results",
                       "/download/edited", "/static/app.js"):  # fmt: skip
            status, location, body = _replay(server.origin, "GET", target, headers)
            assert csrf.encode() not in body, (target, status)
            assert status in {400, 403, 404}, (target, status, location)
        form = [*headers, ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", server.origin), ("Sec-Fetch-Site", "same-origin")]  # fmt: skip
        status, _location, _body = _replay(server.origin, "POST", "/send", form, b"csrf=&token=")
        assert status == 403
    assert not any((server.workdir / "runs").glob("*/*")), "a run was started"
    # the page itself still works in the browser that holds its address
    page.go_back()
    page.go_back()
    pages.to_send(page)
    assert find(page, "send").is_visible()


def _raw_get(origin: str, target: str) -> tuple[int, str]:
    """GET with the request target exactly as given (no client clean-up); (status, Location)."""
    where = urlsplit(origin)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.putrequest("GET", target, skip_host=True)
        conn.putheader("Host", where.netloc)
        conn.endheaders()
        answer = conn.getresponse()
        answer.read()
        return answer.status, answer.getheader("location") or ""
    finally:
        conn.close()


# One page answers every hostile target: starting a page costs seconds, asking it costs nothing.
HOSTILE_TARGETS = [
    "//evil.example/", "//evil.example", "/\\evil.example/", "/%2F%2Fevil.example/",
    "/%5C%5Cevil.example/", "/%2F/evil.example", "///evil.example/", "/./..//evil.example/",
    "/%09/evil.example/", "http://evil.example/",
]  # fmt: skip


def test_the_key_redirect_never_leaves_the_page(start_web):
    server = start_web()
    for target in HOSTILE_TARGETS:
        status, location = _raw_get(server.origin, f"{target}?key={server.secret}")
        if status == 400:  # a target the HTTP layer refuses outright is fine too
            assert not location, target
            continue
        assert status == 303, (target, status)
        assert location.startswith("/") and location[1:2] not in {"/", "\\"}, location
        assert "evil.example" not in urlsplit(location).netloc, (target, location)
        # a browser resolves it on the page's own origin
        resolved = urlsplit(urllib.request.urljoin(f"{server.origin}/", location))
        assert f"{resolved.scheme}://{resolved.netloc}" == server.origin, (target, location)


def test_the_printed_address_lands_on_the_page(start_web):
    server = start_web()
    status, location = _raw_get(server.origin, f"/?key={server.secret}")
    assert status == 303 and location.startswith("/")
    assert _status(urllib.request.urljoin(f"{server.origin}/", location)) == 200
