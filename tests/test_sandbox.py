"""The stand-in server follows the contract: its core called directly, and over real HTTP."""

import json
import threading
import time

import pytest
import requests

from importer.sandbox import DEFAULT_TOKEN, FAULTS, Api, Config, State

HEADERS = {"wolkvox-token": DEFAULT_TOKEN, "Content-Type": "application/json"}
BODY = {"campaign_name": "A", "skill_id": "101", "campaign_description": ""}


def create(url, body=BODY, kind="preview", headers=HEADERS, session=requests):
    return session.post(
        f"{url}/api/v2/campaign.php",
        params={"api": "create_campaign", "type_campaign": kind},
        data=json.dumps(body),
        headers=headers,
        timeout=10,
    )


def test_create_answers_201_with_a_new_id_and_lists_it(sandbox):
    answer = create(sandbox.url)
    assert answer.status_code == 201
    (item,) = answer.json()["data"]
    listed = requests.get(
        f"{sandbox.url}/api/v2/information.php",
        params={"api": "campaigns"},
        headers=HEADERS,
        timeout=10,
    ).json()["data"]
    assert [(c["campaign_id"], c["campaign_name"]) for c in listed] == [
        (item["id_campaign"], "A")]  # fmt: skip


def test_overlapping_requests_on_one_token_are_refused(make_sandbox):
    box = make_sandbox(latency=0.3)
    answers = []
    threads = [
        threading.Thread(
            target=lambda n=n: answers.append(
                create(box.url, {**BODY, "campaign_name": f"c{n}"}).status_code
            )
        )
        for n in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 403]
    assert box.state.overlaps == 1
    assert sum(box.state.created_names().values()) == 1


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Content-Type": "application/json"}, 401, "PLEASE ENTER THE WOLKVOX-TOKEN"),
        ({"wolkvox-token": "wrong"}, 403, "PLEASE VALIDATE TOKEN"),
    ],
)
def test_token_is_checked(sandbox, headers, status, message):
    answer = create(sandbox.url, headers=headers)
    assert (answer.status_code, answer.json()["msg"]) == (status, message)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"campaign_name": "", "skill_id": "101"}, "preview"),
        ({"campaign_name": "A", "skill_id": "x"}, "preview"),
        ({"campaign_name": "A", "skill_id": 101}, "preview"),
        ({"campaign_name": "A", "skill_id": "101"}, "predictive"),
        ({"campaign_name": "A", "skill_id": "101"}, "other"),
    ],
)
def test_missing_or_malformed_fields_are_a_400(sandbox, body, kind):
    answer = create(sandbox.url, body=body, kind=kind)
    assert (answer.status_code, answer.json()["msg"]) == (400, "SOME PARAMETERS ARE REQUIRED")


def test_unknown_api_is_a_400(sandbox):
    answer = requests.post(
        f"{sandbox.url}/api/v2/campaign.php?api=nope", headers=HEADERS, data="{}", timeout=10
    )
    assert answer.json()["msg"] == "THE API YOU WANT TO CONSULT DOES NOT EXIST"


def test_faults_apply_to_the_named_campaign_once(make_sandbox):
    box = make_sandbox(faults={"A": ["error_created"]})
    assert create(box.url).status_code == 500
    assert create(box.url).status_code == 201
    assert box.state.created_names() == {"A": 2}


def test_quota_runs_out(make_sandbox):
    box = make_sandbox(quota=1)
    assert create(box.url).status_code == 201
    answer = create(box.url, {**BODY, "campaign_name": "B"})
    assert (answer.status_code, answer.json()["msg"]) == (403, "TOKEN LIMIT EXCEEDED")


def test_unknown_skill_is_refused_when_skills_are_known(make_sandbox):
    box = make_sandbox(skills=frozenset({"102"}))
    assert create(box.url).json()["msg"] == "SKILL ID NOT FOUND"


def test_connections_are_kept_alive(sandbox):
    with requests.Session() as session:
        for n in range(3):
            answer = create(sandbox.url, {**BODY, "campaign_name": f"k{n}"}, session=session)
            assert answer.headers["Connection"] == "keep-alive"
        (pool,) = session.get_adapter(sandbox.url).poolmanager.pools._container.values()
        assert pool.num_connections == 1


def test_state_endpoint_reports_what_was_created(sandbox):
    create(sandbox.url)
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=10).json()
    assert (state["create_calls"], state["overlaps"]) == (1, 0)
    assert [c["campaign_name"] for c in state["campaigns"]] == ["A"]


def _wait_for(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


CREATE = {"api": "create_campaign", "type_campaign": "preview"}
LIST = {"api": "campaigns"}


def test_core_creates_and_lists_without_http():
    api = Api(State(Config()))
    reply = api.create(DEFAULT_TOKEN, CREATE, json.dumps(BODY).encode())
    assert reply.status == 201
    (item,) = reply.payload["data"]
    listed = api.list_campaigns(DEFAULT_TOKEN, LIST)
    assert (listed.status, listed.payload["data"][0]["campaign_id"]) == (200, item["id_campaign"])


def test_core_refuses_a_list_that_overlaps_a_create():
    seen = []
    api = Api(State(Config(latency=1)), sleep=lambda _s: seen.append(api.list_campaigns(
        DEFAULT_TOKEN, LIST)))  # fmt: skip
    created = api.create(DEFAULT_TOKEN, CREATE, json.dumps(BODY).encode())
    assert created.status == 201
    assert [(r.status, r.payload["msg"]) for r in seen] == [
        (403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)")
    ]
    assert api.state.overlaps == 1
    assert api.list_campaigns(DEFAULT_TOKEN, LIST).status == 200  # the token is free again


def test_overlapping_list_request_is_refused_over_http(make_sandbox):
    box = make_sandbox(latency=1)
    release = threading.Event()
    box.api.sleep = lambda _s: release.wait(10)  # the create stays in flight until released
    answers = []
    creating = threading.Thread(target=lambda: answers.append(create(box.url).status_code))
    creating.start()
    _wait_for(box.state.busy)
    listed = requests.get(
        f"{box.url}/api/v2/information.php", params=LIST, headers=HEADERS, timeout=10
    )
    release.set()
    creating.join(10)
    assert (listed.status_code, listed.json()["msg"]) == (
        403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)")  # fmt: skip
    assert answers == [201]
    assert box.state.overlaps == 1
    assert not box.state.busy()


@pytest.mark.parametrize(
    ("fault", "starts", "ends"),
    [
        ("bom", b"\xef\xbb\xbf{", b"}"),
        ("whitespace", b"\n", b"\n"),
        ("php_notice", b"<br />\n<b>Notice</b>", b"}"),
        ("php_warning_after", b"{", b"<br />\n"),
    ],
)
def test_php_style_faults_wrap_a_readable_201(make_sandbox, fault, starts, ends):
    box = make_sandbox(faults={"A": [fault]})
    answer = create(box.url)
    assert answer.status_code == 201
    assert answer.content.startswith(starts) and answer.content.endswith(ends)
    ident = box.state.snapshot()["campaigns"][0]["campaign_id"]
    envelope = json.loads(
        answer.content[answer.content.index(b"{") : answer.content.rindex(b"}") + 1]
    )
    assert envelope["data"] == [{"id_campaign": ident, "name_campaign": "A"}]


def test_every_fault_is_described():
    assert {"bom", "whitespace", "php_notice", "php_warning_after", "bad_json", "no_id"} <= set(
        FAULTS
    )
    assert all(isinstance(text, str) and text for text in FAULTS.values())
