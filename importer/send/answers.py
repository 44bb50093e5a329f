"""What wolkvox's answers mean: the contract's answer table, and reading what PHP sends.

:data:`RULES` is the answer table of ``docs/wolkvox-api.md`` line by line, and
:data:`TRANSPORT` its rows for calls that got no answer at all; a reviewer can hold
one against the other. Every line carries the plain sentence the person reads (what
happened, what to do), in their language; the server's own words stay beside it, as
received, for support. :func:`read_json` finds the JSON in a body that a PHP server
wrapped in a byte-order mark, whitespace or notices. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import re
import ssl
from collections.abc import Iterator, Mapping
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
    """What one request came to: a :class:`Kind`, the row's message, the campaign id
    when created, and for ``retry``/``stop`` the :class:`Ended` reason.

    ``message`` is what the results, the retry file and the page show: ``sentence``
    (what happened and what to do, in the person's language) with ``said`` beside it:
    the server's own words, or the transport error, as received, for support.
    """

    kind: Kind
    message: str
    id_campaign: str = ""
    reason: Ended | Literal[""] = ""
    sentence: str = ""
    said: str = ""

    def __post_init__(self) -> None:
        # Callers may pass the plain strings; the fields always hold the enums.
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.reason:
            object.__setattr__(self, "reason", Ended(self.reason))
        if not self.sentence:
            object.__setattr__(self, "sentence", self.message)


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
    #: the sentence the person reads (an ``N_`` template); the server's words follow it
    message: str


#: The answer table, in the order of ``docs/wolkvox-api.md``; the first matching rule wins.
#: Placeholders: {id} the campaign id, {code} the body's code, {status} the HTTP status,
#: {skill} the row's skill ("skill 101"), {proxy} the proxy ("the proxy http://…").
RULES: tuple[Rule, ...] = (
    Rule("201", (), Body.OTHER_CODE, Kind.UNKNOWN, "", N_(
        "wolkvox's answer contradicts itself (HTTP 201, but code {code}); the campaign list "
        "will show whether the campaign was created")),
    Rule("201", (), Body.NOT_JSON, Kind.CREATED, "", N_(
        "created; wolkvox's answer could not be read, so the campaign id will be taken from "
        "the campaign list")),
    Rule("201", (), Body.NO_ID, Kind.CREATED, "", N_(
        "created; wolkvox's answer carried no campaign id, so it will be taken from the "
        "campaign list")),
    Rule("201", (), Body.ANY, Kind.CREATED, "", N_("created with id {id}")),
    Rule("2xx", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "wolkvox answered HTTP {status}, not the 201 that confirms a new campaign; the "
        "campaign list will show whether it was created")),
    Rule("3xx", (), Body.ANY, Kind.STOP, Ended.API, N_(
        "the server sends the request elsewhere (a redirect): the server address is wrong; "
        "check --server/--base-url")),
    Rule("400", ("API", "DOES NOT EXIST"), Body.ANY, Kind.STOP, Ended.API, N_(
        "wolkvox does not know this API address: the server address is wrong; check "
        "--server/--base-url")),
    Rule("400", ("SOME PARAMETERS ARE REQUIRED",), Body.ANY, Kind.FAILED, "", N_(
        "wolkvox says a required field of this row is missing; fill it in and send the row "
        "again")),
    Rule("401", (), Body.ANY, Kind.STOP, Ended.TOKEN, N_(
        "wolkvox did not accept the token; check it (WOLKVOX_TOKEN or --token-file): a "
        "wolkvox manager administrator can give you a valid one")),
    Rule("403", ("TOKEN LIMIT",), Body.ANY, Kind.STOP, Ended.QUOTA, N_(
        "today's quota of wolkvox API calls is used up; send the retry file another day")),
    Rule("403", ("SIMULTANEOUS",), Body.ANY, Kind.RETRY, Ended.BUSY, N_(
        "wolkvox says the token is busy with other requests; make sure nobody else is using "
        "it at the same time")),
    Rule("403", ("TOKEN",), Body.ANY, Kind.STOP, Ended.TOKEN, N_(
        "wolkvox did not accept the token; check it (WOLKVOX_TOKEN or --token-file): a "
        "wolkvox manager administrator can give you a valid one")),
    Rule("403", (), Body.ANY, Kind.RETRY, Ended.MAINTENANCE, N_(
        "wolkvox is unavailable for now (maintenance?); nothing was created, the row can be "
        "sent later")),
    Rule("404", (), Body.ANY, Kind.STOP, Ended.API, N_(
        "wolkvox has no API at this address: the server address is wrong; check "
        "--server/--base-url")),
    Rule("407", (), Body.ANY, Kind.STOP, Ended.UNREACHABLE, N_(
        "{proxy} asks for a login and passed nothing on to wolkvox; check the proxy "
        "settings (HTTPS_PROXY) with your network team")),
    Rule("4xx", ("SKILL", "NOT FOUND"), Body.ANY, Kind.FAILED, "", N_(
        "wolkvox did not find {skill} in the operation; correct skill_id and send the row "
        "again")),
    Rule("4xx", (), Body.ANY, Kind.FAILED, "", N_(
        "wolkvox refused this row; correct it as wolkvox's words say and send the row "
        "again")),
    Rule("5xx", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "wolkvox failed while handling the request; the campaign may or may not exist, and "
        "the campaign list will show which")),
    Rule("other", (), Body.ANY, Kind.UNKNOWN, "", N_(
        "wolkvox gave an answer this tool does not know; the campaign may or may not exist, "
        "and the campaign list will show which")),
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


def classify(
    status: int, text: str, *, proxy: str = "", sent: Mapping[str, Any] | None = None
) -> Answer:
    """Classify an HTTP answer to ``create_campaign`` by :data:`RULES`.

    ``proxy`` is the proxy's address (no credentials), named when a proxy refused;
    ``sent`` the request's body, whose fields a sentence may name (the skill).
    """
    heard = Heard.read(status, text)
    rule = rule_for(heard)
    ident = heard.id_campaign if rule.kind is Kind.CREATED else ""
    skill = str((sent or {}).get("skill_id") or "")
    sentence = _(rule.message).format(
        id=ident,
        code=heard.code,
        status=status,
        skill=_("skill {skill_id}").format(skill_id=skill) if skill else _("the row's skill"),
        proxy=_proxy_named(proxy),
    )
    said = with_status(status, heard.said)
    # A proxy's login page is the proxy's words, not wolkvox's.
    beside = _("{sentence} (proxy: {said})") if status == 407 else _("{sentence} (wolkvox: {said})")
    message = beside.format(sentence=sentence, said=said)
    return Answer(rule.kind, message, ident, rule.reason, sentence=sentence, said=said)


#: The launch's calls, by the name the journal gives them.
ADD_RECORD = "add_record"
START = "start"
#: What a success of each looks like: its HTTP statuses (``start`` answers 202; any 2xx
#: whose body code agrees is taken), and the sentence the person reads.
_SUCCESS = {
    ADD_RECORD: (frozenset({201}), N_("added")),
    START: (frozenset({200, 201, 202}), N_("started")),
}
#: The sentences for a launch call's answer that is not a success, where the campaign's
#: words of :data:`RULES` would mislead (they speak of a campaign being created).
_UNCLEAR = {
    ADD_RECORD: N_(
        "the answer was unclear, so the batch may or may not have been added; the "
        "campaign's record count in the campaign list will show which"
    ),
    START: N_(
        "the answer was unclear, so the campaign may or may not have started; the campaign "
        "list will show which"
    ),
}
_REFUSED = {
    ADD_RECORD: N_(
        "wolkvox refused this batch, and none of its records was added; correct the "
        "records as wolkvox's words say and send them again"
    ),
    START: N_("wolkvox refused to start the campaign; start it in wolkvox manager"),
}


def classify_call(call: str, status: int, text: str, *, proxy: str = "") -> Answer:
    """Classify the answer to a launch call (``add_record``, ``start``): a success is
    ``created`` (the call did what it asked), the rest as :func:`classify` has it, with
    the call's own sentence where the campaign's would mislead."""
    statuses, done = _SUCCESS[call]
    heard = Heard.read(status, text)
    if status in statuses and heard.code in ("", str(status)):
        said = with_status(status, heard.said)
        sentence = _(done)
        message = _("{sentence} (wolkvox: {said})").format(sentence=sentence, said=said)
        return Answer(Kind.CREATED, message, sentence=sentence, said=said)
    answer = classify(status, text, proxy=proxy)
    return reworded(call, answer)


def reworded(call: str, answer: Answer) -> Answer:
    """``answer`` with the launch call's sentence when the campaign's would mislead."""
    own = {Kind.UNKNOWN: _UNCLEAR, Kind.FAILED: _REFUSED, Kind.CREATED: _UNCLEAR}
    table = own.get(answer.kind)
    if table is None:
        return answer
    # A 2xx other than the call's success (or a contradictory code) is unclear too.
    kind = Kind.UNKNOWN if answer.kind is Kind.CREATED else answer.kind
    sentence = _(table[call])
    if answer.said:
        # The server's words beside an HTTP answer; the transport's error beside none.
        if answer.said.startswith("HTTP "):
            template = _("{sentence} (wolkvox: {said})")
        else:
            template = _("{sentence} (error: {said})")
        message = template.format(sentence=sentence, said=answer.said)
    else:
        message = sentence
    return Answer(kind, message, reason=answer.reason, sentence=sentence, said=answer.said)


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


def with_status(status: int, words: str) -> str:
    """``HTTP 502 Service unavailable``: the status, then the server's words, which are
    not made to say the code twice when they start with it (an error page's title)."""
    if words == str(status) or words.startswith(f"{status} "):
        return f"HTTP {words}"
    return f"HTTP {status} {words}".strip()


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


# -- Transport failures: could the request have reached the server? -------------------


class Failure(StrEnum):
    """How a call that got no HTTP answer failed, and so whether its request can have left."""

    PROXY = "proxy"  #: the proxy could not be reached, or refused the tunnel
    NAME = "name"  #: the server's name could not be resolved
    REFUSED = "refused"  #: nothing listens at the address, or a firewall said no
    CONNECT_TIMEOUT = "connect timeout"  #: no reply while connecting
    HANDSHAKE = "handshake"  #: TLS could not be set up (certificate, handshake)
    READ_TIMEOUT = "read timeout"  #: the request was sent; no answer in time
    TLS_BROKE = "tls broke"  #: the request was sent; then a TLS error (a broken record)
    CLOSED = "closed"  #: the request was sent; then the connection closed or reset
    OTHER = "other"  #: anything else, or where it failed cannot be told


@dataclass(frozen=True)
class TransportRule:
    """One line of the contract's "No answer" table (``docs/wolkvox-api.md``)."""

    failure: Failure
    #: could the request have reached the server? Only a failure proven to come before
    #: the request was written may say no, and only such a failure stops as unreachable.
    reached: bool
    kind: Kind
    reason: Ended | Literal[""]
    #: the sentence the person reads (an ``N_`` template); the error follows it
    message: str


#: The "No answer" table, in the order of ``docs/wolkvox-api.md``; one line per
#: :class:`Failure`. Placeholders: {proxy}, {answer} (the proxy's tunnel answer),
#: {timeout} (seconds).
TRANSPORT: tuple[TransportRule, ...] = (
    TransportRule(Failure.PROXY, False, Kind.STOP, Ended.UNREACHABLE, N_(
        "could not get through {proxy}{answer}; nothing reached wolkvox: check the proxy "
        "settings (HTTPS_PROXY) with your network team")),
    TransportRule(Failure.NAME, False, Kind.STOP, Ended.UNREACHABLE, N_(
        "could not connect to the server: its name was not found, so nothing was sent; "
        "check --server/--base-url and the network")),
    TransportRule(Failure.REFUSED, False, Kind.STOP, Ended.UNREACHABLE, N_(
        "could not connect to the server: the connection was refused, so nothing was sent; "
        "check --server/--base-url and the network")),
    TransportRule(Failure.CONNECT_TIMEOUT, False, Kind.STOP, Ended.UNREACHABLE, N_(
        "could not connect to the server: it did not reply, so nothing was sent; check the "
        "network and --server/--base-url")),
    TransportRule(Failure.HANDSHAKE, False, Kind.STOP, Ended.UNREACHABLE, N_(
        "the secure connection to the server could not be set up (for example, its "
        "certificate is not trusted), so nothing was sent; check --server/--base-url, or the "
        "certificate settings with your network team")),
    TransportRule(Failure.READ_TIMEOUT, True, Kind.UNKNOWN, "", N_(
        "the request was sent but no answer came within {timeout} s; the campaign may or "
        "may not exist, and the campaign list will show which")),
    TransportRule(Failure.TLS_BROKE, True, Kind.UNKNOWN, "", N_(
        "the secure connection broke after the request was sent; the campaign may or may "
        "not exist, and the campaign list will show which")),
    TransportRule(Failure.CLOSED, True, Kind.UNKNOWN, "", N_(
        "the connection closed before the server answered, after the request was sent; the "
        "campaign may or may not exist, and the campaign list will show which")),
    TransportRule(Failure.OTHER, True, Kind.UNKNOWN, "", N_(
        "the call failed, and it cannot be told whether the request reached the server; the "
        "campaign may or may not exist, and the campaign list will show which")),
)  # fmt: skip

_TRANSPORT = {rule.failure: rule for rule in TRANSPORT}

#: The sentences of :data:`TRANSPORT` for a read (the campaign, skills or token list)
#: that may have reached the server: a read creates nothing, so they speak of no campaign.
READ_TRANSPORT: Mapping[Failure, str] = {
    Failure.READ_TIMEOUT: N_("no answer came within {timeout} s"),
    Failure.TLS_BROKE: N_("the secure connection broke"),
    Failure.CLOSED: N_("the connection was reset or closed before the server answered"),
    Failure.OTHER: N_("the call failed"),
}


def classify_exception(exc: BaseException, timeout: float, *, proxy: str = "") -> Answer:
    """Classify a transport error by :data:`TRANSPORT`: see :func:`failure_of`."""
    chain = list(_chain(exc))
    rule = _TRANSPORT[failure_of(exc)]
    sentence = _(rule.message).format(
        timeout=f"{timeout:g}", proxy=_proxy_named(proxy), answer=_tunnel_answer(chain)
    )
    said = _error_named(chain)
    message = _("{sentence} (error: {said})").format(sentence=sentence, said=said)
    return Answer(rule.kind, message if said else sentence, reason=rule.reason,
                  sentence=sentence, said=said)  # fmt: skip


def classify_read_exception(exc: BaseException, timeout: float, *, proxy: str = "") -> Answer:
    """:func:`classify_exception` for a read: where the request may have reached the
    server, the sentence says only what failed (:data:`READ_TRANSPORT`)."""
    answer = classify_exception(exc, timeout, proxy=proxy)
    read = READ_TRANSPORT.get(failure_of(exc))
    if read is None:  # never reached the server: the sentence already says so
        return answer
    sentence = _(read).format(timeout=f"{timeout:g}")
    message = _("{sentence} (error: {said})").format(sentence=sentence, said=answer.said)
    return dataclasses.replace(
        answer, message=message if answer.said else sentence, sentence=sentence
    )


class _Phase(StrEnum):
    OPENING = "opening"  #: connecting, resolving, the proxy's tunnel, the TLS handshake
    TALKING = "talking"  #: writing the request or reading the answer


#: Functions of the standard library, urllib3 and requests (module, name) that a
#: failure's traceback passes through, by the phase of the call they belong to. The
#: innermost one names the phase the failure was raised in: an HTTP connection is opened
#: from inside ``send`` (hence "innermost"), an HTTPS one before the request is begun.
_PHASES: Mapping[tuple[str, str], _Phase] = {
    **dict.fromkeys([
        ("socket", "getaddrinfo"), ("socket", "create_connection"),
        ("urllib3.util.connection", "create_connection"),
        ("urllib3.connection", "_new_conn"), ("urllib3.connection", "connect"),
        ("urllib3.connection", "_tunnel"), ("urllib3.connection", "_connect_tls_proxy"),
        ("urllib3.connection", "_ssl_wrap_socket_and_match_hostname"),
        ("urllib3.connectionpool", "_validate_conn"), ("urllib3.connectionpool", "_new_conn"),
        ("http.client", "_tunnel"), ("http.client", "connect"), ("ssl", "do_handshake"),
    ], _Phase.OPENING),
    **dict.fromkeys([
        ("http.client", "send"), ("http.client", "getresponse"), ("http.client", "begin"),
        ("http.client", "_read_status"), ("http.client", "read"), ("http.client", "readinto"),
        ("urllib3.connection", "getresponse"), ("urllib3.response", "read"),
        ("urllib3.response", "_raw_read"), ("urllib3.response", "stream"),
        ("urllib3.response", "read_chunked"), ("urllib3.response", "_error_catcher"),
        ("requests.models", "generate"), ("socket", "readinto"), ("ssl", "read"),
        ("ssl", "recv_into"), ("ssl", "recv"), ("ssl", "send"), ("ssl", "sendall"),
        ("ssl", "write"),
    ], _Phase.TALKING),
}  # fmt: skip


def _phase(chain: list[BaseException]) -> _Phase | None:
    """When in the call the failure was raised: TALKING if any error of the chain was
    raised while the request was being written or its answer read, else OPENING if one
    was raised while connecting, else None (no traceback tells)."""
    found: set[_Phase] = set()
    for item in chain:
        innermost = None
        tb = item.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            where = (str(frame.f_globals.get("__name__")), frame.f_code.co_name)
            innermost = _PHASES.get(where, innermost)
            tb = tb.tb_next
        if innermost is not None:
            found.add(innermost)
    if _Phase.TALKING in found:
        return _Phase.TALKING
    return _Phase.OPENING if found else None


def failure_of(exc: BaseException) -> Failure:
    """Which :class:`Failure` a transport error is; see the module's table.

    The one question is whether the request can have reached the server. The error's
    type alone does not tell: urllib3 reports a TLS error as ``SSLError`` whether the
    handshake failed or a broken record came with the answer, and a connection that a
    proxy closed after the request as ``ProxyError``. So where it was raised decides
    (:func:`_phase`); a failure counts as before the request only with a proof: raised
    while opening the connection, or a type that only the opening raises.
    """
    chain = list(_chain(exc))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(item, types) for item in chain)

    phase = _phase(chain)
    if phase is _Phase.TALKING:
        if has(requests.ReadTimeout, u3.ReadTimeoutError, TimeoutError):
            return Failure.READ_TIMEOUT
        if has(requests.exceptions.SSLError, u3.SSLError, ssl.SSLError):
            return Failure.TLS_BROKE
        if has(u3.ProtocolError, http.client.HTTPException, ConnectionError):
            return Failure.CLOSED
        return Failure.OTHER
    opening = phase is _Phase.OPENING
    if has(requests.exceptions.ProxyError, u3.ProxyError) and (
        opening or _tunnel_answer(chain) or has(u3.NewConnectionError)
    ):
        return Failure.PROXY
    if has(u3.NameResolutionError):
        return Failure.NAME
    if has(u3.NewConnectionError):
        return Failure.REFUSED
    # requests documents its ConnectTimeout as "safe to retry": raised while connecting.
    if has(u3.ConnectTimeoutError, requests.ConnectTimeout):
        return Failure.CONNECT_TIMEOUT
    if opening:
        # An HTTPS connection's handshake (or a reset, or its timeout) before the request.
        return Failure.HANDSHAKE
    # No traceback tells where: only the type is left, and it proves nothing was not sent.
    if has(requests.ReadTimeout, u3.ReadTimeoutError):
        return Failure.READ_TIMEOUT
    if has(u3.ProtocolError):
        return Failure.CLOSED
    return Failure.OTHER


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
        stack.extend(_inner(item))


_WRAPPERS = (requests.RequestException, u3.MaxRetryError, u3.ProxyError, u3.ProtocolError)
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s'\"]*@")


def _error_named(chain: list[BaseException]) -> str:
    """The error beneath the wrappers, for support (``SSLCertVerificationError: [SSL:
    CERTIFICATE_VERIFY_FAILED] …``): on one line, short, never a proxy's login."""
    leaves = [item for item in chain if not isinstance(item, _WRAPPERS) and not _inner(item)]
    if not leaves:
        return ""
    item = leaves[0]
    kind = type(item)
    named = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    text = _CREDENTIALS.sub("", " ".join(f"{named}: {item}".split()))
    return text if len(text) <= 160 else text[:159] + "…"


def _inner(item: BaseException) -> list[BaseException]:
    """The errors ``item`` wraps directly."""
    wrapped = (*item.args, getattr(item, "reason", None), item.__cause__, item.__context__)
    return [x for x in wrapped if isinstance(x, BaseException)]


def _tunnel_answer(chain: list[BaseException]) -> str:
    """`` (407 Proxy Authentication Required)`` from urllib3's tunnel error, or ``""``."""
    for item in chain:
        found = re.search(r"Tunnel connection failed: (\d{3}[^'\"\n]*)", str(item))
        if found:
            return f" ({found.group(1).strip()})"
    return ""


def _proxy_named(proxy: str) -> str:
    return _("the proxy {address}").format(address=proxy) if proxy else _("a proxy")
