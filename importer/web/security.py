"""Who may use the page: this computer's browser holding the launch key, nobody else.

Every request passes :class:`Guard` first, which refuses

* a ``Host`` header that is not the address the server listens on (a web page
  elsewhere could otherwise point a name of its own at 127.0.0.1: DNS rebinding),
* a request without the per-launch key (in the address printed at start, then in an
  HttpOnly, SameSite=Strict cookie),
* a state-changing request sent from another site (``Origin``/``Sec-Fetch-Site``).

State-changing requests must also carry the per-launch CSRF token, in the
``X-CSRF-Token`` header or a ``csrf`` form field: :func:`check_csrf`, applied to every
POST route by :func:`importer.web.app.post`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from importer import i18n
from importer.errors import ImporterError
from importer.i18n import _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
KEY_PARAM = "key"
LANG_COOKIE = "wolkvox_lang"

#: Sent with every answer: no framing, no sniffing, no referrer to other sites (the first
#: address holds the key; "no-referrer" would make Chromium send ``Origin: null`` with the
#: page's own forms), scripts and styles from this server only, nothing cached.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class Forbidden(ImporterError):
    """A request that must be refused (403), with the reason for the person."""


@dataclass
class Secrets:
    """The per-launch key and CSRF token, and the addresses the page may be reached at."""

    port: int
    hosts: frozenset[str]
    #: True when --host named a wildcard address: any Host is accepted (the key still counts).
    any_host: bool = False
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def cookie(self) -> str:
        # Cookies do not tell ports apart: a name per port keeps two servers apart.
        return f"wolkvox_key_{self.port}"

    def host_ok(self, host: str) -> bool:
        return self.any_host or host.lower() in self.hosts

    def origin_ok(self, origin: str) -> bool:
        if self.any_host:
            return origin.startswith("http://")
        return any(origin.lower() == f"http://{h}" for h in self.hosts)


def local_hosts(port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` header values that name this server."""
    names = ["127.0.0.1", "localhost", "[::1]", *extra]
    return frozenset(f"{n}:{port}".lower() for n in names)


def check_csrf(secrets_: Secrets, header: str | None, field_value: object) -> None:
    """Raise :class:`Forbidden` unless the header or form field holds the CSRF token."""
    for given in (header, field_value):
        if isinstance(given, str) and hmac.compare_digest(given, secrets_.csrf):
            return
    raise Forbidden(_("The request was refused (missing security token). Reload the page."))


def _cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is simply no cookie
        return {}
    return {k: v.value for k, v in jar.items()}


def language(headers: Headers, default: str) -> str:
    """The page's language: the person's choice (a cookie), else the server's default."""
    chosen = _cookies(headers).get(LANG_COOKIE, "")
    return chosen if chosen in i18n.LANGUAGES else default


class Guard:
    """ASGI middleware: host, key and cross-site checks, and security headers."""

    def __init__(self, app: ASGIApp, secrets_: Secrets, default_language: str) -> None:
        self.app = app
        self.secrets = secrets_
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        with i18n.using(language(headers, self.default_language)):
            await self._guarded(scope, receive, send, headers)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if scope["method"] == "GET" and any(k == KEY_PARAM for k, _v in query):
            # The first visit: keep the key in a cookie and drop it from the address,
            # so it is not left in the history or on the screen.
            rest = urlencode([(k, v) for k, v in query if k != KEY_PARAM])
            location = scope["path"] + (f"?{rest}" if rest else "")
            cookie = f"{self.secrets.cookie}={self.secrets.key}; Path=/; HttpOnly; SameSite=Strict"
            await _plain(send, 303, "", [("location", location), ("set-cookie", cookie)])
            return
        await self.app(scope, receive, _with_headers(send))

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        """(status, message) when the request must be refused, else None."""
        if not self.secrets.host_ok(headers.get("host", "")):
            return 400, _("This address is not served here. Open the address printed at start.")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get(KEY_PARAM) or _cookies(headers).get(self.secrets.cookie, "")
        if not hmac.compare_digest(given.encode(), self.secrets.key.encode()):
            return 403, _(
                "This page needs its key. Open the address that wolkvox-import web printed "
                "when it started (it ends with ?key=...)."
            )
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            site = headers.get("sec-fetch-site")
            if (origin is not None and not self.secrets.origin_ok(origin)) or (
                site is not None and site not in {"same-origin", "none"}
            ):
                return 403, _("The request came from another site and was refused.")
        return None


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            headers.setdefault("cache-control", "no-store")
        await send(message)

    return wrapped


async def _plain(send: Send, status: int, text: str, extra: Iterable[tuple[str, str]] = ()) -> None:
    body = text.encode("utf-8")
    raw = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()),
        (b"cache-control", b"no-store"),
        *((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
