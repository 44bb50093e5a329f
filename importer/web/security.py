"""Who may use the page: this computer's browser holding the launch key, nobody else.

**The key is in every address of the page**, as its first path segment:
``http://127.0.0.1:PORT/KEY/review``. The address printed at start (``/?key=KEY``) is answered
with a redirect to ``/KEY/``; nothing else opens anything. No cookie holds the key.

Why the path, and not a cookie. Browsers send the cookies of ``127.0.0.1`` to every port of
``127.0.0.1`` (cookies know hosts, not ports), so any other local service the same browser visits
receives them, and a process can then replay them with any headers it likes. Jupyter (a token
that becomes a login cookie named after the port, plus an ``_xsrf`` cookie) and code-server (a
session cookie) both rest on such cookies; the port in the name only keeps two servers apart,
it hides nothing. Headers (``Origin``, ``Sec-Fetch-Site``) tell a browser's cross-site request
apart, but a replaying process forges them, so they cannot be the credential either. What
never leaves the page's own origin (scheme, host *and port*) is its address: a browser sends a
URL only to that URL's server, and ``Referrer-Policy: same-origin`` keeps it out of the
``Referer`` of requests to anywhere else, other ports included. A per-launch secret kept in the
page's storage and sent as a header would do too, but only for requests made by script: the
page's links, forms and downloads are plain navigations, which cannot carry a header. So the key
rides in the path, and a cookie, a ``Referer`` or any header captured elsewhere opens nothing.

Every request passes :class:`Guard` first, which

* refuses a ``Host`` header that is not the address the server listens on (a web page
  elsewhere could otherwise point a name of its own at 127.0.0.1: DNS rebinding),
* refuses a request whose path does not begin with ``/KEY/`` (403),
* refuses a state-changing request sent from another site (``Origin``/``Sec-Fetch-Site``),
* hands the application the rest of the path (the key becomes the ASGI ``root_path``), and
  puts the key back in front of every redirect it answers, built from a normalised path, so
  no redirect can leave the page (``//host``, ``/\\host`` and their encoded forms included).

Pages are made with :func:`importer.web.app.render`, which puts the key in front of every
address in the page (:func:`keyed_html`), so no link can forget it.

State-changing requests must also carry the per-launch CSRF token, in the
``X-CSRF-Token`` header or a ``csrf`` form field: :func:`check_csrf`, applied to every
POST route by :func:`importer.web.app.post`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

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

#: Sent with every answer: no framing, no sniffing, no referrer to any other origin (every
#: address holds the key; other ports are other origins; "no-referrer" would make Chromium
#: send ``Origin: null`` with the page's own forms), scripts and styles from this server only,
#: nothing cached.
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
    def root(self) -> str:
        """The start of every address of the page: ``/KEY``."""
        return f"/{self.key}"

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
    """ASGI middleware: host, key and cross-site checks, redirects kept on the page, and
    security headers."""

    def __init__(self, app: ASGIApp, secrets_: Secrets, default_language: str) -> None:
        self.app = app
        self.secrets = secrets_
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the page has none: no second way in to guard
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        with i18n.using(language(headers, self.default_language)):
            await self._guarded(scope, receive, send, headers)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        if not self.secrets.host_ok(headers.get("host", "")):
            await _plain(
                send, 400, _("This address is not served here. Open the address printed at start.")
            )
            return
        root = self.secrets.root
        path: str = scope["path"]
        inside = _under(path, root)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == KEY_PARAM]
        if given and scope["method"] in {"GET", "HEAD"} and _same(given[-1], self.secrets.key):
            # The printed address: on to the same place under the key, the key out of the
            # query (the address bar then shows one copy of it, not two).
            rest = [(k, v) for k, v in query if k != KEY_PARAM]
            where = clean_path(path[len(root) :] if inside else path)
            location = root + where + (f"?{urlencode(rest)}" if rest else "")
            await _plain(send, 303, "", [("location", location)])
            return
        if not inside or given:
            await _plain(send, 403, _(
                "This page needs its key. Open the address that wolkvox-import web printed "
                "when it started (it ends with ?key=...)."
            ))  # fmt: skip
            return
        if path == root:
            await _plain(send, 303, "", [("location", root + "/")])
            return
        if scope["method"] not in SAFE_METHODS and not self._same_origin(headers):
            await _plain(send, 403, _("The request came from another site and was refused."))
            return
        # Routing sees the path after the key (Starlette strips root_path from path).
        await self.app({**scope, "root_path": root}, receive, _on_the_page(send, root))

    def _same_origin(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site")
        if origin is not None and not self.secrets.origin_ok(origin):
            return False
        return site is None or site in {"same-origin", "none"}


def _same(given: str, key: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), key.encode())


def _under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it (the key compared in constant time)."""
    first, slash, _rest = path[1:].partition("/")
    return path.startswith("/") and _same(f"/{first}", root) and (slash == "/" or path == root)


#: Characters left as they are in a path segment (RFC 3986 pchar, less "%" which is quoted).
_PCHAR = "!$&'()*+,;=:@-._~"


def clean_path(path: str) -> str:
    """``path`` as an address on this page: one leading ``/``, never ``//`` or ``/\\``.

    Slashes and backslashes (which browsers read as slashes) both split segments; empty,
    ``.`` and ``..`` segments are dropped and every other one is percent-encoded, so the
    result can never be read as another host (``//host``), nor climb above the page's root.
    ``path`` is a decoded path, as in an ASGI scope.
    """
    segments = [s for s in re.split(r"[/\\]+", path) if s not in {"", ".", ".."}]
    clean = "/" + "/".join(quote(s, safe=_PCHAR) for s in segments)
    if segments and path[-1:] in {"/", "\\"}:
        clean += "/"
    return clean


def page_location(location: str, root: str) -> str:
    """Where a redirect of the application may send the browser: its path (and query) under
    the page's root, whatever it named; an address on another host becomes the page's start."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return root + "/"
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    return root + clean_path(unquote(parts.path) or "/") + (f"?{query}" if query else "")


#: An address attribute of our own templates whose value starts with a single "/": the page's
#: own addresses. Values taken from a spreadsheet are escaped by the templates (no ``"`` can
#: end them early), so they can never look like one of these.
_ADDRESS = re.compile(r'(\s(?:href|src|action|formaction|data-[a-z-]+)=")/(?![/\\])')


def keyed_html(html: str, root: str) -> str:
    """``html`` with every address of this page (``href="/review"``) put under ``root``."""
    return _ADDRESS.sub(lambda m: f"{m.group(1)}{root}/", html)


def _on_the_page(send: Send, root: str) -> Send:
    """Security headers on every answer; every redirect kept on the page, under its key."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            headers.setdefault("cache-control", "no-store")
            if "location" in headers:
                headers["location"] = page_location(headers["location"], root)
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
