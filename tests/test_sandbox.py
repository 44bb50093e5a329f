"""The stand-in server follows the contract: its core called directly, and over real HTTP."""

import json
import threading
import time

import pytest
import requests

from importer.sandbox.server import (
    CALLS,
    DEFAULT_TOKEN,
    FAULTS,
    Api,
    Call,
    Config,
    State,
    parse_fault,
)

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
        ({"campaign_name": ["A"], "skill_id": "101"}, "preview"),
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


# --- add_record, start/stop, delete_campaign, skills, token_info --------------------------

CAMPAIGN = "/api/v2/campaign.php"
INFORMATION = "/api/v2/information.php"
PREDICTIVE = {**BODY, "start_time": "080000", "end_time": "180000"}


def record(n, **values):
    return {"customer_id": f"C{n}", "customer_name": f"Name {n}", "tel1": "3001234567", **values}


def new_campaign(url, name="A", kind="preview"):
    body = {**(PREDICTIVE if kind == "predictive" else BODY), "campaign_name": name}
    answer = create(url, body, kind=kind)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"][0]["id_campaign"]


def add_records(url, ident, records, kind="preview", timeout=30, **params):
    return requests.post(
        f"{url}{CAMPAIGN}",
        params={"api": "add_record", "type_campaign": kind, "campaign_id": ident, **params},
        data=json.dumps(records),
        headers=HEADERS,
        timeout=timeout,
    )


def start_stop(url, api, ident, **params):
    return requests.put(
        f"{url}{CAMPAIGN}",
        params={"api": api, "campaign_id": ident, **params},
        headers=HEADERS,
        timeout=10,
    )


def delete(url, ident=None, ids=None):
    params = {"api": "delete_campaign", **({"campaign_id": ident} if ident else {})}
    data = json.dumps({"campaign_ids": ids}) if ids is not None else None
    return requests.delete(
        f"{url}{CAMPAIGN}", params=params, data=data, headers=HEADERS, timeout=10
    )


def information(url, api):
    return requests.get(f"{url}{INFORMATION}", params={"api": api}, headers=HEADERS, timeout=10)


def listed(url):
    answer = information(url, "campaigns")
    assert answer.status_code == 200
    return {c["campaign_id"]: c for c in answer.json()["data"]}


def test_add_record_answers_201_with_a_string_code_and_the_count_grows(sandbox):
    ident = new_campaign(sandbox.url)
    answer = add_records(sandbox.url, ident, [record(1), record(2), record(3)])
    assert answer.status_code == 201
    assert answer.json() == {
        "code": "201", "error": None, "msg": "All records has been added successfully",
        "data": [{"total_registers": "3"}],
    }  # fmt: skip
    assert add_records(sandbox.url, ident, [record(4)]).json()["data"] == [
        {"total_registers": "1"}]  # fmt: skip
    campaign = listed(sandbox.url)[ident]
    assert (campaign["records"], campaign["status"]) == ("4", "Stopped")
    assert campaign["last_use"]
    assert all(isinstance(v, str) for v in campaign.values())
    assert sandbox.state.customers() == {"A": {"C1": 1, "C2": 1, "C3": 1, "C4": 1}}
    assert [b["records"] for b in sandbox.state.snapshot()["batches"]] == ["3", "1"]


def test_records_can_be_read_back_over_http(sandbox):
    ident = new_campaign(sandbox.url)
    add_records(sandbox.url, ident, [record(1, opt1="x")])
    shown = requests.get(
        f"{sandbox.url}/_sandbox/records", params={"campaign_id": ident}, timeout=10
    ).json()
    assert shown == {"campaign_id": ident, "records": [record(1, opt1="x")]}


def test_a_body_of_more_than_10000_records_is_refused_whole(sandbox):
    ident = new_campaign(sandbox.url)
    answer = add_records(sandbox.url, ident, [record(n) for n in range(10_001)])
    assert (answer.status_code, answer.json()["msg"]) == (
        400, "EXCEEDS THE LIMIT OF 10000 RECORDS PER REQUEST")  # fmt: skip
    assert listed(sandbox.url)[ident]["records"] == "0"
    assert add_records(sandbox.url, ident, [record(n) for n in range(10_000)]).status_code == 201
    assert listed(sandbox.url)[ident]["records"] == "10000"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"tel1": 3001234567}, "SOME PARAMETERS ARE REQUIRED"),
        ({"tel1": ""}, "SOME PARAMETERS ARE REQUIRED"),
        ({"recall_date": "2026-12-01"}, "SOME PARAMETERS ARE REQUIRED"),
        ({"phone": "3001234567"}, "UNKNOWN FIELD PHONE"),
        ({"opt6": "x" * 101}, "OPT6 EXCEEDS 100 CHARACTERS"),
        ({"opt7": "x" * 201}, "OPT7 EXCEEDS 200 CHARACTERS"),
    ],
)
def test_one_bad_record_refuses_the_whole_batch(sandbox, bad, message):
    ident = new_campaign(sandbox.url)
    answer = add_records(sandbox.url, ident, [record(1), record(2, **bad)])
    assert (answer.status_code, answer.json()["msg"]) == (400, message)
    assert listed(sandbox.url)[ident]["records"] == "0"
    assert sandbox.state.records_of(ident) == []


def test_records_at_the_length_limits_and_with_any_phone_are_taken(sandbox):
    ident = new_campaign(sandbox.url)
    fine = {"tel1": "", "tel_extra": "6012345678", "opt6": "x" * 100, "opt12": "y" * 200,
            "recall_date": "20261201080000"}  # fmt: skip
    assert add_records(sandbox.url, ident, [record(1, **fine)]).status_code == 201


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"type_campaign": "other"}, [record(1)]),
        ({"campaign_id": ""}, [record(1)]),
        ({"campaign_status": "go"}, [record(1)]),
        ({}, []),
        ({}, {"customer_id": "1", "tel1": "3001234567"}),
        ({}, "not json"),
    ],
)
def test_add_record_without_what_it_needs_is_a_400(sandbox, params, body):
    ident = new_campaign(sandbox.url)
    query = {"api": "add_record", "type_campaign": "preview", "campaign_id": ident, **params}
    data = body if isinstance(body, str) else json.dumps(body)
    answer = requests.post(
        f"{sandbox.url}{CAMPAIGN}", params=query, data=data, headers=HEADERS, timeout=10
    )
    assert (answer.status_code, answer.json()["msg"]) == (400, "SOME PARAMETERS ARE REQUIRED")


def test_add_record_refuses_an_unknown_campaign_and_the_wrong_type(sandbox):
    preview = new_campaign(sandbox.url)
    answer = add_records(sandbox.url, "999999", [record(1)])
    assert (answer.status_code, answer.json()["msg"]) == (400, "CAMPAIGN ID NOT FOUND")
    answer = add_records(sandbox.url, preview, [record(1)], kind="predictive")
    assert (answer.status_code, answer.json()["msg"]) == (
        400, "TYPE_CAMPAIGN DOES NOT MATCH THE CAMPAIGN")  # fmt: skip
    assert sandbox.state.customers() == {"A": {}}


def test_agent_id_only_for_preview(sandbox):
    preview = new_campaign(sandbox.url, "P")
    predictive = new_campaign(sandbox.url, "D", kind="predictive")
    assert add_records(sandbox.url, preview, [record(1, agent_id="7")]).status_code == 201
    answer = add_records(sandbox.url, predictive, [record(1, agent_id="7")], kind="predictive")
    assert (answer.status_code, answer.json()["msg"]) == (
        400, "AGENT_ID IS ONLY FOR PREVIEW CAMPAIGNS")  # fmt: skip


def test_campaign_status_start_starts_a_predictive_campaign_only(sandbox):
    predictive = new_campaign(sandbox.url, "D", kind="predictive")
    preview = new_campaign(sandbox.url, "P")
    add = add_records(sandbox.url, predictive, [record(1)], "predictive", campaign_status="stop")
    assert add.status_code == 201
    assert listed(sandbox.url)[predictive]["status"] == "Stopped"
    add_records(sandbox.url, predictive, [record(2)], "predictive", campaign_status="start")
    add_records(sandbox.url, preview, [record(1)], campaign_status="start")
    campaigns = listed(sandbox.url)
    assert (campaigns[predictive]["status"], campaigns[predictive]["records"]) == ("Started", "2")
    assert campaigns[preview]["status"] == "Stopped"


@pytest.mark.parametrize("with_type", [True, False])
def test_start_and_stop_answer_202_and_show_in_the_list(sandbox, with_type):
    ident = new_campaign(sandbox.url, kind="predictive")
    extra = {"type_campaign": "predictive"} if with_type else {}
    started = start_stop(sandbox.url, "start", ident, **extra)
    assert (started.status_code, started.json()["code"]) == (202, 202)
    campaign = listed(sandbox.url)[ident]
    assert (campaign["status"], bool(campaign["last_use"])) == ("Started", True)
    assert start_stop(sandbox.url, "stop", ident, **extra).status_code == 202
    assert listed(sandbox.url)[ident]["status"] == "Stopped"


def test_start_refuses_an_unknown_campaign_and_the_wrong_type(sandbox):
    ident = new_campaign(sandbox.url)
    answer = start_stop(sandbox.url, "start", "999999")
    assert (answer.status_code, answer.json()["msg"]) == (400, "CAMPAIGN ID NOT FOUND")
    answer = start_stop(sandbox.url, "start", ident, type_campaign="predictive")
    assert (answer.status_code, answer.json()["msg"]) == (
        400, "TYPE_CAMPAIGN DOES NOT MATCH THE CAMPAIGN")  # fmt: skip
    assert listed(sandbox.url)[ident]["status"] == "Stopped"


def test_start_and_stop_are_puts(sandbox):
    ident = new_campaign(sandbox.url)
    answer = requests.get(
        f"{sandbox.url}{CAMPAIGN}",
        params={"api": "start", "campaign_id": ident},
        headers=HEADERS,
        timeout=10,
    )
    assert (answer.status_code, answer.json()["msg"]) == (400, NO_API_MSG)


NO_API_MSG = "THE API YOU WANT TO CONSULT DOES NOT EXIST"


def test_delete_one_campaign_by_its_id(sandbox):
    keep, gone = new_campaign(sandbox.url, "Keep"), new_campaign(sandbox.url, "Gone")
    add_records(sandbox.url, gone, [record(1)])
    answer = delete(sandbox.url, gone)
    assert (answer.status_code, answer.json()["msg"]) == (
        200, "1 campaigns deleted successfully. 0 operations failed.")  # fmt: skip
    assert list(listed(sandbox.url)) == [keep]
    assert sandbox.state.records_of(gone) == []
    assert sandbox.state.snapshot()["deleted"] == [gone]
    assert add_records(sandbox.url, gone, [record(2)]).json()["msg"] == "CAMPAIGN ID NOT FOUND"


def test_delete_several_and_ids_not_found_are_failed_operations(sandbox):
    one, two, three = (new_campaign(sandbox.url, name) for name in ("1", "2", "3"))
    answer = delete(sandbox.url, ids=[one, "999999", three])
    assert (answer.status_code, answer.json()["msg"]) == (
        200, "2 campaigns deleted successfully. 1 operations failed.")  # fmt: skip
    assert list(listed(sandbox.url)) == [two]
    again = delete(sandbox.url, one)  # a second delete of the same id finds nothing
    assert again.json()["msg"] == "0 campaigns deleted successfully. 1 operations failed."
    assert sandbox.state.snapshot()["deleted"] == [one, three]


@pytest.mark.parametrize("ids", [None, [], [1001], "1001"])
def test_delete_without_ids_is_a_400(sandbox, ids):
    new_campaign(sandbox.url)
    data = None if ids is None else json.dumps({"campaign_ids": ids})
    answer = requests.delete(
        f"{sandbox.url}{CAMPAIGN}",
        params={"api": "delete_campaign"},
        data=data,
        headers=HEADERS,
        timeout=10,
    )
    assert (answer.status_code, answer.json()["msg"]) == (400, "SOME PARAMETERS ARE REQUIRED")
    assert len(listed(sandbox.url)) == 1


def test_skills_are_the_demo_operations_or_those_given(make_sandbox, tmp_path):
    from importer.read.load import load_skills
    from importer.sandbox.server import DEMO_SKILLS

    demo = information(make_sandbox().url, "skills").json()
    assert (demo["code"], demo["error"]) == (200, None)
    assert {s["skill_id"] for s in demo["data"]} == DEMO_SKILLS
    assert {"skill_id": "0042", "skill_name": "Soporte"} in demo["data"]
    skills = tmp_path / "skills.csv"
    skills.write_text("skill_id;skill_name\n101;Cobranza\n7;Ventas\n", encoding="utf-8")
    box = make_sandbox(skills=load_skills(skills))
    assert information(box.url, "skills").json()["data"] == [
        {"skill_id": "101", "skill_name": "Cobranza"},
        {"skill_id": "7", "skill_name": "Ventas"},
    ]
    assert create(box.url, {**BODY, "skill_id": "102"}).json()["msg"] == "SKILL ID NOT FOUND"


def test_token_info_counts_every_call_itself_included(make_sandbox):
    box = make_sandbox(quota=50)
    first = information(box.url, "token_info").json()
    assert first["data"] == [{"token_limit": "50", "token_use_today": "1"}]
    ident = new_campaign(box.url)
    add_records(box.url, ident, [record(1)])
    start_stop(box.url, "start", ident)
    listed(box.url)
    information(box.url, "skills")
    delete(box.url, ident)
    assert information(box.url, "token_info").json()["data"][0]["token_use_today"] == "8"


def test_token_info_without_a_quota_reports_the_licences_limit(sandbox):
    data = information(sandbox.url, "token_info").json()["data"]
    assert data == [{"token_limit": "1000", "token_use_today": "1"}]


def test_the_quota_counts_every_kind_of_call(make_sandbox):
    box = make_sandbox(quota=3)
    ident = new_campaign(box.url)
    assert listed(box.url)
    assert add_records(box.url, ident, [record(1)]).status_code == 201
    for answer in (
        add_records(box.url, ident, [record(2)]),
        start_stop(box.url, "start", ident),
        information(box.url, "token_info"),
        information(box.url, "campaigns"),
    ):
        assert (answer.status_code, answer.json()["msg"]) == (403, "TOKEN LIMIT EXCEEDED")
    assert box.state.customers() == {"A": {"C1": 1}}


def test_the_day_quota_starts_again_the_next_day():
    from datetime import datetime

    today = [datetime(2026, 5, 4, 23, 59)]
    api = Api(State(Config(quota=1)), now=lambda: today[0])
    info = {"api": "token_info"}
    assert api.call(Call.TOKEN_INFO, DEFAULT_TOKEN, info, b"").status == 200
    assert api.call(Call.TOKEN_INFO, DEFAULT_TOKEN, info, b"").payload["msg"] == (
        "TOKEN LIMIT EXCEEDED")  # fmt: skip
    today[0] = datetime(2026, 5, 5, 0, 0)
    reply = api.call(Call.TOKEN_INFO, DEFAULT_TOKEN, info, b"")
    assert reply.payload["data"] == [{"token_limit": "1", "token_use_today": "1"}]


def test_last_use_follows_the_clock_when_records_are_added_or_the_campaign_starts():
    from datetime import datetime

    clock = [datetime(2026, 5, 4, 9, 30)]
    api = Api(State(Config()), now=lambda: clock[0])
    ident = api.create(DEFAULT_TOKEN, CREATE, json.dumps(BODY).encode()).payload["data"][0][
        "id_campaign"]  # fmt: skip
    last_use = lambda: api.list_campaigns(DEFAULT_TOKEN, LIST).payload["data"][0]["last_use"]  # noqa: E731
    assert last_use() == ""
    query = {"api": "add_record", "type_campaign": "preview", "campaign_id": ident}
    assert api.call(Call.ADD_RECORD, DEFAULT_TOKEN, query, json.dumps([record(1)]).encode())
    assert last_use() == "2026-05-04 09:30:00"
    clock[0] = datetime(2026, 5, 4, 11, 0, 5)
    api.call(Call.STOP, DEFAULT_TOKEN, {"api": "stop", "campaign_id": ident}, b"")
    assert last_use() == "2026-05-04 09:30:00"  # stopping is not a use
    api.call(Call.START, DEFAULT_TOKEN, {"api": "start", "campaign_id": ident}, b"")
    assert last_use() == "2026-05-04 11:00:05"


@pytest.mark.parametrize("amd", ["COL", "MEX", "", None])
def test_create_takes_an_optional_amd_country(sandbox, amd):
    body = {**BODY} if amd is None else {**BODY, "amd": amd}
    answer = create(sandbox.url, body)
    assert answer.status_code == 201
    (campaign,) = listed(sandbox.url).values()
    assert campaign["amd"] == (amd or "")


@pytest.mark.parametrize("amd", ["BRA", "col", "Colombia"])
def test_create_refuses_an_amd_outside_the_list(sandbox, amd):
    answer = create(sandbox.url, {**BODY, "amd": amd})
    assert (answer.status_code, answer.json()["msg"]) == (400, "AMD COUNTRY NOT VALID")
    assert sandbox.state.created_names() == {}


# --- faults per kind of call --------------------------------------------------------------


def test_an_add_record_fault_leaves_the_create_alone_and_hits_the_batch(make_sandbox):
    box = make_sandbox(faults={"A": ["add_record:error_created"]})
    ident = new_campaign(box.url)
    answer = add_records(box.url, ident, [record(1), record(2)])
    assert answer.status_code == 500
    assert listed(box.url)[ident]["records"] == "2"  # added, then the server failed
    assert add_records(box.url, ident, [record(3)]).status_code == 201  # once only
    assert box.state.customers() == {"A": {"C1": 1, "C2": 1, "C3": 1}}


def test_a_create_fault_leaves_add_record_alone(make_sandbox):
    box = make_sandbox(faults={"A": ["add_record:busy", "error"]})
    assert create(box.url).status_code == 500  # the bare kind is for create
    ident = new_campaign(box.url)
    assert add_records(box.url, ident, [record(1)]).status_code == 403
    assert add_records(box.url, ident, [record(1)]).status_code == 201


@pytest.mark.parametrize(
    ("fault", "status", "added"),
    [
        ("required", 400, 0), ("busy", 403, 0), ("quota", 403, 0), ("maintenance", 403, 0),
        ("bad_token", 403, 0), ("no_api", 400, 0), ("error", 500, 0), ("html", 502, 0),
        ("error_created", 500, 1),
    ],
)  # fmt: skip
def test_refusals_on_add_record_add_nothing_and_the_rest_add(make_sandbox, fault, status, added):
    box = make_sandbox(faults={"A": [f"add_record:{fault}"]})
    ident = new_campaign(box.url)
    assert add_records(box.url, ident, [record(1)]).status_code == status
    assert listed(box.url)[ident]["records"] == str(added)


@pytest.mark.parametrize("fault", ["reset_before", "reset_after"])
def test_add_record_resets(make_sandbox, fault):
    box = make_sandbox(faults={"A": [f"add_record:{fault}"]})
    ident = new_campaign(box.url)
    with pytest.raises(requests.ConnectionError):
        add_records(box.url, ident, [record(1)])
    assert listed(box.url)[ident]["records"] == ("1" if fault == "reset_after" else "0")


def test_add_record_hang_adds_the_records_then_keeps_the_client_waiting(make_sandbox):
    box = make_sandbox(faults={"A": ["add_record:hang_created"]})
    ident = new_campaign(box.url)
    release = threading.Event()
    box.api.sleep = lambda _s: release.wait(10)
    failures = []

    def send():
        try:
            add_records(box.url, ident, [record(1), record(2)])
        except requests.ConnectionError as exc:
            failures.append(exc)

    sending = threading.Thread(target=send)
    sending.start()
    _wait_for(lambda: len(box.state.records_of(ident)) == 2)
    assert box.state.busy()  # the answer has not gone out: the call is still in flight
    release.set()
    sending.join(10)
    assert len(failures) == 1
    assert box.state.snapshot()["batches"] == [
        {"campaign_id": ident, "records": "2", "campaign_status": ""}]  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("no_id", lambda a: a.json()["data"] == []),
        ("old_spelling", lambda a: a.json()["code"] == 201),
        ("bad_json", lambda a: a.status_code == 201 and "total_registers" not in a.text),
        ("bom", lambda a: a.content.startswith(b"\xef\xbb\xbf{")),
        ("php_notice", lambda a: a.content.startswith(b"<br />")),
        ("php_warning_after", lambda a: b"total_registers" in a.content
         and a.content.endswith(b"<br />\n")),
    ],
)  # fmt: skip
def test_success_shapes_on_add_record_still_add(make_sandbox, fault, check):
    box = make_sandbox(faults={"A": [f"add_record:{fault}"]})
    ident = new_campaign(box.url)
    answer = add_records(box.url, ident, [record(1)])
    assert check(answer), answer.content
    assert listed(box.url)[ident]["records"] == "1"


def test_start_and_stop_faults(make_sandbox):
    box = make_sandbox(faults={"A": ["start:busy", "start:error_created", "stop:html"]})
    ident = new_campaign(box.url, kind="predictive")
    assert start_stop(box.url, "start", ident).status_code == 403
    assert listed(box.url)[ident]["status"] == "Stopped"
    assert start_stop(box.url, "start", ident).status_code == 500
    assert listed(box.url)[ident]["status"] == "Started"
    assert start_stop(box.url, "stop", ident).status_code == 502
    assert listed(box.url)[ident]["status"] == "Started"
    assert start_stop(box.url, "stop", ident).status_code == 202


def test_delete_faults_by_name_in_the_body(make_sandbox):
    box = make_sandbox(faults={"B": ["delete:reset_after"], "C": ["delete:error"]})
    one, two, three = (new_campaign(box.url, name) for name in "ABC")
    with pytest.raises(requests.ConnectionError):
        delete(box.url, ids=[one, two])
    assert list(listed(box.url)) == [three]  # deleted, then no answer
    assert delete(box.url, three).status_code == 500
    assert list(listed(box.url)) == [three]


def test_a_star_fault_hits_any_campaign_and_information_faults_any_name(make_sandbox):
    box = make_sandbox(faults={"*": ["add_record:busy"], "whatever": ["campaigns:error"]})
    ident = new_campaign(box.url, "Z")
    assert add_records(box.url, ident, [record(1)]).status_code == 403
    assert information(box.url, "campaigns").status_code == 500
    assert information(box.url, "campaigns").status_code == 200
    assert add_records(box.url, ident, [record(1)]).status_code == 201


@pytest.mark.parametrize("api", ["skills", "token_info"])
def test_information_faults(make_sandbox, api):
    box = make_sandbox(faults={"*": [f"{api}:php_notice", f"{api}:maintenance"]})
    first = information(box.url, api)
    assert first.status_code == 200 and first.content.startswith(b"<br />")
    assert information(box.url, api).headers["Content-Type"] == "text/html"


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("Campaña X=error_created", ("Campaña X", "error_created")),
        ("a=b=add_record:hang_created", ("a=b", "add_record:hang_created")),
        ("*=delete:reset_after", ("*", "delete:reset_after")),
        ("x=token_info:error", ("x", "token_info:error")),
    ],
)
def test_fault_specs_are_read(spec, parsed):
    assert parse_fault(spec) == parsed


@pytest.mark.parametrize(
    "spec", ["=error", "A", "A=nope", "A=add_records:error", "A=start:no_id", "A=:error"]
)
def test_bad_fault_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_fault(spec)


def test_a_config_with_a_misspelt_fault_is_refused():
    with pytest.raises(ValueError):
        Config(faults={"A": ["add_record:eror"]})


def test_the_cli_refuses_a_bad_fault_naming_the_calls():
    from .conftest import run_cli

    result = run_cli("sandbox", "--port", "0", "--fault", "A=start:no_id")
    assert result.code == 2
    assert "write NAME=KIND or NAME=CALL:KIND, CALL one of create, add_record, start" in result.err


# --- one call at a time, whatever the call ------------------------------------------------


def _each_call(url, ident):
    """One call of every kind, as (name, answer)."""
    return {
        "create": lambda: create(url, {**BODY, "campaign_name": "other"}),
        "add_record": lambda: add_records(url, ident, [record(9)]),
        "start": lambda: start_stop(url, "start", ident),
        "stop": lambda: start_stop(url, "stop", ident),
        "delete": lambda: delete(url, ident),
        "campaigns": lambda: information(url, "campaigns"),
        "skills": lambda: information(url, "skills"),
        "token_info": lambda: information(url, "token_info"),
    }


def _while_in_flight(box, first, second):
    """Send ``second`` while ``first`` is held in flight; return both answers."""
    release = threading.Event()
    box.api.sleep = lambda _s: release.wait(10)  # the first call stays in flight until released
    answers = {}
    holding = threading.Thread(target=lambda: answers.setdefault("first", first()))
    holding.start()
    _wait_for(box.state.busy)
    answers["second"] = second()
    release.set()
    holding.join(10)
    return answers["first"], answers["second"]


@pytest.mark.parametrize("second", CALLS)
def test_every_kind_of_call_overlapping_a_batch_is_refused(make_sandbox, second):
    box = make_sandbox(latency=1)
    box.api.sleep = lambda _s: None
    ident = new_campaign(box.url)
    before = box.state.snapshot()
    first, answer = _while_in_flight(
        box, _each_call(box.url, ident)["add_record"], _each_call(box.url, ident)[second]
    )
    assert (answer.status_code, answer.json()["msg"]) == (403, BUSY_MSG)
    assert first.status_code == 201
    after = box.state.snapshot()
    assert [c["campaign_name"] for c in after["campaigns"]] == ["A"]  # nothing else done
    assert (after["campaigns"][0]["status"], after["deleted"]) == ("Stopped", [])
    assert len(after["batches"]) == len(before["batches"]) + 1
    assert after["overlaps"] == 1


@pytest.mark.parametrize("first", ["create", "start", "stop", "delete"])
def test_a_list_overlapping_any_change_is_refused(make_sandbox, first):
    box = make_sandbox(latency=1)
    box.api.sleep = lambda _s: None
    ident = new_campaign(box.url)
    calls = _each_call(box.url, ident)
    done, answer = _while_in_flight(box, calls[first], calls["campaigns"])
    assert (answer.status_code, answer.json()["msg"]) == (403, BUSY_MSG)
    assert done.status_code in {200, 201, 202}
    assert box.state.overlaps == 1


BUSY_MSG = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
