"""The stand-in wolkvox API without HTTP: a call in, a :class:`Reply` out.

:class:`Api` answers as ``docs/wolkvox-api.md`` says wolkvox does: it checks the
token, validates what each call needs, creates campaigns, loads records into them
(``add_record``), starts, stops and deletes them, lists campaigns and skills, and
tells the token's use today (``token_info``). Every call counts as one of the day's
calls, and any call that overlaps another on the same token is refused with the 403
"simultaneous requests" answer. It can be told to fail the documented ways and the
ways PHP servers do (:data:`FAULTS`), per campaign name and kind of call
(:data:`CALLS`), to be slow, or to run out of quota. :class:`State` records every
campaign, every record loaded, every call and every overlap, so tests can prove that
nothing was created or loaded twice and no call overlapped another.
:mod:`importer.sandbox.server` puts it behind a real HTTP server on 127.0.0.1.

Where the contract is silent the answers are this stand-in's own choice (each is
listed in ``docs/wolkvox-api.md``, "The stand-in server"): an unknown skill or
campaign id, a record field it does not know, a record without a telephone, a body of
more than 10,000 records.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from importer.i18n import N_

DEFAULT_TOKEN = "sandbox-token"

#: The skills of the demo operation that ``--simulate`` imports into, with their names.
DEMO_SKILL_NAMES: Mapping[str, str] = {
    **{str(n): f"Cobranza {n - 100:02d}" for n in range(101, 111)},
    **{str(n): f"Ventas {n - 200}" for n in range(201, 206)},
    "0042": "Soporte",
}
DEMO_SKILLS = frozenset(DEMO_SKILL_NAMES)


class Call(StrEnum):
    """The calls of the contract the sandbox answers, by the name faults use for them."""

    CREATE = "create"
    ADD_RECORD = "add_record"
    START = "start"
    STOP = "stop"
    DELETE = "delete"
    CAMPAIGNS = "campaigns"
    SKILLS = "skills"
    TOKEN_INFO = "token_info"


#: The calls a fault can be aimed at (``NAME=CALL:KIND``; a bare ``KIND`` is ``create``).
CALLS = tuple(call.value for call in Call)

#: The ``api=`` name of each call in the query string.
API_NAMES = {
    Call.CREATE: "create_campaign", Call.ADD_RECORD: "add_record", Call.START: "start",
    Call.STOP: "stop", Call.DELETE: "delete_campaign", Call.CAMPAIGNS: "campaigns",
    Call.SKILLS: "skills", Call.TOKEN_INFO: "token_info",
}  # fmt: skip
#: (method, path, api) -> call
ROUTES = {
    ("POST", "/api/v2/campaign.php", "create_campaign"): Call.CREATE,
    ("POST", "/api/v2/campaign.php", "add_record"): Call.ADD_RECORD,
    ("PUT", "/api/v2/campaign.php", "start"): Call.START,
    ("PUT", "/api/v2/campaign.php", "stop"): Call.STOP,
    ("DELETE", "/api/v2/campaign.php", "delete_campaign"): Call.DELETE,
    ("GET", "/api/v2/information.php", "campaigns"): Call.CAMPAIGNS,
    ("GET", "/api/v2/information.php", "skills"): Call.SKILLS,
    ("GET", "/api/v2/information.php", "token_info"): Call.TOKEN_INFO,
}
#: Calls that read and concern no campaign: a fault for them is taken whatever its NAME.
INFORMATION = frozenset({Call.CAMPAIGNS, Call.SKILLS, Call.TOKEN_INFO})
#: Calls that change the operation; ``--latency`` makes each of them slow.
CHANGES = frozenset(Call) - INFORMATION

#: Faults the sandbox can inject (descriptions: translate with ``_()``). "Done" is what the
#: call asked for: the campaign created, the records added, the campaign started or
#: stopped, the campaigns deleted, the list read.
FAULTS = {
    "required": N_("400, SOME PARAMETERS ARE REQUIRED (nothing done)"),
    "busy": N_("403, EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (nothing done)"),
    "maintenance": N_("403 with an HTML page, as during backups (nothing done)"),
    "quota": N_("403, TOKEN LIMIT EXCEEDED (nothing done)"),
    "bad_token": N_("403, PLEASE VALIDATE TOKEN (nothing done)"),
    "no_api": N_("400, THE API YOU WANT TO CONSULT DOES NOT EXIST (nothing done)"),
    "error": N_("500 (nothing done)"),
    "error_created": N_("500 after doing what was asked (campaign created, records added, ...)"),
    "html": N_("502 HTML error page (nothing done)"),
    "bad_json": N_("the success status with a malformed JSON body (done)"),
    "no_id": N_("201 without its data: no campaign id, no total_registers (done)"),
    "old_spelling": N_(
        "the other documented spelling: id_campaing and a string code, or for other calls "
        "the code as a number instead of a string or the other way round (done)"
    ),
    "bom": N_("success with a UTF-8 byte-order mark before the JSON (done)"),
    "whitespace": N_("success with blank lines around the JSON (done)"),
    "php_notice": N_("success with a PHP notice (HTML) before the JSON (done)"),
    "php_warning_after": N_("success with a PHP warning (HTML) after the JSON (done)"),
    "hang_created": N_(
        "does what was asked, then answers nothing for --hang seconds and drops the connection"
    ),
    "reset_before": N_("drops the connection without answering, before doing anything"),
    "reset_after": N_("does what was asked, then drops the connection without answering"),
}
#: Faults that only make sense for some calls (a success answer that carries data).
_FAULT_CALLS = {"no_id": frozenset({Call.CREATE, Call.ADD_RECORD})}

BUSY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
NO_API = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
REQUIRED = "SOME PARAMETERS ARE REQUIRED"
QUOTA = "TOKEN LIMIT EXCEEDED"
#: The sandbox's own words where the contract gives none (upper case, as wolkvox's).
SKILL_NOT_FOUND = "SKILL ID NOT FOUND"
CAMPAIGN_NOT_FOUND = "CAMPAIGN ID NOT FOUND"
WRONG_TYPE = "TYPE_CAMPAIGN DOES NOT MATCH THE CAMPAIGN"
BAD_AMD = "AMD COUNTRY NOT VALID"
AGENT_NOT_PREVIEW = "AGENT_ID IS ONLY FOR PREVIEW CAMPAIGNS"
#: Records one ``add_record`` call may carry.
MAX_RECORDS = 10_000
TOO_MANY_RECORDS = f"EXCEEDS THE LIMIT OF {MAX_RECORDS} RECORDS PER REQUEST"
#: The day's calls wolkvox allows a licence; reported by ``token_info`` without ``--quota``.
DAILY_CALLS = 1000
#: Answering-machine detection countries ``create_campaign`` takes in ``amd``.
AMD_COUNTRIES = frozenset(
    {"ARG", "CHL", "COL", "CRI", "ECU", "ESP", "GTM", "HND", "ITA", "MEX", "NIC", "PAN", "PER"}
)
PHONE_KEYS = (*(f"tel{n}" for n in range(1, 11)), "tel_extra")
#: The keys of one record, as the contract lists them; preview campaigns also take agent_id.
RECORD_KEYS = frozenset({
    "customer_name", "customer_last_name", "id_type", "customer_id", "age", "gender",
    "country", "state", "city", "zone", "address", *(f"opt{n}" for n in range(1, 13)),
    *PHONE_KEYS, "email", "recall_date", "recall_telephone",
})  # fmt: skip
#: The contract's length limits of the optional fields.
OPT_LIMITS = {f"opt{n}": 100 if n <= 6 else 200 for n in range(1, 13)}
#: How ``last_use`` is written (the contract does not say; this is the sandbox's choice).
LAST_USE_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Faults answered with the contract's JSON error, before anything is done.
_REFUSALS = {
    "required": (400, REQUIRED),
    "busy": (403, BUSY),
    "quota": (403, QUOTA),
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
#: How the PHP-style faults wrap a success's JSON.
_PHP_WRAPS = {
    "bom": (b"\xef\xbb\xbf", b""),
    "whitespace": (b"\n\n  ", b"\n  \n"),
    "php_notice": (PHP_NOTICE, b""),
    "php_warning_after": (b"", PHP_WARNING),
}


def split_fault(entry: str) -> tuple[Call, str]:
    """``"add_record:error"`` -> (ADD_RECORD, ``"error"``); a bare ``"error"`` is for ``create``.

    Raises ValueError for an unknown call or kind, or a kind the call cannot have.
    """
    call, sep, kind = entry.rpartition(":")
    target = Call(call) if sep else Call.CREATE  # ValueError when unknown
    if kind not in FAULTS or target not in _FAULT_CALLS.get(kind, frozenset(Call)):
        raise ValueError(entry)
    return target, kind


def parse_fault(spec: str) -> tuple[str, str]:
    """``--fault NAME=KIND`` or ``NAME=CALL:KIND`` -> (NAME, ``CALL:KIND``), else ValueError.

    NAME is a campaign name, or ``*`` for any campaign; for the information calls
    (``campaigns``, ``skills``, ``token_info``) it is not looked at.
    """
    name, _sep, entry = spec.rpartition("=")
    if not name:
        raise ValueError(spec)
    split_fault(entry)
    return name, entry


@dataclass
class Config:
    """How the sandbox behaves."""

    tokens: frozenset[str] = frozenset({DEFAULT_TOKEN})
    #: Seconds each call that changes the operation takes (:data:`CHANGES`).
    latency: float = 0.0
    #: How long ``hang_created`` keeps the client waiting.
    hang: float = 90.0
    #: Known skill ids (a mapping gives their names too); None accepts any digits and
    #: lists the demo operation's skills.
    skills: Collection[str] | None = None
    #: Calls allowed per day before 403 TOKEN LIMIT EXCEEDED; None is unlimited.
    quota: int | None = None
    #: campaign name (or ``*``: any) -> faults for its next calls, in order, each
    #: ``KIND`` (a create call) or ``CALL:KIND``
    faults: dict[str, list[str]] = field(default_factory=dict)
    #: Campaigns that exist before the first call.
    existing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A misspelt fault would silently never fire and a test would prove nothing.
        for entries in self.faults.values():
            for entry in entries:
                split_fault(entry)


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


def success(status: int, msg: str, data: list[Any], *, code: int | str | None = None) -> Reply:
    """The contract's envelope for a call that did what it was asked."""
    payload = {"code": status if code is None else code, "error": None, "msg": msg, "data": data}
    return Reply(status, payload)


class State:
    """What the sandbox has seen and holds; safe to read from other threads."""

    def __init__(self, config: Config) -> None:
        self.lock = threading.Lock()
        self.config = config
        self.campaigns: list[dict[str, str]] = []
        #: campaign id -> the records loaded into it, in order
        self.records: dict[str, list[dict[str, str]]] = {}
        #: every add_record call that added its records: campaign_id, count, campaign_status
        self.batches: list[dict[str, str]] = []
        #: ids of the campaigns deleted, in order
        self.deleted: list[str] = []
        #: calls per :class:`Call` that got past the token check, refused by the quota included
        self.calls: Counter[str] = Counter()
        #: calls counted against the quota on :attr:`day`
        self.use_today = 0
        self.day: date | None = None
        #: calls refused because another call on the same token was still in flight
        self.overlaps = 0
        #: token -> calls being handled now
        self.in_flight: Counter[str] = Counter()
        self.next_id = 1000
        for name in config.existing:
            self.add(name, {"campaign_name": name}, "preview")

    @property
    def create_calls(self) -> int:
        """Create calls that got past the token check (those refused by the quota included)."""
        return self.calls[Call.CREATE]

    def add(self, name: str, body: Mapping[str, str], kind: str) -> str:
        """Store a new campaign (the caller holds :attr:`lock`); return its id."""
        self.next_id += 1
        ident = str(self.next_id)
        self.campaigns.append({
            "campaign_id": ident, "campaign_name": name,
            "campaign_description": body.get("campaign_description", ""),
            "type_campaign": kind, "status": "Stopped", "records": "0", "speed": "1",
            "dial_mode": kind, "last_use": "", "recycled": "0", "turbo_dial": "no",
            "skill_id": body.get("skill_id", ""), "amd": body.get("amd", ""),
        })  # fmt: skip
        self.records[ident] = []
        return ident

    def find(self, ident: str) -> dict[str, str] | None:
        """The campaign with id ``ident`` (the caller holds :attr:`lock`)."""
        return next((c for c in self.campaigns if c["campaign_id"] == ident), None)

    def created_names(self) -> Counter[str]:
        """How many campaigns exist per name (more than 1 means a duplicate)."""
        with self.lock:
            return Counter(c["campaign_name"] for c in self.campaigns)

    def records_of(self, ident: str) -> list[dict[str, str]]:
        """The records loaded into campaign ``ident``, in order (empty when it does not exist)."""
        with self.lock:
            return [dict(r) for r in self.records.get(ident, [])]

    def customers(self) -> dict[str, Counter[str]]:
        """campaign name -> how many records it holds per ``customer_id`` (more than 1 means
        a record loaded twice, unless the input itself repeated it)."""
        with self.lock:
            found: dict[str, Counter[str]] = {}
            for campaign in self.campaigns:
                held = found.setdefault(campaign["campaign_name"], Counter())
                held.update(r.get("customer_id", "") for r in self.records[campaign["campaign_id"]])
            return found

    def busy(self) -> bool:
        """Whether any call is being handled now (a test waits for this to end)."""
        with self.lock:
            return any(n > 0 for n in self.in_flight.values())

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_sandbox/state`` shows: campaigns, calls, batches, deletions, overlaps."""
        with self.lock:
            return {
                "campaigns": [dict(c) for c in self.campaigns],
                "create_calls": self.calls[Call.CREATE],
                "calls": dict(self.calls),
                "token_use_today": self.use_today,
                "batches": [dict(b) for b in self.batches],
                "deleted": list(self.deleted),
                "overlaps": self.overlaps,
            }

    def take(self, call: Call, names: Sequence[str], today: date) -> tuple[str | None, bool]:
        """Count ``call`` as one of ``today``'s calls and take the first fault queued for it
        (for ``names``, then ``*``); return the fault and whether the quota refuses the call.

        A call the quota refuses is not counted as used: nothing was done.
        """
        with self.lock:
            self.calls[call] += 1
            if today != self.day:
                self.day, self.use_today = today, 0
            quota = self.config.quota
            over = quota is not None and self.use_today >= quota
            if not over:
                self.use_today += 1
            return self._pop_fault(call, names), over

    def _pop_fault(self, call: Call, names: Sequence[str]) -> str | None:
        faults = self.config.faults
        keys = list(faults) if call in INFORMATION else [*names, "*"]
        for key in keys:
            queue = faults.get(key, [])
            for i, entry in enumerate(queue):
                target, kind = split_fault(entry)
                if target == call:
                    del queue[i]
                    return kind
        return None

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

    def __init__(
        self,
        state: State,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.state = state
        self.sleep = sleep  # tests pass one that makes a call overlap deterministically
        self.now = now  # the day's quota and last_use follow it

    def handle(
        self, method: str, path: str, token: str, query: Mapping[str, str], body: bytes
    ) -> Reply:
        """Route one HTTP call; an unknown address is answered like an unknown API."""
        call = ROUTES.get((method, path, query.get("api", "")))
        if call is None:
            with self.state.turn(token) as free:
                return error(400, NO_API) if free else error(403, BUSY)
        return self.call(call, token, query, body)

    def create(self, token: str, query: Mapping[str, str], body: bytes) -> Reply:
        """``POST campaign.php?api=create_campaign&type_campaign=...`` with a JSON body."""
        return self.call(Call.CREATE, token, query, body)

    def list_campaigns(self, token: str, query: Mapping[str, str]) -> Reply:
        """``GET information.php?api=campaigns``: every campaign, in the usual envelope."""
        return self.call(Call.CAMPAIGNS, token, query, b"")

    def call(self, call: Call, token: str, query: Mapping[str, str], raw: bytes) -> Reply:
        """Answer one call: the token's turn and checks, the day's count, the fault queued
        for it, then what the call does, shaped by the fault."""
        with self.state.turn(token) as free:
            refused = self._refused(free, token, query, call)
            if refused:
                return refused
            body = _json(raw)
            fault, over_quota = self.state.take(call, self._names(call, query, body), self._today())
            if call in CHANGES and self.state.config.latency:
                self.sleep(self.state.config.latency)
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
            reply = self._do(call, query, body)
            if reply.status >= 300 or fault is None:
                return reply
            return self._shaped(call, fault, reply)

    def _refused(
        self, free: bool, token: str, query: Mapping[str, str], call: Call
    ) -> Reply | None:
        if not free:
            return error(403, BUSY)
        if query.get("api") != API_NAMES[call]:
            return error(400, NO_API)
        if not token:
            return error(401, "PLEASE ENTER THE WOLKVOX-TOKEN")
        if token not in self.state.config.tokens:
            return error(403, "PLEASE VALIDATE TOKEN")
        return None

    def _today(self) -> date:
        return self.now().date()

    def _names(self, call: Call, query: Mapping[str, str], body: Any) -> list[str]:
        """The names of the campaigns a call concerns, for its faults."""
        if call == Call.CREATE:
            name = body.get("campaign_name") if isinstance(body, dict) else None
            return [name] if isinstance(name, str) else []
        ids = [query.get("campaign_id", "")]
        if call == Call.DELETE:
            ids += _ids_in(body) or []
        with self.state.lock:
            found = (self.state.find(i) for i in ids if i)
            return [c["campaign_name"] for c in found if c is not None]

    def _do(self, call: Call, query: Mapping[str, str], body: Any) -> Reply:
        if call == Call.CREATE:
            return self._create(query, body)
        if call == Call.ADD_RECORD:
            return self._add_records(query, body)
        if call in {Call.START, Call.STOP}:
            return self._start_stop(call, query)
        if call == Call.DELETE:
            return self._delete(query, body)
        if call == Call.SKILLS:
            return success(200, "OK", self._skills())
        if call == Call.TOKEN_INFO:
            with self.state.lock:
                used = self.state.use_today
            limit = self.state.config.quota
            data = {"token_limit": str(DAILY_CALLS if limit is None else limit)}
            return success(200, "OK", [{**data, "token_use_today": str(used)}])
        with self.state.lock:  # the list: copies, since the answer is written after the lock
            return success(200, "OK", [dict(c) for c in self.state.campaigns])

    def _create(self, query: Mapping[str, str], body: Any) -> Reply:
        kind = query.get("type_campaign", "")
        problem = self._problem(body, kind)
        if problem:
            return error(400, problem)
        with self.state.lock:
            ident = self.state.add(body["campaign_name"], body, kind)
        return success(
            201,
            f"The # {ident} has been created successfully",
            [{"id_campaign": ident, "name_campaign": body["campaign_name"]}],
        )

    def _problem(self, body: Any, kind: str) -> str:
        """The contract's 400 message for a campaign it refuses, or ``""``."""
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
        if body.get("amd") and body["amd"] not in AMD_COUNTRIES:
            return BAD_AMD
        skills = self.state.config.skills
        if skills is not None and body["skill_id"] not in skills:
            return SKILL_NOT_FOUND
        return ""

    def _add_records(self, query: Mapping[str, str], body: Any) -> Reply:
        """``POST campaign.php?api=add_record``: all the records of the body, or none."""
        kind, ident = query.get("type_campaign", ""), query.get("campaign_id", "")
        status = query.get("campaign_status", "")
        if (
            kind not in {"preview", "predictive"}
            or not ident
            or status not in {"", "start", "stop"}
        ):
            return error(400, REQUIRED)
        if not isinstance(body, list) or not body:
            return error(400, REQUIRED)
        if len(body) > MAX_RECORDS:
            return error(400, TOO_MANY_RECORDS)
        # Under the lock throughout: the campaign cannot go (another token's delete) between
        # the checks and the adding, so the batch is added whole or not at all.
        with self.state.lock:
            campaign = self.state.find(ident)
            if campaign is None:
                return error(400, CAMPAIGN_NOT_FOUND)
            if campaign["type_campaign"] != kind:
                return error(400, WRONG_TYPE)
            problem = next(filter(None, (_record_problem(r, kind) for r in body)), "")
            if problem:
                return error(400, problem)
            held = self.state.records[ident]
            held.extend(body)
            campaign["records"] = str(len(held))
            campaign["last_use"] = self.now().strftime(LAST_USE_FORMAT)
            # campaign_status is the predictive form's; on a preview campaign it changes nothing.
            if kind == "predictive" and status:
                campaign["status"] = "Started" if status == "start" else "Stopped"
            self.state.batches.append(
                {"campaign_id": ident, "records": str(len(body)), "campaign_status": status}
            )
        return success(
            201,
            "All records has been added successfully",
            [{"total_registers": str(len(body))}],
            code="201",
        )

    def _start_stop(self, call: Call, query: Mapping[str, str]) -> Reply:
        """``PUT campaign.php?api=start|stop&campaign_id=ID[&type_campaign=T]``."""
        ident, kind = query.get("campaign_id", ""), query.get("type_campaign")
        if not ident or kind not in {None, "preview", "predictive"}:
            return error(400, REQUIRED)
        with self.state.lock:
            campaign = self.state.find(ident)
            if campaign is None:
                return error(400, CAMPAIGN_NOT_FOUND)
            if kind is not None and campaign["type_campaign"] != kind:
                return error(400, WRONG_TYPE)
            if call == Call.START:
                campaign["status"] = "Started"
                campaign["last_use"] = self.now().strftime(LAST_USE_FORMAT)
            else:
                campaign["status"] = "Stopped"
        done = "started" if call == Call.START else "stopped"
        return success(202, f"The # {ident} has been {done} successfully", [])

    def _delete(self, query: Mapping[str, str], body: Any) -> Reply:
        """``DELETE campaign.php?api=delete_campaign``: the id in the query and those of a
        ``{"campaign_ids": [...]}`` body, one by one; an id not found is a failed operation."""
        listed = _ids_in(body)
        if listed is None:
            return error(400, REQUIRED)
        ids = [query["campaign_id"]] if query.get("campaign_id") else []
        ids += listed
        if not ids:
            return error(400, REQUIRED)
        deleted = 0
        with self.state.lock:
            for ident in ids:
                campaign = self.state.find(ident)
                if campaign is None:
                    continue
                self.state.campaigns.remove(campaign)
                del self.state.records[ident]
                self.state.deleted.append(ident)
                deleted += 1
        failed = len(ids) - deleted
        msg = f"{deleted} campaigns deleted successfully. {failed} operations failed."
        return success(200, msg, [])

    def _skills(self) -> list[dict[str, str]]:
        skills = self.state.config.skills
        if skills is None:
            skills = DEMO_SKILL_NAMES
        names = skills if isinstance(skills, Mapping) else DEMO_SKILL_NAMES
        return [{"skill_id": s, "skill_name": names.get(s, "")} for s in sorted(skills)]

    def _shaped(self, call: Call, fault: str, reply: Reply) -> Reply:
        """The answer once the call was done, as ``fault`` shapes it."""
        if fault == "error_created":
            return error(500, "INTERNAL SERVER ERROR")
        if fault == "reset_after":
            return Reply(0, drop=True)
        if fault == "hang_created":
            self.sleep(self.state.config.hang)
            return Reply(0, drop=True)
        payload = dict(reply.payload)
        if fault == "bad_json":
            if call == Call.CREATE:  # no id anywhere in it, not even in the message
                return Reply(201, b'{"code": 201, "msg": "The # campaign_id has been created')
            raw = json.dumps(payload).encode()
            return Reply(reply.status, raw[: len(raw) // 2])
        if fault == "no_id":
            msg = "created" if call == Call.CREATE else payload["msg"]
            return Reply(reply.status, {**payload, "msg": msg, "data": []})
        if fault == "old_spelling":
            code = payload["code"]
            if call == Call.CREATE:
                (item,) = payload["data"]
                data = [
                    {"id_campaing": item["id_campaign"], "name_campaing": item["name_campaign"]}
                ]
                return Reply(201, {"code": "201", "error": None, "msg": "created", "data": data})
            flipped = int(code) if isinstance(code, str) else str(code)
            return Reply(reply.status, {**payload, "code": flipped})
        before, after = _PHP_WRAPS[fault]
        return Reply(reply.status, before + json.dumps(payload).encode() + after)


def _record_problem(record: Any, kind: str) -> str:
    """Why ``add_record`` refuses one record of a ``kind`` campaign, or ``""``."""
    if not isinstance(record, dict) or any(not isinstance(v, str) for v in record.values()):
        return REQUIRED
    for key, value in record.items():
        if key == "agent_id":
            if kind != "preview":
                return AGENT_NOT_PREVIEW
        elif key not in RECORD_KEYS:
            return f"UNKNOWN FIELD {key.upper()}"
        elif key in OPT_LIMITS and len(value) > OPT_LIMITS[key]:
            return f"{key.upper()} EXCEEDS {OPT_LIMITS[key]} CHARACTERS"
    if record.get("recall_date") and not re.fullmatch(r"[0-9]{14}", record["recall_date"]):
        return REQUIRED
    if not any(record.get(key) for key in PHONE_KEYS):
        return REQUIRED
    return ""


def _ids_in(body: Any) -> list[str] | None:
    """The ids of a ``{"campaign_ids": [...]}`` body; [] for no body, None when malformed."""
    if body is None:
        return []
    ids = body.get("campaign_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        return None
    return ids


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
