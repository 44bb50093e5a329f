"""The HTTP layer against canned answers (``responses``), a refusing proxy and the sandbox."""

import json
import socketserver
import threading

import pytest
import requests
import responses

from importer.errors import ApiStopped, UsageError
from importer.sandbox.server import DEFAULT_TOKEN
from importer.send.client import (
    Kind,
    ListRefused,
    WolkvoxClient,
    base_url_for,
    check_base_url,
    classify,
)
from importer.status import Ended

BASE = "https://wv0032.wolkvox.com"
CREATE = f"{BASE}/api/v2/campaign.php"
LIST = f"{BASE}/api/v2/information.php"
TOKEN = "s3cr3t-token-value"


def envelope(code, msg, data=None):
    return {"code": code, "error": None, "msg": msg, "data": data or []}


@pytest.fixture
def client():
    return WolkvoxClient(BASE, TOKEN, timeout=5)


@responses.activate
def test_created_reads_id_and_sends_token_header_and_type(client):
    responses.post(CREATE, status=201, json=envelope(
        201, "The # campaign_id has been created successfully",
        [{"id_campaign": "123", "name_campaign": "A"}]))  # fmt: skip
    answer = client.create_campaign("predictive", json.dumps({"campaign_name": "A"}))
    assert (answer.kind, answer.id_campaign) == ("created", "123")
    sent = responses.calls[0].request
    assert sent.headers["wolkvox-token"] == TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert "api=create_campaign" in sent.url and "type_campaign=predictive" in sent.url


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (201, envelope("201", "ok", [{"id_campaing": "77"}]), "created", ""),
        (201, envelope(201, "ok"), "created", ""),
        (201, envelope(400, "weird"), "unknown", ""),
        (200, envelope(200, "ok"), "unknown", ""),
        (400, envelope(400, "SOME PARAMETERS ARE REQUIRED"), "failed", ""),
        (400, envelope(400, "THE API YOU WANT TO CONSULT DOES NOT EXIST"), "stop", "api"),
        (401, envelope(401, "PLEASE ENTER THE WOLKVOX-TOKEN"), "stop", "token"),
        (403, envelope(403, "PLEASE VALIDATE TOKEN"), "stop", "token"),
        (403, envelope(403, "TOKEN LIMIT EXCEEDED"), "stop", "quota"),
        (
            403,
            envelope(403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"),
            "retry",
            "busy",
        ),
        (403, "<html><title>Mantenimiento</title></html>", "retry", "maintenance"),
        (404, "<html><title>404 Not Found</title></html>", "stop", "api"),
        (302, "", "stop", "api"),
        (422, envelope(422, "nope"), "failed", ""),
        (407, "<html><title>Proxy login</title></html>", "stop", "unreachable"),
        (500, envelope(500, "boom"), "unknown", ""),
        (102, "", "unknown", ""),
        (502, "<html><title>Bad gateway</title></html>", "unknown", ""),
    ],
)
@responses.activate
def test_contract_answers_are_classified(client, status, body, kind, reason):
    if isinstance(body, dict):
        responses.post(CREATE, status=status, json=body)
    else:
        responses.post(CREATE, status=status, body=body)
    answer = client.create_campaign("preview", "{}")
    assert (answer.kind, answer.reason) == (kind, reason)
    assert TOKEN not in answer.message


def test_id_in_old_spelling_is_read():
    answer = classify(201, json.dumps(envelope("201", "ok", [{"id_campaing": "77"}])))
    assert answer.id_campaign == "77"


def test_created_without_id_says_the_campaign_list_will_give_it():
    answer = classify(201, json.dumps(envelope(201, "ok")))
    assert answer.message == (
        "created; wolkvox's answer carried no campaign id, so it will be taken from the "
        "campaign list (wolkvox: HTTP 201 ok)"
    )


def test_malformed_json_with_201_is_created_without_id():
    answer = classify(201, '{"code": 201, "msg": "The #')
    assert (answer.kind, answer.id_campaign) == ("created", "")


def test_html_error_page_is_shown_by_its_title():
    answer = classify(502, "<html><head><title>502 Bad Gateway</title></head><body>x</body>")
    assert answer.message.startswith("wolkvox failed while handling the request;")
    assert answer.message.endswith("(wolkvox: HTTP 502 Bad Gateway)")  # the code once


@responses.activate
def test_read_timeout_is_unknown(client):
    responses.post(CREATE, body=requests.ReadTimeout("slow"))
    answer = client.create_campaign("preview", "{}")
    assert answer.kind == "unknown"
    assert answer.message == (
        "the request was sent but no answer came within 5 s; the campaign may or may not "
        "exist, and the campaign list will show which"
    )


@responses.activate
def test_connect_timeout_stops_the_run_as_nothing_was_sent(client):
    responses.post(CREATE, body=requests.ConnectTimeout("no route"))
    assert client.create_campaign("preview", "{}").reason == "unreachable"


@responses.activate
def test_connection_dropped_after_sending_is_unknown(client):
    responses.post(CREATE, body=requests.ConnectionError("Connection aborted."))
    assert client.create_campaign("preview", "{}").kind == "unknown"


@responses.activate
def test_campaign_list_accepts_envelope_and_bare_list(client):
    item = {"campaign_id": "5", "campaign_name": "A"}
    responses.get(LIST, json=envelope(200, "ok", [item]))
    responses.get(LIST, json=[item])
    assert client.list_campaigns() == [item]
    assert client.list_campaigns() == [item]
    assert "api=campaigns" in responses.calls[0].request.url


@responses.activate
def test_a_token_refused_on_the_campaign_list_is_the_tokens_refusal(client):
    responses.get(LIST, status=403, json=envelope(403, "PLEASE VALIDATE TOKEN"))
    with pytest.raises(ListRefused) as caught:
        client.list_campaigns()
    assert caught.value.answer.reason == Ended.TOKEN
    assert caught.value.answer.message == (
        "wolkvox did not accept the token; check it (WOLKVOX_TOKEN or --token-file): a wolkvox "
        "manager administrator can give you a valid one (wolkvox: HTTP 403 PLEASE VALIDATE TOKEN)"
    )


@responses.activate
def test_a_campaign_list_that_fails_on_its_own_is_only_unreadable(client):
    responses.get(LIST, status=500, body="<html><title>Internal error</title></html>")
    with pytest.raises(ApiStopped, match="HTTP 500 Internal error") as caught:
        client.list_campaigns()
    assert not isinstance(caught.value, ListRefused)  # creating may still work


def test_server_nomenclature_is_zero_padded():
    assert base_url_for("32") == "https://wv0032.wolkvox.com"
    assert base_url_for("0100") == "https://wv0100.wolkvox.com"
    with pytest.raises(UsageError, match="is not a server nomenclature"):
        base_url_for("wv32.wolkvox.com")


def test_plain_http_is_refused_except_to_loopback():
    assert check_base_url("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    with pytest.raises(UsageError, match="refusing to send the token over plain http"):
        check_base_url("http://example.org")


def test_client_repr_hides_the_token(client):
    assert TOKEN not in repr(client)


def test_token_with_spaces_is_refused_without_showing_it():
    with pytest.raises(UsageError) as caught:
        WolkvoxClient(BASE, "abc def\n")
    assert "abc" not in str(caught.value)
    assert str(caught.value).startswith("the token holds spaces or characters a token cannot")


# -- What PHP sends, over the client ---------------------------------------------------

NOTICE = (
    b"<br />\n<b>Notice</b>:  Undefined index: opt12 in <b>/var/www/html/api/v2/campaign.php"
    b"</b> on line <b>12</b><br />\n"
)


@responses.activate
def test_html_201_without_charset_is_read_as_utf8_with_its_id(client):
    body = json.dumps(envelope(201, "Campaña creada", [{"id_campaign": "88"}]), ensure_ascii=False)
    responses.post(
        CREATE,
        status=201,
        body=b"\xef\xbb\xbf" + NOTICE + body.encode("utf-8"),
        content_type="text/html",
    )
    answer = client.create_campaign("preview", "{}")
    assert (answer.kind, answer.id_campaign) == ("created", "88")
    assert answer.message == "created with id 88 (wolkvox: HTTP 201 Campaña creada)"


@responses.activate
def test_campaign_list_is_read_through_php_notices(client):
    item = {"campaign_id": "5", "campaign_name": "Cobranza"}
    responses.get(LIST, body=NOTICE + json.dumps(envelope(200, "ok", [item])).encode())
    responses.get(LIST, body=b"\xef\xbb\xbf" + NOTICE + json.dumps([item]).encode())
    assert client.list_campaigns() == [item]
    assert client.list_campaigns() == [item]


# -- Proxies: a refusal means nothing reached wolkvox -----------------------------------


class _RefusingProxy(socketserver.StreamRequestHandler):
    """Answers every request, CONNECT included, with 407 and closes."""

    def handle(self):
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # the request's head; a proxy that wants a login reads no further
        self.wfile.write(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n"
            b'Proxy-Authenticate: Basic realm="office"\r\nContent-Length: 0\r\n'
            b"Connection: close\r\n\r\n"
        )


@pytest.fixture
def refusing_proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingProxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _through(proxy: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {
        "http": f"http://alice:hunter2@{proxy}",
        "https": f"http://alice:hunter2@{proxy}",
    }
    return session


def _assert_names_the_proxy_only(text: str, proxy: str) -> None:
    assert f"http://{proxy}" in text
    assert "hunter2" not in text and "alice" not in text and TOKEN not in text


@pytest.mark.parametrize(
    "base_url",
    ["https://wv0032.wolkvox.com", "http://127.0.0.1:9"],
    ids=["https-connect-refused", "http-answered-407"],
)
def test_a_proxy_that_refuses_stops_the_run_and_is_named(refusing_proxy, base_url):
    client = WolkvoxClient(base_url, TOKEN, session=_through(refusing_proxy), timeout=5)
    answer = client.create_campaign("preview", "{}")
    assert (answer.kind, answer.reason) == (Kind.STOP, Ended.UNREACHABLE)
    assert "nothing reached wolkvox" in answer.message or "passed nothing on" in answer.message
    _assert_names_the_proxy_only(answer.message, refusing_proxy)


def test_a_proxy_that_cannot_be_reached_is_named(unused_port):
    proxy = f"127.0.0.1:{unused_port}"
    client = WolkvoxClient(BASE, TOKEN, session=_through(proxy), timeout=5)
    answer = client.create_campaign("preview", "{}")
    assert (answer.kind, answer.reason) == (Kind.STOP, Ended.UNREACHABLE)
    assert answer.message.startswith(f"could not get through the proxy http://{proxy};")
    _assert_names_the_proxy_only(answer.message, proxy)


@pytest.mark.parametrize("base_url", ["https://wv0032.wolkvox.com", "http://127.0.0.1:9"])
def test_campaign_list_behind_a_refusing_proxy_names_it(refusing_proxy, base_url):
    client = WolkvoxClient(base_url, TOKEN, session=_through(refusing_proxy), timeout=5)
    with pytest.raises(ApiStopped) as caught:
        client.list_campaigns()
    _assert_names_the_proxy_only(str(caught.value), refusing_proxy)


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


# -- A connection that closes after the request left ------------------------------------


def test_connection_closed_after_sending_is_unknown_over_real_http(make_sandbox):
    box = make_sandbox(faults={"A": ["reset_after"]})
    client = WolkvoxClient(box.url, DEFAULT_TOKEN, timeout=5)
    body = json.dumps({"campaign_name": "A", "skill_id": "101"})
    answer = client.create_campaign("preview", body)
    assert (answer.kind, answer.reason) == (Kind.UNKNOWN, "")
    assert answer.message == (
        "the connection closed before the server answered, after the request was sent; the "
        "campaign may or may not exist, and the campaign list will show which (error: "
        "http.client.RemoteDisconnected: Remote end closed connection without response)"
    )
    assert box.state.created_names() == {"A": 1}


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://\x1b[2J/", "http://127.0.0.1:99999/", "http://127.0.0.1:x/"]
)
def test_a_base_url_that_is_no_address_is_a_usage_error_saying_so(url):
    with pytest.raises(UsageError) as refused:
        check_base_url(url)
    assert str(refused.value) == (
        f"--base-url {url!r} is not a valid address; write it as https://host/ or "
        "https://host:port/ (a port is a number from 1 to 65535)."
    )
