"""A local stand-in for the wolkvox campaign API, following ``docs/wolkvox-api.md``.

It is a real HTTP server on 127.0.0.1 (``with Sandbox() as box: box.url``). This
module only frames HTTP: what the server answers, and the record of what it
created and loaded, is :mod:`importer.sandbox.sandbox_core`. Two addresses outside the API
show that record to tests in another process: ``GET /_sandbox/state`` (campaigns,
calls, batches, deletions, overlaps) and ``GET /_sandbox/records?campaign_id=ID``
(the records loaded into one campaign). A request is read whole, handed to
:class:`~importer.sandbox.sandbox_core.Api`, and its :class:`~importer.sandbox.sandbox_core.Reply`
written back, or the connection dropped when a fault says so.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from importer.sandbox.sandbox_core import (
    CALLS,
    DEFAULT_TOKEN,
    DEMO_SKILLS,
    FAULTS,
    Api,
    Call,
    Config,
    Reply,
    State,
    parse_fault,
)

__all__ = [
    "CALLS", "DEFAULT_TOKEN", "DEMO_SKILLS", "FAULTS", "Api", "Call", "Config", "Sandbox", "State",
    "parse_fault",
]  # fmt: skip


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

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if method == "GET" and url.path == "/_sandbox/state":
            reply = Reply(200, self.server.state.snapshot())
        elif method == "GET" and url.path == "/_sandbox/records":
            ident = dict(parse_qsl(url.query)).get("campaign_id", "")
            reply = Reply(
                200, {"campaign_id": ident, "records": self.server.state.records_of(ident)}
            )
        else:
            token = self.headers.get("wolkvox-token") or ""
            query = dict(parse_qsl(url.query))
            reply = self.server.api.handle(method, url.path, token, query, body)
        if reply.drop:
            self._drop()
        else:
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        body = reply.body()
        head = (
            f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n"
            f"Content-Type: {reply.content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode("latin-1")
        try:
            self.wfile.write(head + body)
            self.close_connection = False  # keep-alive, whatever the client asked
        except OSError:  # the client went away (killed, timed out): nothing to tell it
            self.close_connection = True
        self.log_request(reply.status, len(body))

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Threads, so that an overlapping request is really seen as one and refused.

    def __init__(self, address: tuple[str, int], api: Api, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.state = api.state
        self.verbose = verbose


class Sandbox:
    """The stand-in server, run in a background thread: ``with Sandbox() as box: box.url``."""

    def __init__(
        self, config: Config | None = None, *, port: int = 0, verbose: bool = False
    ) -> None:
        self.state = State(config or Config())
        self.api = Api(self.state)
        self._server = _Server(("127.0.0.1", port), self.api, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Sandbox:
        """Serve in a background thread."""
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
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
