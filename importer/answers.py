"""What wolkvox's answers mean: the contract's answer table, and reading what PHP sends.

:data:`RULES` is the answer table of ``docs/wolkvox-api.md`` line by line, and
:data:`TRANSPORT` its rows for calls that got no answer at all; a reviewer can hold
one against the other. :func:`read_json` finds the JSON in a body that a PHP server
wrapped in a byte-order mark, whitespace or notices. Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import requests
import urllib3.exceptions as u3

from importer.i18n import N_, _
from importer.status import Ended


class Kind(StrEnum):
    """What one request came to, as far as the campaign is concerned."""

    CREATED = "created"  #: the campaign exists
    FAILED = "failed"  #: not created; the row is at fault
    UNKNOWN = "unknown"  #: it may or may not exist
    #: not created; send the same row again later (from the sender: it gave up retrying)
    RETRY = "retry"
    STOP = "stop"  #: not created, and no further request can succeed


@dataclass(frozen=True)
class Answer:
    """What one request came to: a :class:`Kind`, a message for the operator, the
    campaign id when created, and for ``retry``/``stop`` the :class:`Ended` reason."""

    kind: Kind
    message: str
    id_campaign: str = ""
    reason: Ended | Literal[""] = ""

    def __post_init__(self) -> None:
        # Callers may pass the plain strings; the fields always hold the enums.
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.reason:
            object.__setattr__(self, "reason", Ended(self.reason))


class Body(StrEnum):
    """What a 201's body must show for a rule to apply."""

    ANY = "any"
    OTHER_CODE = "a code other than 201"
    NOT_JSON = "no JSON object"
    NO_ID = "no campaign id"


@dataclass(frozen=True)
class Rule:
    """One line of the contract's answer table (``docs/wolkvox-api.md``, "Answers")."""

    http: str  #: ``403``, or a class such as ``4xx``; ``other`` matches every status
    words: tuple[str, ...]  #: all must be in the server's message (compared upper-case)
    body: Body
    kind: Kind
    reason: Ended | Literal[""]
    #: what the row's message says (an ``N_`` template); empty: the answer as received
    #: ("HTTP 400 SOME PARAMETERS ARE REQUIRED"; for a 201, the server's words alone)
    message: str


#: The answer table, in the order of ``docs/wolkvox-api.md``; the first matching rule wins.
#: Placeholders: {shown} is "HTTP <status> <the server's words>", {said} the words alone.
RULES: tuple[Rule, ...] = (
    Rule("201", (), Body.OTHER_CODE, Kind.UNKNOWN, "", N_(
        "HTTP 201 but the answer's code is {code}: {said}; check in wolkvox manager whether "
        "the campaign exists")),
    Rule("201", (), Body.NOT_JSON, Kind.CREATED, "", N_(
        "created (HTTP 201), but the answer was not JSON; the campaign id will be looked up in "
        "the campaign list")),
    Rule("201", (), Body.NO_ID, Kind.CREATED, "", N_(
        "created (HTTP 201), but the answer carried no campaign id; the id will be looked up in "
        "the campaign list")),
    Rule("201", (), Body.ANY, Kind.CREATED, "", ""),
    Rule("2xx", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "{shown}: not the 201 that confirms creation; check in wolkvox manager whether the "
        "campaign exists")),
    Rule("3xx", (), Body.ANY, Kind.STOP, Ended.API, N_(
        "{shown}: the server redirects; check --server/--base-url")),
    Rule("400", ("API", "DOES NOT EXIST"), Body.ANY, Kind.STOP, Ended.API, N_(
        "{shown}: the API address is wrong; check --server/--base-url")),
    Rule("400", ("SOME PARAMETERS ARE REQUIRED",), Body.ANY, Kind.FAILED, "", ""),
    Rule("401", (), Body.ANY, Kind.STOP, Ended.TOKEN, N_(
        "{shown}: the token was not accepted; set WOLKVOX_TOKEN or --token-file")),
    Rule("403", ("TOKEN LIMIT",), Body.ANY, Kind.STOP, Ended.QUOTA, N_(
        "{shown}: today's quota of API calls is used up; run the retry file another day")),
    Rule("403", ("SIMULTANEOUS",), Body.ANY, Kind.RETRY, Ended.BUSY, N_(
        "{shown}: the token is busy elsewhere")),
    Rule("403", ("TOKEN",), Body.ANY, Kind.STOP, Ended.TOKEN, N_(
        "{shown}: the token is not valid; check WOLKVOX_TOKEN or --token-file")),
    Rule("403", (), Body.ANY, Kind.RETRY, Ended.MAINTENANCE, N_(
        "{shown}: the server is unavailable (maintenance?)")),
    Rule("404", (), Body.ANY, Kind.STOP, Ended.API, N_(
        "{shown}: the API address was not found; check --server/--base-url")),
    Rule("407", (), Body.ANY, Kind.STOP, Ended.UNREACHABLE, N_(
        "{shown}: {proxy} asks for a login and passed nothing on to wolkvox; check the proxy "
        "settings (HTTPS_PROXY) with your network team")),
    Rule("4xx", (), Body.ANY, Kind.FAILED, "", ""),
    Rule("5xx", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "{shown}: the server failed while handling the request; the campaign may or may not "
        "exist")),
    Rule("other", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "{shown}: an answer the contract does not know; the campaign may or may not exist")),
)  # fmt: skip


@dataclass(frozen=True)
class Heard:
    """An HTTP answer, read once: the status, the JSON found, the server's words, the
    body's ``code`` as a string (seen both as a number and as a string), the campaign id."""

    status: int
    payload: Any
    said: str
    code: str
    id_campaign: str

    @classmethod
    def read(cls, status: int, text: str) -> Heard:
        """Read an answer's body the PHP-tolerant way (:func:`read_json`)."""
        payload = read_json(text)
        code = payload.get("code") if isinstance(payload, dict) else None
        return cls(
            status,
            payload,
            server_message(payload, text),
            "" if code is None else str(code).strip(),
            campaign_id(payload),
        )

    def shows(self, body: Body) -> bool:
        """Whether the body is as ``body`` says."""
        if body is Body.OTHER_CODE:
            return self.code not in ("", "201")
        if body is Body.NOT_JSON:
            return not isinstance(self.payload, dict)
        if body is Body.NO_ID:
            return not self.id_campaign
        return True


def _covers(http: str, status: int) -> bool:
    if http == "other":
        return True
    if http.endswith("xx"):
        return 100 <= status <= 999 and str(status)[0] == http[0]
    return str(status) == http


def rule_for(heard: Heard) -> Rule:
    """The first rule of :data:`RULES` that the answer matches."""
    upper = heard.said.upper()
    for rule in RULES:
        if (
            _covers(rule.http, heard.status)
            and all(word in upper for word in rule.words)
            and heard.shows(rule.body)
        ):
            return rule
    raise AssertionError("the last rule matches every answer")


def classify(status: int, text: str, *, proxy: str = "") -> Answer:
    """Classify an HTTP answer to ``create_campaign`` by :data:`RULES`.

    ``proxy`` is the proxy's address (no credentials), named when a proxy refused.
    """
    heard = Heard.read(status, text)
    rule = rule_for(heard)
    shown = f"HTTP {status} {heard.said}".strip()
    if rule.message:
        message = _(rule.message).format(
            shown=shown, said=heard.said, code=heard.code, proxy=_proxy_named(proxy)
        )
    elif rule.kind is Kind.CREATED:
        message = heard.said or _("created")
    else:
        message = shown
    ident = heard.id_campaign if rule.kind is Kind.CREATED else ""
    return Answer(rule.kind, message, ident, rule.reason)


# -- Reading what a PHP server sends ---------------------------------------------------

_ENVELOPE_KEYS = frozenset({"code", "error", "msg", "data"})
_STARTS = {False: re.compile(r"\{"), True: re.compile(r"[{\[]")}


def read_json(text: str, *, lists: bool = False) -> Any:
    """The JSON value an answer carries, or None.

    A PHP server may put a byte-order mark, whitespace, or notices and warnings (HTML)
    before or after the JSON. A body that is JSON as a whole is taken as it is;
    otherwise it is scanned from each ``{`` (and ``[`` when ``lists``) for an answer
    envelope (an object with ``code``/``msg``/``error``/``data``; with ``lists`` also
    a list of objects). Exactly one must be found: two would be a guess.
    """
    body = text.strip().lstrip("\ufeff").strip()
    try:
        return json.loads(body)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    found: list[Any] = []
    pos = 0
    while match := _STARTS[lists].search(body, pos):
        try:
            value, end = decoder.raw_decode(body, match.start())
        except ValueError:
            pos = match.start() + 1
            continue
        if _is_envelope(value, lists):
            found.append(value)
        pos = end  # what lies inside a value read whole is part of it
    return found[0] if len(found) == 1 else None


def _is_envelope(value: Any, lists: bool) -> bool:
    if isinstance(value, dict):
        return bool(_ENVELOPE_KEYS & value.keys())
    return lists and isinstance(value, list) and all(isinstance(v, dict) for v in value)


def server_message(payload: Any, text: str) -> str:
    """The server's own words: the JSON's ``msg`` (or ``error``), else an HTML page's
    title or text, on one line, as received."""
    if isinstance(payload, dict):
        for key in ("msg", "error", "message"):
            if payload.get(key):
                return str(payload[key])
        return ""
    # An HTML error page or other text: keep it short and on one line.
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    shown = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    return " ".join(shown.replace("\ufeff", "").split())[:120]


def campaign_id(payload: Any) -> str:
    """The campaign id in a 201's body (``id_campaign`` or the older ``id_campaing``)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            for key in ("id_campaign", "id_campaing"):  # both spellings are documented
                if item.get(key) not in (None, ""):
                    return str(item[key])
    return ""


# -- Transport failures: was the request possibly received, or surely not? -------------

_TransportRule = tuple[tuple[type[BaseException], ...], Kind, Ended | Literal[""], str]
#: (exceptions looked for in the error's chain, kind, reason, message); first match wins.
#: Order matters: a proxy error or TLS failure is also a connection error, and a
#: connection that existed (``ProtocolError``) may have carried the request.
TRANSPORT: tuple[_TransportRule, ...] = (
    ((requests.exceptions.ProxyError, u3.ProxyError), Kind.STOP, Ended.UNREACHABLE, N_(
        "could not get through {proxy}{answer}; nothing reached wolkvox: check the proxy "
        "settings (HTTPS_PROXY) with your network team")),
    ((requests.exceptions.SSLError, u3.SSLError), Kind.STOP, Ended.UNREACHABLE, N_(
        "the secure connection to the server failed; check --server/--base-url")),
    ((requests.ConnectTimeout,), Kind.STOP, Ended.UNREACHABLE, N_(
        "could not connect to the server; check the network and --server/--base-url")),
    ((requests.ReadTimeout, u3.ReadTimeoutError), Kind.UNKNOWN, "", N_(
        "no answer within {timeout} s; the campaign may or may not exist")),
    ((u3.ProtocolError,), Kind.UNKNOWN, "", N_(
        "the connection closed before the server answered; the campaign may or may not exist")),
    ((u3.NewConnectionError, u3.NameResolutionError), Kind.STOP, Ended.UNREACHABLE, N_(
        "could not connect to the server; check the network and --server/--base-url")),
    ((BaseException,), Kind.UNKNOWN, "", N_(
        "the connection broke after the request was sent; the campaign may or may not exist")),
)  # fmt: skip


def classify_exception(exc: BaseException, timeout: float, *, proxy: str = "") -> Answer:
    """Classify a transport error by :data:`TRANSPORT`."""
    chain = list(_chain(exc))
    for types, kind, reason, template in TRANSPORT:
        if any(isinstance(item, types) for item in chain):
            message = _(template).format(
                timeout=f"{timeout:g}", proxy=_proxy_named(proxy), answer=_tunnel_answer(chain)
            )
            return Answer(kind, message, reason=reason)
    raise AssertionError("the last transport rule matches every error")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error and every error it wraps (args, urllib3's ``reason``, causes)."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([*item.args, getattr(item, "reason", None), item.__cause__, item.__context__])


def _tunnel_answer(chain: list[BaseException]) -> str:
    """`` (407 Proxy Authentication Required)`` from urllib3's tunnel error, or ``""``."""
    for item in chain:
        found = re.search(r"Tunnel connection failed: (\d{3}[^'\"\n]*)", str(item))
        if found:
            return f" ({found.group(1).strip()})"
    return ""


def _proxy_named(proxy: str) -> str:
    return _("the proxy {address}").format(address=proxy) if proxy else _("a proxy")
