"""Every line of the contract's "No answer" table, driven over real sockets on 127.0.0.1.

Each stand-in below fails one way at one moment of a call, HTTPS ones with a test
certificate (``trustme``): the client must say "nothing was sent" exactly when the
stand-in never got the request, and "unknown" whenever it may have.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import trustme

from importer.send.answers import TRANSPORT, Failure, TransportRule
from importer.send.client import ListRefused, WolkvoxClient
from importer.status import Ended

from .conftest import read_results, row, run_cli, write_csv

TOKEN = "s3cr3t-transport-token"
#: How long a stand-in waits on a silent client before it gives up (a bound, not a pause).
PATIENCE = 10.0
#: A TLS application-data record of 32 zero bytes: no key decrypts it.
BROKEN_RECORD = b"\x17\x03\x03\x00\x20" + bytes(32)


def rule(failure: Failure) -> TransportRule:
    return next(r for r in TRANSPORT if r.failure is failure)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


class Link:
    """One accepted connection, TLS done by hand over memory buffers, so that a
    stand-in can also write bytes beneath TLS (a broken record)."""

    def __init__(self, conn: socket.socket, tls: ssl.SSLContext | None) -> None:
        self.conn = conn
        self._tls = tls
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj: ssl.SSLObject | None = None

    def start(self) -> None:
        """The TLS handshake (nothing for plain HTTP)."""
        if self._tls is None:
            return
        self._obj = self._tls.wrap_bio(self._in, self._out, server_side=True)
        self._until(self._obj.do_handshake)

    def _until(self, step: Callable[[], object]) -> object:
        while True:
            try:
                done = step()
            except ssl.SSLWantReadError:
                self._flush()
                data = self.conn.recv(65536)
                if not data:
                    raise EOFError from None
                self._in.write(data)
                continue
            self._flush()
            return done

    def _flush(self) -> None:
        if pending := self._out.read():
            self.conn.sendall(pending)

    def read(self) -> bytes:
        if self._obj is None:
            return self.conn.recv(65536)
        obj = self._obj
        data = self._until(lambda: obj.read(65536))
        assert isinstance(data, bytes)
        return data

    def write(self, data: bytes) -> None:
        if self._obj is None:
            self.conn.sendall(data)
        else:
            self._obj.write(data)
            self._flush()

    def raw(self, data: bytes) -> None:
        """Bytes on the wire, beneath TLS."""
        self.conn.sendall(data)

    def read_request(self) -> tuple[str, bytes]:
        """The request line and body of one whole request."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.read()
            if not chunk:
                raise EOFError
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            (int(v) for k, _, v in (x.partition(":") for x in lines[1:])
             if k.strip().lower() == "content-length"),
            0,
        )  # fmt: skip
        while len(body) < length:
            chunk = self.read()
            if not chunk:
                raise EOFError
            body += chunk
        return lines[0], body

    def wait_closed(self) -> None:
        """Until the client closes its end (it gave up, or read what it was sent)."""
        while self.conn.recv(65536):
            pass


@dataclass
class Stand:
    """A stand-in server on 127.0.0.1 that treats every connection with ``behave``."""

    behave: Callable[[Link, Stand], None]
    tls: ssl.SSLContext | None = None
    received: threading.Event = field(default_factory=threading.Event)
    created: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # the accept loop looks at the stop flag this often
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(PATIENCE)
        # The client going away is what these stand-ins are for.
        with conn, contextlib.suppress(OSError, EOFError, ssl.SSLError):
            self.behave(Link(conn, self.tls), self)

    def request(self, link: Link) -> tuple[str, bytes]:
        """Handshake, read one whole request, and note that it arrived."""
        link.start()
        line, body = link.read_request()
        self.received.set()
        return line, body

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=PATIENCE)
        self.sock.close()


@pytest.fixture
def stand() -> Iterator[Callable[..., Stand]]:
    made: list[Stand] = []

    def make(behave: Callable[[Link, Stand], None], tls: ssl.SSLContext | None = None) -> Stand:
        made.append(Stand(behave, tls))
        return made[-1]

    yield make
    for each in made:
        each.close()


# -- The stand-ins' ways of failing ----------------------------------------------------


def closes_at_once(link: Link, stand: Stand) -> None:
    """Accepts the connection and closes it: the TLS handshake cannot finish."""


def says_nothing(link: Link, stand: Stand) -> None:
    """Accepts the connection and never answers the handshake."""
    link.wait_closed()


def closes_after_request(link: Link, stand: Stand) -> None:
    stand.request(link)


def broken_record_after_request(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.raw(BROKEN_RECORD)
    link.wait_closed()


def plain_text_after_request(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.raw(b"HTTP/1.1 201 Created\r\n\r\n")  # not TLS at all
    link.wait_closed()


def silent_after_request(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.wait_closed()


def status_line_cut(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.write(b"HTTP/1.1 20")


def headers_cut(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.write(b"HTTP/1.1 201 Created\r\nContent-Length: 90\r\nContent-Ty")


def undecodable_body(link: Link, stand: Stand) -> None:
    stand.request(link)
    link.write(
        b"HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n"
        b"Connection: close\r\n\r\nnot gzip!"
    )


def _session(verify: str | bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    return session


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def _assert_is(answer, failure: Failure, timeout: float = 1) -> None:
    expected = rule(failure)
    assert (answer.kind, answer.reason) == (expected.kind, expected.reason), answer.message
    sentence = expected.message.format(timeout=f"{timeout:g}", proxy="a proxy", answer="")
    assert answer.sentence == sentence
    assert answer.message.startswith(sentence)
    assert TOKEN not in answer.message


# (behaviour, over TLS?, the failure it must be classified as)
CASES = {
    "closes-before-handshake": (closes_at_once, True, Failure.HANDSHAKE),
    "handshake-times-out": (says_nothing, True, Failure.HANDSHAKE),
    "https-closes-after-request": (closes_after_request, True, Failure.CLOSED),
    "http-closes-after-request": (closes_after_request, False, Failure.CLOSED),
    "broken-tls-record-after-request": (broken_record_after_request, True, Failure.TLS_BROKE),
    "plain-text-in-tls-after-request": (plain_text_after_request, True, Failure.TLS_BROKE),
    "https-read-timeout": (silent_after_request, True, Failure.READ_TIMEOUT),
    "http-read-timeout": (silent_after_request, False, Failure.READ_TIMEOUT),
    "status-line-cut": (status_line_cut, True, Failure.CLOSED),
    "headers-cut": (headers_cut, True, Failure.CLOSED),
    "undecodable-body": (undecodable_body, True, Failure.OTHER),
}


@pytest.mark.parametrize("case", CASES)
def test_each_failure_is_told_by_whether_the_request_can_have_arrived(
    case, stand, server_tls, bundle
):
    behave, tls, failure = CASES[case]
    box = stand(behave, server_tls if tls else None)
    client = WolkvoxClient(box.url, TOKEN, session=_session(bundle), timeout=1)
    answer = client.create_campaign("preview", json.dumps({"campaign_name": "A"}))
    _assert_is(answer, failure)
    # The stand-in knows the truth: "nothing was sent" only where nothing arrived.
    assert box.received.is_set() is rule(failure).reached


def test_an_untrusted_certificate_fails_before_the_request(stand, server_tls):
    box = stand(closes_after_request, server_tls)
    other = trustme.CA()  # the client trusts another authority only
    with other.cert_pem.tempfile() as untrusted:
        client = WolkvoxClient(box.url, TOKEN, session=_session(untrusted), timeout=1)
        answer = client.create_campaign("preview", "{}")
    _assert_is(answer, Failure.HANDSHAKE)
    assert "CERTIFICATE_VERIFY_FAILED" in answer.said
    assert not box.received.is_set()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_refused_port_is_nothing_sent(scheme):
    client = WolkvoxClient(
        f"{scheme}://127.0.0.1:{_unused_port()}", TOKEN, session=_session(True), timeout=1
    )
    _assert_is(client.create_campaign("preview", "{}"), Failure.REFUSED)


def test_an_unknown_host_is_nothing_sent():
    # .invalid never resolves (RFC 2606): no network is needed to be told so.
    client = WolkvoxClient("https://nonexistent.invalid", TOKEN, session=_session(True), timeout=1)
    _assert_is(client.create_campaign("preview", "{}"), Failure.NAME)


@pytest.mark.skipif(sys.platform != "linux", reason="Linux drops connections past a full backlog")
def test_a_connect_timeout_is_nothing_sent():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        queued = []
        try:
            # Fill the backlog (never accepted) until a connection is left hanging.
            for _ in range(16):
                probe = socket.socket()
                probe.settimeout(0.2)
                queued.append(probe)
                try:
                    probe.connect(address)
                except TimeoutError:
                    break
            else:
                pytest.skip("the backlog never filled")
            client = WolkvoxClient(
                f"https://127.0.0.1:{address[1]}", TOKEN, session=_session(True), timeout=0.5
            )
            _assert_is(client.create_campaign("preview", "{}"), Failure.CONNECT_TIMEOUT, 0.5)
        finally:
            for probe in queued:
                probe.close()


# -- Through a proxy's tunnel -----------------------------------------------------------


class _Tunnel:
    """An HTTP proxy that answers CONNECT and then relays bytes both ways."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        client.settimeout(PATIENCE)
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                if not (chunk := client.recv(4096)):
                    return
                head += chunk
            host, _, port = head.split(b" ", 2)[1].decode().rpartition(":")
            with socket.create_connection((host, int(port)), timeout=PATIENCE) as server:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                back = threading.Thread(target=self._pipe, args=(server, client), daemon=True)
                back.start()
                self._pipe(client, server)
                back.join(PATIENCE)

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(PATIENCE)
        self.sock.close()


def test_a_connection_closed_after_the_request_through_a_proxy_is_unknown(
    stand, server_tls, bundle
):
    """urllib3 names this a ProxyError (the closed connection forgets its proxy); the
    request had gone through the tunnel all the same."""
    box = stand(closes_after_request, server_tls)
    tunnel = _Tunnel()
    try:
        session = _session(bundle)
        session.proxies = {"https": f"http://{tunnel.address}"}
        client = WolkvoxClient(box.url, TOKEN, session=session, timeout=1)
        answer = client.create_campaign("preview", "{}")
    finally:
        tunnel.close()
    _assert_is(answer, Failure.CLOSED)
    assert box.received.is_set()


# -- The campaign list, and a whole run -------------------------------------------------


def test_an_unreachable_server_refuses_the_list_as_it_would_every_call():
    client = WolkvoxClient(
        f"https://127.0.0.1:{_unused_port()}", TOKEN, session=_session(True), timeout=1
    )
    with pytest.raises(ListRefused) as caught:
        client.list_campaigns()
    assert caught.value.answer.reason == Ended.UNREACHABLE


def _creates_then_breaks_tls(link: Link, stand: Stand) -> None:
    """A wolkvox stand-in over HTTPS: lists what it created; creates the campaign it is
    sent, then breaks the TLS stream instead of answering."""
    line, body = stand.request(link)
    if " /api/v2/information.php" in line:
        listed = [{"campaign_id": str(100 + i), "campaign_name": n}
                  for i, n in enumerate(stand.created)]  # fmt: skip
        payload = json.dumps({"code": 200, "msg": "OK", "data": listed}).encode()
        link.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        return
    stand.created.append(json.loads(body)["campaign_name"])
    link.raw(BROKEN_RECORD)
    link.wait_closed()


def test_a_tls_error_after_the_campaign_was_created_is_settled_not_resent(
    tmp_path, stand, server_tls, bundle, monkeypatch
):
    box = stand(_creates_then_breaks_tls, server_tls)
    monkeypatch.setenv("WOLKVOX_TOKEN", TOKEN)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    done = run_cli("run", src, "--base-url", box.url, "--reconcile-after", "0")
    assert done.code == 0, done.out + done.err
    (result,) = read_results(tmp_path / "c.results.xlsx")
    assert (result["status"], result["id_campaign"]) == ("created", "100")
    assert not (tmp_path / "c.results.retry.xlsx").exists()  # nothing to send again
    assert box.created == ["Uno"]
