"""The page refuses every request that does not carry the per-launch secret (plain HTTP, no
browser needed)."""

from __future__ import annotations

import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

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
