"""A local stand-in for the wolkvox campaign API, following ``shared/wolkvox-api.md``.

It is a real HTTP server on 127.0.0.1: it checks the token, validates required
fields, answers 201 with a new id, lists campaigns, rejects any request that
overlaps another on the same token (403, as the real server does past its limit),
and can be told to fail the documented ways, per campaign name, to be slow, or to
run out of quota. It keeps a record of every campaign it created, so tests can
prove that no campaign was created twice and no request overlapped another.

The answer to an unknown skill (``--skills``) is this stand-in's own choice: the
contract only says that row-level problems are a 400.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_TOKEN = "sandbox-token"
BODY_KEYS = (
    "campaign_name", "campaign_description", "start_time", "end_time", "skill_id",
    *(f"opt{i}" for i in range(1, 13)), "enable_edition",
)  # fmt: skip

#: The skills of the demo operation that ``--simulate`` imports into.
DEMO_SKILLS = frozenset({*map(str, range(101, 111)), *map(str, range(201, 206)), "0042"})

#: Faults the sandbox can inject, by campaign name.
FAULTS = {
    "required": "400, SOME PARAMETERS ARE REQUIRED (not created)",
    "busy": "403, EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (not created)",
    "maintenance": "403 with an HTML page, as during backups (not created)",
    "quota": "403, TOKEN LIMIT EXCEEDED (not created)",
    "bad_token": "403, PLEASE VALIDATE TOKEN (not created)",
    "no_api": "400, THE API YOU WANT TO CONSULT DOES NOT EXIST (not created)",
    "error": "500 (not created)",
    "error_created": "500 after creating the campaign",
    "html": "502 HTML error page (not created)",
    "bad_json": "201 with a malformed JSON body (created)",
    "no_id": "201 without an id (created)",
    "old_spelling": "201 with id_campaing and a string code (created)",
    "hang_created": "creates the campaign, then answers only after --hang seconds",
    "reset_before": "drops the connection without reading the request (not created)",
    "reset_after": "creates the campaign, then drops the connection without answering",
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


class State:
    """What the sandbox has seen and created; safe to read from other threads."""

    def __init__(self, config: Config) -> None:
        self.lock = threading.Lock()
        self.config = config
        self.campaigns: list[dict[str, str]] = []
        self.create_calls = 0
        self.overlaps = 0
        self.in_flight: Counter[str] = Counter()
        self.next_id = 1000
        for name in config.existing:
            self._add(name, {"campaign_name": name}, "preview")

    def _add(self, name: str, body: dict[str, str], kind: str) -> str:
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

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "campaigns": list(self.campaigns),
                "create_calls": self.create_calls,
                "overlaps": self.overlaps,
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real server
    # Headers and body go out in one write, and Nagle is off, so small answers are
    # not held back ~40 ms waiting for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def handle(self) -> None:
        # A client that is killed or gives up mid-request is normal here, not an error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:  # quiet unless asked
        if self.server.verbose:
            super().log_message(format, *args)

    def _answer(
        self,
        status: int,
        payload: Any,
        *,
        content_type: str = "application/json",
        close: bool = False,
    ) -> None:
        self._release()
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode("latin-1")
        try:
            self.wfile.write(head + body)
        except OSError:  # the client went away (killed, timed out): nothing to tell it
            close = True
        self.close_connection = close
        self.log_request(status, len(body))

    def _error(self, status: int, message: str) -> None:
        self._answer(status, {"code": status, "error": message, "msg": message, "data": []})

    def _release(self) -> None:
        """The call is over for the token's count before the client hears of it, so a
        client that sends its next request the moment it has the answer is not refused."""
        token = getattr(self, "_busy_token", None)
        if token is not None:
            with self.server.state.lock:
                self.server.state.in_flight[token] -= 1
            self._busy_token = None

    def _drop(self) -> None:
        self._release()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _token_ok(self) -> bool:
        token = self.headers.get("wolkvox-token")
        if not token:
            self._error(401, "PLEASE ENTER THE WOLKVOX-TOKEN")
            return False
        if token not in self.server.state.config.tokens:
            self._error(403, "PLEASE VALIDATE TOKEN")
            return False
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/_sandbox/state":
            self._answer(200, self.server.state.snapshot())
            return
        if url.path != "/api/v2/information.php" or query.get("api") != ["campaigns"]:
            self._error(400, "THE API YOU WANT TO CONSULT DOES NOT EXIST")
            return
        if not self._token_ok():
            return
        with self.server.state.lock:
            data = list(self.server.state.campaigns)
        self._answer(200, {"code": 200, "error": None, "msg": "OK", "data": data})

    def do_POST(self) -> None:
        state = self.server.state
        token = self.headers.get("wolkvox-token") or ""
        with state.lock:
            busy = state.in_flight[token] > 0
            state.in_flight[token] += 1
            if busy:
                state.overlaps += 1
        self._busy_token = token
        try:
            if busy:
                self._read_body()
                self._error(403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)")
            else:
                self._create()
        finally:
            self._release()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _create(self) -> None:
        state = self.server.state
        config = state.config
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        raw = self._read_body()
        if url.path != "/api/v2/campaign.php" or query.get("api") != ["create_campaign"]:
            self._error(400, "THE API YOU WANT TO CONSULT DOES NOT EXIST")
            return
        if not self._token_ok():
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        name = body.get("campaign_name", "") if isinstance(body, dict) else ""
        with state.lock:
            queued = config.faults.get(name)
            fault = queued.pop(0) if queued else None
            state.create_calls += 1
            over_quota = config.quota is not None and state.create_calls > config.quota
        if config.latency:
            time.sleep(config.latency)
        if fault == "reset_before":
            self._drop()
            return
        if over_quota or fault == "quota":
            self._error(403, "TOKEN LIMIT EXCEEDED")
            return
        simple = {
            "required": (400, "SOME PARAMETERS ARE REQUIRED"),
            "busy": (403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"),
            "bad_token": (403, "PLEASE VALIDATE TOKEN"),
            "no_api": (400, "THE API YOU WANT TO CONSULT DOES NOT EXIST"),
            "error": (500, "INTERNAL SERVER ERROR"),
        }
        if fault in simple:
            self._error(*simple[fault])
            return
        if fault in {"maintenance", "html"}:
            status = 403 if fault == "maintenance" else 502
            page = f"<html><head><title>{status} Service unavailable</title></head></html>"
            self._answer(status, page.encode(), content_type="text/html")
            return
        problem = self._problem(body, query.get("type_campaign", [""])[0])
        if problem:
            self._error(400, problem)
            return
        kind = query["type_campaign"][0]
        with state.lock:
            ident = state._add(name, body, kind)
        if fault == "error_created":
            self._error(500, "INTERNAL SERVER ERROR")
        elif fault == "reset_after":
            self._drop()
        elif fault == "hang_created":
            time.sleep(config.hang)
            self._drop()
        elif fault == "bad_json":
            self._answer(201, b'{"code": 201, "msg": "The # campaign_id has been created')
        elif fault == "no_id":
            self._answer(201, {"code": 201, "error": None, "msg": "created", "data": []})
        elif fault == "old_spelling":
            self._answer(
                201,
                {
                    "code": "201",
                    "error": None,
                    "msg": "created",
                    "data": [{"id_campaing": ident, "name_campaing": name}],
                },
            )
        else:
            self._answer(201, {
                "code": 201, "error": None,
                "msg": f"The # {ident} has been created successfully",
                "data": [{"id_campaign": ident, "name_campaign": name}],
            })  # fmt: skip

    def _problem(self, body: Any, kind: str) -> str:
        if kind not in {"preview", "predictive"}:
            return "SOME PARAMETERS ARE REQUIRED"
        if not isinstance(body, dict) or any(not isinstance(body.get(k, ""), str) for k in body):
            return "SOME PARAMETERS ARE REQUIRED"
        if not body.get("campaign_name") or not re.fullmatch(r"[0-9]+", body.get("skill_id", "")):
            return "SOME PARAMETERS ARE REQUIRED"
        if kind == "predictive" and not (body.get("start_time") and body.get("end_time")):
            return "SOME PARAMETERS ARE REQUIRED"
        for key in ("start_time", "end_time"):
            if body.get(key) and not re.fullmatch(r"[0-9]{6}|[0-9]{14}", body[key]):
                return "SOME PARAMETERS ARE REQUIRED"
        skills = self.server.state.config.skills
        if skills is not None and body["skill_id"] not in skills:
            return "SKILL ID NOT FOUND"
        return ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Threads, so that an overlapping request is really seen as one and refused.

    def __init__(self, address: tuple[str, int], state: State, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.verbose = verbose


class Sandbox:
    """The stand-in server, run in a background thread: ``with Sandbox() as box: box.url``."""

    def __init__(
        self, config: Config | None = None, *, port: int = 0, verbose: bool = False
    ) -> None:
        self.state = State(config or Config())
        self._server = _Server(("127.0.0.1", port), self.state, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        # A short poll interval so that stopping (tests, --simulate) is immediate.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="wolkvox-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
