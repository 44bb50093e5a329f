"""What answers mean: the table against the contract, PHP-style bodies, transport errors."""

import itertools
import json
import re

import pytest
import requests
import urllib3.exceptions as u3
from hypothesis import given, settings
from hypothesis import strategies as st

from importer import i18n
from importer.send.answers import (
    RULES,
    TRANSPORT,
    Answer,
    Body,
    Failure,
    Heard,
    Kind,
    classify,
    classify_exception,
    read_json,
    rule_for,
)
from importer.status import Ended

from .conftest import ROOT, read_results, row, run_cli, write_csv

DOCS = ROOT / "docs" / "wolkvox-api.md"
NOTICE = (
    "<br />\n<b>Notice</b>:  Undefined index: opt12 in <b>/var/www/html/api/v2/campaign.php"
    "</b> on line <b>12</b><br />\n"
)
WARNING = (
    "<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent in "
    "<b>/var/www/html/api/v2/campaign.php</b> on line <b>40</b><br />\n"
)
CREATED = json.dumps(
    {
        "code": 201,
        "error": None,
        "msg": "The # 55 has been created successfully",
        "data": [{"id_campaign": "55", "name_campaign": "Campaña"}],
    }
)


def _docs_table(heading: str) -> list[list[str]]:
    """The body rows of the first table under ``heading`` in docs/wolkvox-api.md."""
    section = DOCS.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    lines = iter(section.splitlines())
    next(line for line in lines if line.startswith("|"))  # the header row
    table = list(itertools.takewhile(lambda line: line.startswith("|"), lines))
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[1:]]


def test_answer_table_mirrors_the_contract_line_by_line():
    documented = _docs_table("Answers")
    assert len(documented) == len(RULES)
    for (http, words, body, kind, reason, _meaning, reads), rule in zip(
        documented, RULES, strict=True
    ):
        assert (http, kind, reason) == (rule.http, rule.kind, rule.reason), http
        assert all(word in words.upper() for word in rule.words), (http, words)
        assert body == ("" if rule.body is Body.ANY else rule.body), (http, body)
        assert reads == rule.message, http


def test_transport_table_mirrors_the_contract_line_by_line():
    documented = [
        (reached, kind, reason, reads)
        for _what, reached, kind, reason, reads in _docs_table("No answer")
    ]
    assert documented == [
        ("yes" if rule.reached else "no", rule.kind, rule.reason, rule.message)
        for rule in TRANSPORT
    ]
    assert [rule.failure for rule in TRANSPORT] == list(Failure)  # one line per failure


def test_only_a_failure_that_cannot_have_reached_the_server_stops_as_unreachable():
    for rule in TRANSPORT:
        if rule.reached:
            assert (rule.kind, rule.reason) == (Kind.UNKNOWN, ""), rule.failure
        else:
            assert (rule.kind, rule.reason) == (Kind.STOP, Ended.UNREACHABLE), rule.failure


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff" + CREATED,
        "\ufeff\n\n   " + CREATED + "\n \n",
        NOTICE + CREATED,
        NOTICE + NOTICE + "\ufeff" + CREATED,
        CREATED + WARNING,
        NOTICE + CREATED + "\n" + WARNING,
    ],
    ids=["bom", "bom-and-whitespace", "notice", "two-notices-and-bom", "warning-after", "both"],
)
def test_a_php_201_keeps_its_campaign_id(text):
    answer = classify(201, text)
    assert (answer.kind, answer.id_campaign) == (Kind.CREATED, "55")
    assert answer.message == (
        "created with id 55 (wolkvox: HTTP 201 The # 55 has been created successfully)"
    )
    assert (answer.sentence, answer.said) == (
        "created with id 55",
        "HTTP 201 The # 55 has been created successfully",
    )


def test_a_php_notice_does_not_hide_the_servers_refusal():
    quota = json.dumps(
        {"code": 403, "error": "TOKEN LIMIT EXCEEDED", "msg": "TOKEN LIMIT EXCEEDED"}
    )
    answer = classify(403, NOTICE * 3 + quota)
    assert (answer.kind, answer.reason) == (Kind.STOP, Ended.QUOTA)
    assert answer.message == (
        "today's quota of wolkvox API calls is used up; send the retry file another day "
        "(wolkvox: HTTP 403 TOKEN LIMIT EXCEEDED)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"code": 201, "msg": "The # campaign_id has been created', "answer could not be read"),
        (
            # cut short: the inner campaign object must not pass for the answer
            '{"code": 201, "data": [{"id_campaign": "9", "name_campaign": "A"}',
            "answer could not be read",
        ),
        (CREATED + CREATED.replace("55", "56"), "answer could not be read"),  # which one?
        (json.dumps({"code": 201, "msg": "ok", "data": []}), "answer carried no campaign id"),
    ],
    ids=["cut", "cut-with-inner-object", "two-answers", "no-id"],
)
def test_a_201_without_a_readable_id_is_created_and_says_the_list_will_tell(text, message):
    answer = classify(201, text)
    assert (answer.kind, answer.id_campaign) == (Kind.CREATED, "")
    assert answer.sentence.startswith("created; wolkvox's " + message)
    assert answer.sentence.endswith("will be taken from the campaign list")
    assert answer.message.startswith(answer.sentence + " (wolkvox: HTTP 201")


def test_campaign_list_is_read_through_php_noise_bare_or_enveloped():
    items = [{"campaign_id": "5", "campaign_name": "A"}]
    enveloped = json.dumps({"code": 200, "msg": "OK", "data": items})
    assert read_json(NOTICE + enveloped + WARNING, lists=True)["data"] == items
    assert read_json("\ufeff" + NOTICE + json.dumps(items), lists=True) == items
    assert read_json(NOTICE + "no list here", lists=True) is None


def test_a_proxy_asking_for_a_login_is_named_and_stops_the_run():
    answer = classify(407, "<html><title>Proxy login</title></html>", proxy="http://10.0.0.1:3128")
    assert (answer.kind, answer.reason) == (Kind.STOP, Ended.UNREACHABLE)
    assert answer.message.startswith(
        "the proxy http://10.0.0.1:3128 asks for a login and passed nothing on to wolkvox"
    )
    assert answer.message.endswith("(proxy: HTTP 407 Proxy login)")


def test_messages_are_spanish_when_asked_and_keep_the_servers_words():
    body = json.dumps({"code": 403, "msg": "TOKEN LIMIT EXCEEDED"})
    with i18n.using("es"):
        answer = classify(403, body)
    assert "cuota" in answer.sentence
    assert answer.message == f"{answer.sentence} (wolkvox: HTTP 403 TOKEN LIMIT EXCEEDED)"


def _aborted(cause: BaseException) -> requests.ConnectionError:
    """A requests error as requests builds it, with urllib3's error inside."""
    pool = u3.MaxRetryError(None, "/api/v2/campaign.php", cause)
    return requests.ConnectionError(pool)


@pytest.mark.parametrize(
    ("error", "kind", "reason", "message"),
    [
        (
            requests.exceptions.ProxyError(
                u3.MaxRetryError(
                    None,
                    "/",
                    u3.ProxyError(
                        "Unable to connect to proxy",
                        OSError("Tunnel connection failed: 407 Proxy Authentication Required"),
                    ),
                )
            ),
            Kind.STOP,
            Ended.UNREACHABLE,
            "could not get through the proxy http://10.0.0.1:3128 (407 Proxy Authentication "
            "Required); nothing reached wolkvox",
        ),
        (
            _aborted(u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))),
            Kind.UNKNOWN,
            "",
            "the connection closed before the server answered",
        ),
    ],
    ids=["proxy-407", "protocol-error"],
)
def test_transport_errors_are_classified_by_what_can_have_been_received(
    error, kind, reason, message
):
    answer = classify_exception(error, 5, proxy="http://10.0.0.1:3128")
    assert (answer.kind, answer.reason) == (kind, reason)
    assert answer.message.startswith(message)


def test_answer_kind_and_reason_are_enums_equal_to_their_strings():
    answer = Answer("retry", "busy", reason="busy")
    assert answer.kind is Kind.RETRY and answer.reason is Ended.BUSY
    assert (answer.kind, answer.reason) == ("retry", "busy")


# -- End to end: the CLI against the sandbox's PHP-style answers -------------------------


# (a 201 with whitespace alone was read before too: the sandbox tests cover that fault)
@pytest.mark.parametrize("fault", ["bom", "php_notice", "php_warning_after"])
def test_php_style_201_over_http_keeps_the_campaign_id(tmp_path, make_sandbox, fault, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(faults={"Dos": [fault]})
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres")])
    done = run_cli("run", src, "--base-url", box.url)
    assert done.code == 0, done.out + done.err
    listed = {c["campaign_name"]: c["campaign_id"] for c in box.state.snapshot()["campaigns"]}
    results = {r["campaign_name"]: r for r in read_results(tmp_path / "c.results.xlsx")}
    assert results["Dos"]["status"] == "created"
    assert results["Dos"]["id_campaign"] == listed["Dos"]
    assert re.fullmatch(
        r"created with id (\d+) \(wolkvox: HTTP 201 The # \1 has been created successfully\)",
        results["Dos"]["message"],
    )


# -- wolkvox's own words, beside a sentence in the person's language --------------------


def test_a_refused_skill_says_which_skill_and_what_to_do_in_both_languages():
    body = json.dumps({"code": 400, "error": "SKILL ID NOT FOUND", "msg": "SKILL ID NOT FOUND"})
    answer = classify(400, body, sent={"campaign_name": "A", "skill_id": "999"})
    assert answer.kind is Kind.FAILED
    assert answer.message == (
        "wolkvox did not find skill 999 in the operation; correct skill_id and send the row "
        "again (wolkvox: HTTP 400 SKILL ID NOT FOUND)"
    )
    with i18n.using("es"):
        answer = classify(400, body, sent={"skill_id": "999"})
    assert answer.message == (
        "wolkvox no encontró el skill 999 en la operación; corrija skill_id y envíe la fila de "
        "nuevo (wolkvox: HTTP 400 SKILL ID NOT FOUND)"
    )


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_says_to_check_it_never_to_skip_the_existence_check(status):
    body = json.dumps({"code": status, "msg": "PLEASE VALIDATE TOKEN"})
    for language, start in [
        ("en", "wolkvox did not accept the token; check it"),
        ("es", "wolkvox no aceptó el token; revíselo"),
    ]:
        with i18n.using(language):
            answer = classify(status, body)
        assert (answer.kind, answer.reason) == (Kind.STOP, Ended.TOKEN)
        assert answer.sentence.startswith(start)
        assert "--no-skip-existing" not in answer.message


def test_every_line_of_both_tables_has_its_own_sentence_in_spanish_too():
    for message in [rule.message for rule in RULES] + [rule.message for rule in TRANSPORT]:
        assert message
        with i18n.using("es"):
            spanish = i18n._(message)
        assert spanish != message, message  # Spanish, not the English again


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=999),
    words=st.text(max_size=60),
    skill=st.text(alphabet="0123456789", max_size=4),
    language=st.sampled_from(["en", "es"]),
)
def test_any_answer_reads_as_a_sentence_with_the_servers_words_beside_it(
    status, words, skill, language
):
    body = json.dumps({"code": status, "msg": words, "data": [{"id_campaign": "7"}]})
    with i18n.using(language):
        answer = classify(status, body, sent={"skill_id": skill})
    rule = rule_for(Heard.read(status, body))
    assert (answer.kind, answer.reason) == (rule.kind, rule.reason)
    assert answer.said == f"HTTP {status} {words}".strip()  # as received
    label = "proxy" if status == 407 else "wolkvox"
    assert answer.message == f"{answer.sentence} ({label}: {answer.said})"
    assert answer.sentence and not re.search(r"\{\w*\}", answer.sentence)  # all filled in


def test_launch_calls_are_read_with_their_own_success_and_sentences():
    from importer.send.answers import ADD_RECORD, START, classify_call

    added = classify_call(ADD_RECORD, 201, '{"code": "201", "msg": "All records has been added"}')
    assert added.kind is Kind.CREATED and added.message.startswith("added (wolkvox: HTTP 201")
    started = classify_call(START, 202, '{"code": 202, "msg": "started", "data": []}')
    assert started.kind is Kind.CREATED
    # A 202 to add_record is not its success: unclear, with the batch's own words.
    odd = classify_call(ADD_RECORD, 202, '{"code": 202}')
    assert odd.kind is Kind.UNKNOWN and "the batch may or may not have been added" in odd.message
    failed = classify_call(ADD_RECORD, 500, "oops")
    assert failed.kind is Kind.UNKNOWN and "record count" in failed.message
    refused = classify_call(ADD_RECORD, 400, '{"code": 400, "msg": "SOME PARAMETERS ARE REQUIRED"}')
    assert refused.kind is Kind.FAILED and "none of its records was added" in refused.message
    quota = classify_call(START, 403, '{"code": 403, "msg": "TOKEN LIMIT EXCEEDED"}')
    assert quota.kind is Kind.STOP and quota.reason == "quota"
