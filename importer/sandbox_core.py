"""The stand-in wolkvox API without HTTP: a call in, a :class:`Reply` out.

:class:`Api` answers as ``docs/wolkvox-api.md`` says wolkvox does: it checks the
token, validates required fields, answers 201 with a new id, lists campaigns, and
refuses any call (create or list) that overlaps another on the same token with the
403 "simultaneous requests" answer. It can be told to fail the documented ways and
the ways PHP servers do (:data:`FAULTS`), per campaign name, to be slow, or to run
out of quota. :class:`State` records every campaign created and every overlap, so
tests can prove that nothing was created twice and no call overlapped another.
:mod:`importer.sandbox` puts it behind a real HTTP server on 127.0.0.1.

The answer to an unknown skill is this stand-in's own choice: the contract only says
that row-level problems are a 400.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from importer.i18n import N_

DEFAULT_TOKEN = "sandbox-token"

#: The skills of the demo operation that ``--simulate`` imports into.
DEMO_SKILLS = frozenset({*map(str, range(101, 111)), *map(str, range(201, 206)), "0042"})

#: Faults the sandbox can inject, by campaign name (descriptions: translate with ``_()``).
FAULTS = {
    "required": N_("400, SOME PARAMETERS ARE REQUIRED (not created)"),
    "busy": N_("403, EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (not created)"),
    "maintenance": N_("403 with an HTML page, as during backups (not created)"),
    "quota": N_("403, TOKEN LIMIT EXCEEDED (not created)"),
    "bad_token": N_("403, PLEASE VALIDATE TOKEN (not created)"),
    "no_api": N_("400, THE API YOU WANT TO CONSULT DOES NOT EXIST (not created)"),
    "error": N_("500 (not created)"),
    "error_created": N_("500 after creating the campaign"),
    "html": N_("502 HTML error page (not created)"),
    "bad_json": N_("201 with a malformed JSON body (created)"),
    "no_id": N_("201 without an id (created)"),
    "old_spelling": N_("201 with id_campaing and a string code (created)"),
    "bom": N_("201 with a UTF-8 byte-order mark before the JSON (created)"),
    "whitespace": N_("201 with blank lines around the JSON (created)"),
    "php_notice": N_("201 with a PHP notice (HTML) before the JSON (created)"),
    "php_warning_after": N_("201 with a PHP warning (HTML) after the JSON (created)"),
    "hang_created": N_("creates the campaign, then answers only after --hang seconds"),
    "reset_before": N_(
        "drops the connection without answering, before creating anything (not created)"
    ),
    "reset_after": N_("creates the campaign, then drops the connection without answering"),
}

BUSY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
NO_API = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
REQUIRED = "SOME PARAMETERS ARE REQUIRED"
#: Faults answered with the contract's JSON error, before anything is created.
_REFUSALS = {
    "required": (400, REQUIRED),
    "busy": (403, BUSY),
    "quota": (403, "TOKEN LIMIT EXCEEDED"),
    "bad_token": (403, "PLEASE VALIDATE TOKEN"),
    "no_api": (400, NO_API),
    "error": (500, "INTERNAL SERVER ERROR"),
}
#: What PHP prints when a script touches an undefined index, or sends a header late.
PHP_NOTICE = (
    b"<br />\n<b>Notice</b>:  Undefined index: opt12 in "
    b"<b>/var/www/html/api/v2/campaign.php</b> on line <b>12</b><br />\n"
)
PHP_WARNING = (
    b"<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by "
    b"(output started at /var/www/html/api/v2/campaign.php:12) in "
    b"<b>/var/www/html/api/v2/campaign.php</b> on line <b>40</b><br />\n"
)
#: How the PHP-style faults wrap a 201's JSON.
_PHP_WRAPS = {
    "bom": (b"\xef\xbb\xbf", b""),
    "whitespace": (b"\n\n  ", b"\n  \n"),
    "php_notice": (PHP_NOTICE, b""),
    "php_warning_after": (b"", PHP_WARNING),
}


@dataclass
class Config:
    """How the sandbox behaves."""

    tokens: frozenset[str] = frozenset({DEFAULT_TOKEN})
    #: Seconds each create call takes.
    latency: float = 0.0
    #: How long ``hang_created`` keeps the client waiting.
    hang: float = 90.0
    #: Known skill ids; None accepts any digits.
    skills: frozenset[str] | None = None
    #: Create calls allowed before 403 TOKEN LIMIT EXCEEDED; None is unlimited.
    quota: int | None = None
    #: campaign name -> faults to apply to its next calls, in order
    faults: dict[str, list[str]] = field(default_factory=dict)
    #: Campaigns that exist before the first call.
    existing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """What the stand-in answers: a status and a JSON value, or the exact bytes to send.

    ``drop``: close the connection without answering (status and payload unused).
    """

    status: int
    payload: Any = None
    content_type: str = "application/json"
    drop: bool = False

    def body(self) -> bytes:
        """The bytes on the wire."""
        if isinstance(self.payload, bytes):
            return self.payload
        return json.dumps(self.payload).encode()


def error(status: int, message: str) -> Reply:
    """The contract's error envelope."""
    return Reply(status, {"code": status, "error": message, "msg": message, "data": []})


class State:
    """What the sandbox has seen and created; safe to read from other threads."""

    def __init__(self, config: Config) -> None:
        self.lock = threading.Lock()
        self.config = config
        self.campaigns: list[dict[str, str]] = []
        self.create_calls = 0
        #: calls refused because another call on the same token was still in flight
        self.overlaps = 0
        #: token -> calls being handled now
        self.in_flight: Counter[str] = Counter()
        self.next_id = 1000
        for name in config.existing:
            self.add(name, {"campaign_name": name}, "preview")

    def add(self, name: str, body: Mapping[str, str], kind: str) -> str:
        """Store a new campaign (the caller holds :attr:`lock`); return its id."""
        self.next_id += 1
        ident = str(self.next_id)
        self.campaigns.append({
            "campaign_id": ident, "campaign_name": name,
            "campaign_description": body.get("campaign_description", ""),
            "type_campaign": kind, "status": "Stopped", "records": "0", "speed": "1",
            "dial_mode": kind, "last_use": "", "recycled": "0", "turbo_dial": "no",
            "skill_id": body.get("skill_id", ""),
        })  # fmt: skip
        return ident

    def created_names(self) -> Counter[str]:
        """How many campaigns exist per name (more than 1 means a duplicate)."""
        with self.lock:
            return Counter(c["campaign_name"] for c in self.campaigns)

    def busy(self) -> bool:
        """Whether any call is being handled now (a test waits for this to end)."""
        with self.lock:
            return any(n > 0 for n in self.in_flight.values())

    def snapshot(self) -> dict[str, Any]:
        """Campaigns, create calls and overlaps, for ``GET /_sandbox/state``."""
        with self.lock:
            return {
                "campaigns": list(self.campaigns),
                "create_calls": self.create_calls,
                "overlaps": self.overlaps,
            }

    @contextlib.contextmanager
    def turn(self, token: str) -> Iterator[bool]:
        """Count a call as in flight on ``token`` while the block runs; yield whether the
        token was free. The call stops counting when the block ends, before the caller
        writes the answer, so a client that sends its next call the moment it has the
        answer is not refused."""
        with self.lock:
            free = self.in_flight[token] == 0
            self.in_flight[token] += 1
            if not free:
                self.overlaps += 1
        try:
            yield free
        finally:
            with self.lock:
                self.in_flight[token] -= 1


class Api:
    """The stand-in's answers, one method per call of the contract."""

    def __init__(self, state: State, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self.sleep = sleep  # tests pass one that makes a call overlap deterministically

    def handle(
        self, method: str, path: str, token: str, query: Mapping[str, str], body: bytes
    ) -> Reply:
        """Route one HTTP call; an unknown address is answered like an unknown API."""
        if method == "POST" and path == "/api/v2/campaign.php":
            return self.create(token, query, body)
        if method == "GET" and path == "/api/v2/information.php":
            return self.list_campaigns(token, query)
        with self.state.turn(token) as free:
            return error(400, NO_API) if free else error(403, BUSY)

    def list_campaigns(self, token: str, query: Mapping[str, str]) -> Reply:
        """``GET information.php?api=campaigns``: every campaign, in the usual envelope."""
        with self.state.turn(token) as free:
            refused = self._refused(free, token, query, "campaigns")
            if refused:
                return refused
            with self.state.lock:
                data = list(self.state.campaigns)
            return Reply(200, {"code": 200, "error": None, "msg": "OK", "data": data})

    def create(self, token: str, query: Mapping[str, str], body: bytes) -> Reply:
        """``POST campaign.php?api=create_campaign&type_campaign=...`` with a JSON body."""
        with self.state.turn(token) as free:
            refused = self._refused(free, token, query, "create_campaign")
            if refused:
                return refused
            return self._create(query, _json(body))

    def _refused(self, free: bool, token: str, query: Mapping[str, str], api: str) -> Reply | None:
        if not free:
            return error(403, BUSY)
        if query.get("api") != api:
            return error(400, NO_API)
        if not token:
            return error(401, "PLEASE ENTER THE WOLKVOX-TOKEN")
        if token not in self.state.config.tokens:
            return error(403, "PLEASE VALIDATE TOKEN")
        return None

    def _create(self, query: Mapping[str, str], body: Any) -> Reply:
        state, config = self.state, self.state.config
        name = body.get("campaign_name", "") if isinstance(body, dict) else ""
        with state.lock:
            queued = config.faults.get(name)
            fault = queued.pop(0) if queued else None
            state.create_calls += 1
            over_quota = config.quota is not None and state.create_calls > config.quota
        if config.latency:
            self.sleep(config.latency)
        if fault == "reset_before":
            return Reply(0, drop=True)
        if over_quota:
            fault = "quota"
        if fault in _REFUSALS:
            return error(*_REFUSALS[fault])
        if fault in {"maintenance", "html"}:
            status = 403 if fault == "maintenance" else 502
            page = f"<html><head><title>{status} Service unavailable</title></head></html>"
            return Reply(status, page.encode(), content_type="text/html")
        kind = query.get("type_campaign", "")
        problem = self._problem(body, kind)
        if problem:
            return error(400, problem)
        with state.lock:
            ident = state.add(name, body, kind)
        return self._created(fault, ident, name)

    def _created(self, fault: str | None, ident: str, name: str) -> Reply:
        """The answer once the campaign exists, as ``fault`` shapes it."""
        envelope = {
            "code": 201, "error": None, "msg": f"The # {ident} has been created successfully",
            "data": [{"id_campaign": ident, "name_campaign": name}],
        }  # fmt: skip
        if fault == "error_created":
            return error(500, "INTERNAL SERVER ERROR")
        if fault == "reset_after":
            return Reply(0, drop=True)
        if fault == "hang_created":
            self.sleep(self.state.config.hang)
            return Reply(0, drop=True)
        if fault == "bad_json":
            return Reply(201, b'{"code": 201, "msg": "The # campaign_id has been created')
        if fault == "no_id":
            return Reply(201, {"code": 201, "error": None, "msg": "created", "data": []})
        if fault == "old_spelling":
            data = [{"id_campaing": ident, "name_campaing": name}]
            return Reply(201, {"code": "201", "error": None, "msg": "created", "data": data})
        if fault in _PHP_WRAPS:
            before, after = _PHP_WRAPS[fault]
            return Reply(201, before + json.dumps(envelope).encode() + after)
        return Reply(201, envelope)

    def _problem(self, body: Any, kind: str) -> str:
        """The contract's 400 message for a body it refuses, or ``""``."""
        if kind not in {"preview", "predictive"} or not isinstance(body, dict):
            return REQUIRED
        if any(not isinstance(value, str) for value in body.values()):
            return REQUIRED
        if not body.get("campaign_name") or not re.fullmatch(r"[0-9]+", body.get("skill_id", "")):
            return REQUIRED
        if kind == "predictive" and not (body.get("start_time") and body.get("end_time")):
            return REQUIRED
        for key in ("start_time", "end_time"):
            if body.get(key) and not re.fullmatch(r"[0-9]{6}|[0-9]{14}", body[key]):
                return REQUIRED
        skills = self.state.config.skills
        if skills is not None and body["skill_id"] not in skills:
            return "SKILL ID NOT FOUND"
        return ""


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
