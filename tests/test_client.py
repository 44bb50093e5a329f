"""The HTTP layer against canned answers (``responses``); the sandbox tests cover real HTTP."""

import json

import pytest
import requests
import responses

from importer.client import WolkvoxClient, base_url_for, check_base_url, classify
from importer.errors import ApiStopped, UsageError

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
        (500, envelope(500, "boom"), "unknown", ""),
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


def test_created_without_id_says_where_to_find_it():
    answer = classify(201, json.dumps(envelope(201, "ok")))
    assert answer.message == (
        "created (HTTP 201), but the answer carried no campaign id; find it in wolkvox manager"
    )


def test_malformed_json_with_201_is_created_without_id():
    answer = classify(201, '{"code": 201, "msg": "The #')
    assert (answer.kind, answer.id_campaign) == ("created", "")


def test_html_error_page_is_shown_by_its_title():
    answer = classify(502, "<html><head><title>502 Bad Gateway</title></head><body>x</body>")
    assert answer.message.startswith("HTTP 502 502 Bad Gateway: the server failed")


@responses.activate
def test_read_timeout_is_unknown(client):
    responses.post(CREATE, body=requests.ReadTimeout("slow"))
    answer = client.create_campaign("preview", "{}")
    assert answer.kind == "unknown"
    assert answer.message == "no answer within 5 s; the campaign may or may not exist"


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
def test_campaign_list_failure_raises_api_stopped(client):
    responses.get(LIST, status=403, json=envelope(403, "PLEASE VALIDATE TOKEN"))
    with pytest.raises(ApiStopped, match="HTTP 403 PLEASE VALIDATE TOKEN"):
        client.list_campaigns()


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
