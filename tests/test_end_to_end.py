"""The real command line, as a child process, against the sandbox over HTTP on 127.0.0.1."""

import random
import signal
import time

import pytest

from importer.sandbox.server import DEMO_SKILLS
from importer.send.journal import journal_path, read

from .conftest import (
    ROOT,
    read_results,
    row,
    run_process,
    start_process,
    statuses,
    write_csv,
)

pytestmark = pytest.mark.slow


def names(n, prefix="Campaña"):
    return [row(f"{prefix} {i:03d}") for i in range(n)]


def test_sample_data_imports_with_one_row_whose_skill_the_operation_lacks(tmp_path, make_sandbox):
    box = make_sandbox(skills=DEMO_SKILLS)
    out = tmp_path / "sample.results.xlsx"
    done = run_process(
        "run", ROOT / "sample_data/campaigns.xlsx", "--base-url", box.url, "--out", out
    )
    assert done.returncode == 1, done.stderr
    assert "19 created, 1 invalid" in done.stdout
    assert (
        "row 21, skill_id '999': skill_id is not one of the operation's skills; nearest known: "
        "205 (Ventas 5), 204 (Ventas 4), 203 (Ventas 3)"
    ) in done.stdout  # from the skills list read before the run: never sent
    assert "Traceback" not in done.stderr
    assert set(box.state.created_names().values()) == {1}
    assert box.state.overlaps == 0


def test_rerunning_a_complete_import_creates_nothing(tmp_path, sandbox):
    src = write_csv(tmp_path / "c.csv", names(5))
    first = run_process("run", src, "--base-url", sandbox.url)
    assert first.returncode == 0, first.stderr
    again = run_process("run", src, "--base-url", sandbox.url)
    assert again.returncode == 0, again.stderr
    assert "5 exists" in again.stdout
    assert sandbox.state.create_calls == 5
    assert set(statuses(tmp_path / "c.results.xlsx").values()) == {"exists"}


# One test per answer of the contract's failure table, and the transport failures.
@pytest.mark.parametrize(
    ("fault", "status", "code", "message"),
    [
        ("required", "failed", 1, "(wolkvox: HTTP 400 SOME PARAMETERS ARE REQUIRED)"),
        ("busy", "created", 0, ""),
        ("maintenance", "created", 0, ""),
        ("quota", "not_sent", 3, "today's quota of wolkvox API calls is used up"),
        ("bad_token", "not_sent", 3, "wolkvox did not accept the token; check it"),
        ("no_api", "not_sent", 3, "wolkvox does not know this API address"),
        ("error", "failed", 1, "the campaign list does not show it; safe to send again"),
        ("error_created", "created", 0, "confirmed by the campaign list"),
        ("html", "failed", 1, "the campaign list does not show it"),
        ("bad_json", "created", 0, "its id comes from the campaign list"),
        ("no_id", "created", 0, "its id comes from the campaign list"),
        ("old_spelling", "created", 0, ""),
        ("bom", "created", 0, ""),
        ("whitespace", "created", 0, ""),
        ("php_notice", "created", 0, ""),
        ("php_warning_after", "created", 0, ""),
        ("hang_created", "created", 0, "confirmed by the campaign list"),
        ("reset_before", "failed", 1, "the campaign list does not show it"),
        ("reset_after", "created", 0, "confirmed by the campaign list"),
    ],
)
def test_each_contract_answer_over_http(tmp_path, make_sandbox, fault, status, code, message):
    box = make_sandbox(faults={"Campaña 001": [fault]}, hang=1.5)
    src = write_csv(tmp_path / "c.csv", names(3))
    done = run_process(
        "run", src, "--base-url", box.url, "--timeout", "0.5", "--reconcile-after", "0"
    )
    assert done.returncode == code, done.stdout + done.stderr
    result = {r["campaign_name"]: r for r in read_results(tmp_path / "c.results.xlsx")}
    assert result["Campaña 001"]["status"] == status
    assert message in (result["Campaña 001"]["message"] or "")
    if status == "created":  # every created row ends with its id, from the answer or the list
        assert str(result["Campaña 001"]["id_campaign"]).isdigit()
    assert max(box.state.created_names().values()) == 1  # never twice
    # The client gives up on a hung call after --timeout while the server is still at it;
    # the next row then meets the contract's "simultaneous requests" answer and is retried.
    assert box.state.overlaps == (1 if fault == "hang_created" else 0)
    if status == "created" and fault not in {"bad_json", "no_id"}:
        assert result["Campaña 001"]["id_campaign"]


def test_unreachable_host_stops_the_run_with_nothing_sent(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    src = write_csv(tmp_path / "c.csv", names(2))
    done = run_process("run", src, "--base-url", f"http://127.0.0.1:{port}", "--no-skip-existing")
    assert done.returncode == 3
    # refused at the first call, the campaign list: nothing was sent and nothing is written
    assert "could not connect to the server" in done.stderr
    assert "Nothing was sent and no file was written" in done.stderr
    assert not (tmp_path / "c.results.xlsx").exists()


def test_second_run_with_the_same_token_is_refused(tmp_path, make_sandbox):
    box = make_sandbox(latency=0.25)
    first_src = write_csv(tmp_path / "a.csv", names(20, "A"))
    second_src = write_csv(tmp_path / "b.csv", names(3, "B"))
    first = start_process("run", first_src, "--base-url", box.url, "--quiet")
    _wait_for(lambda: box.state.create_calls > 0)
    second = run_process("run", second_src, "--base-url", box.url)
    assert first.poll() is None, "the first run ended before the second tried: nothing was tested"
    first.communicate(timeout=60)
    assert second.returncode == 2
    assert f"another wolkvox-import (PID {first.pid}) is already using this token" in (
        second.stderr
    )
    assert first.returncode == 0
    assert box.state.overlaps == 0
    assert sum(box.state.created_names().values()) == 20


def test_ctrl_c_finishes_the_request_in_flight_then_resume_completes(tmp_path, make_sandbox):
    box = make_sandbox(latency=0.05)
    src = write_csv(tmp_path / "c.csv", names(60))
    child = start_process("run", src, "--base-url", box.url)
    _wait_for(lambda: box.state.create_calls >= 5)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "interrupted: run the same command with --resume to finish" in out
    partial = statuses(tmp_path / "c.results.xlsx")
    assert "unknown" not in partial.values()  # the request in flight was finished
    assert "not_sent" in partial.values()
    assert not read(journal_path(tmp_path / "c.results.xlsx")).finished

    refused = run_process("run", src, "--base-url", box.url)
    assert refused.returncode == 2
    assert "Run the same command with --resume to finish that run" in refused.stderr

    resumed = run_process("run", src, "--base-url", box.url, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert set(statuses(tmp_path / "c.results.xlsx").values()) == {"created"}
    assert set(box.state.created_names().values()) == {1}
    assert len(box.state.created_names()) == 60


def test_resume_refuses_an_edited_input_and_names_the_rows(tmp_path, make_sandbox):
    box = make_sandbox(faults={"Campaña 002": ["quota"]})
    src = write_csv(tmp_path / "c.csv", names(4))
    assert run_process("run", src, "--base-url", box.url).returncode == 3
    edited = names(4)
    edited[1]["skill_id"] = "999"
    write_csv(src, edited)
    done = run_process("run", src, "--base-url", box.url, "--resume")
    assert done.returncode == 2
    assert "c.csv changed since the run being resumed (rows 3)" in done.stderr


def test_resume_after_a_finished_quota_stop_sends_the_rest(tmp_path, make_sandbox):
    box = make_sandbox(faults={"Campaña 002": ["quota"]})
    src = write_csv(tmp_path / "c.csv", names(4))
    assert run_process("run", src, "--base-url", box.url).returncode == 3
    done = run_process("run", src, "--base-url", box.url, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(box.state.created_names().values()) == {1}
    assert len(box.state.created_names()) == 4


def test_resume_without_a_journal_is_a_usage_error(tmp_path, sandbox):
    src = write_csv(tmp_path / "c.csv", names(1))
    done = run_process("run", src, "--base-url", sandbox.url, "--resume")
    assert done.returncode == 2
    assert "nothing to resume: there is no journal at" in done.stderr


@pytest.mark.timeout(600)  # two dozen child processes: slow on a loaded machine, not stuck
def test_sigkill_at_many_moments_never_creates_twice_nor_loses_a_row(tmp_path, make_sandbox):
    """Kill the importer at 24 moments of one import, resuming after each."""
    box = make_sandbox(latency=0.02)
    rows = 80
    src = write_csv(tmp_path / "c.csv", [*names(rows), row("", skill_id="1")])
    out = tmp_path / "c.results.xlsx"
    base = ["run", src, "--base-url", box.url, "--quiet", "--reconcile-after", "0.2"]
    rng = random.Random(20261126)
    # Four kills during start-up (before or while the journal begins), twenty while
    # sending: after 1-3 more requests reached the server, plus a random part of one
    # request's 20 ms, so many land between sending a request and journaling its answer.
    moments = [("startup", 0.1 * i) for i in range(1, 5)]
    moments += [("sending", rng.randint(1, 3)) for _ in range(20)]
    rng.shuffle(moments)
    kills = []
    for kind, when in moments:
        resume = ["--resume"] if journal_path(out).exists() else []
        calls = box.state.create_calls
        child = start_process(*base, *resume, capture=False)
        if kind == "startup":
            time.sleep(when)
        else:
            target = calls + when
            _wait_for(lambda t=target, c=child: box.state.create_calls >= t or c.poll() is not None)
            time.sleep(rng.uniform(0, 0.02))
        if child.poll() is None:
            child.kill()
            kills.append((kind, when))
        child.wait()
    assert len(kills) >= 20, kills
    final = run_process(*base, "--resume")
    assert final.returncode in (0, 1), final.stdout + final.stderr
    seen = statuses(out)
    assert len(seen) == rows + 1  # every input row is accounted for
    assert seen[rows + 2] == "invalid"
    assert "unknown" not in seen.values()
    messages = [str(r["message"]) for r in read_results(out)]
    settled = sum("campaign list" in m for m in messages)
    print(f"kills: {len(kills)}; in-flight rows settled by the campaign list: {settled}")
    assert settled >= 5  # the dangerous moment (sent, answer not journaled) was hit often
    # Rows whose request never reached the server were checked against the campaign list
    # and sent by the resume: the import is complete, and only the invalid row is left.
    assert box.state.created_names() == {f"Campaña {i:03d}": 1 for i in range(rows)}
    assert box.state.overlaps == 0
    assert set(seen.values()) <= {"created", "exists", "invalid"}  # none left "failed"
    retry = out.with_name("c.results.retry.xlsx")
    again = run_process("run", retry, "--base-url", box.url, "--quiet")
    assert again.returncode == 1, again.stdout + again.stderr  # the invalid row stays invalid
    assert "1 invalid" in again.stdout
    assert box.state.created_names() == {f"Campaña {i:03d}": 1 for i in range(rows)}


def test_a_resume_after_kill_9_sends_the_row_that_never_arrived_exactly_once(
    tmp_path, make_sandbox
):
    """Killed while the server sat on a call it then dropped without creating anything
    (``reset_before``, slowed by the latency): the resume proves from the list that the
    row never arrived, and sends it itself."""
    box = make_sandbox(latency=0.4, faults={"Campaña 001": ["reset_before"]})
    src = write_csv(tmp_path / "c.csv", names(3))
    out = tmp_path / "c.results.xlsx"
    base = ["run", src, "--base-url", box.url, "--quiet", "--reconcile-after", "0"]
    child = start_process(*base, capture=False)
    _wait_for(lambda: box.state.create_calls >= 2 or child.poll() is not None)
    child.kill()  # while the server holds the call for "Campaña 001"
    child.wait(timeout=30)
    assert child.returncode < 0, "the run ended before it was killed: nothing was tested"
    _wait_for(lambda: not box.state.busy())  # the server has dropped that call
    assert box.state.created_names() == {"Campaña 000": 1}
    state = read(journal_path(out))
    assert 3 in state.attempted_at and 3 not in state.outcomes  # in flight when killed

    resumed = run_process(*base, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "1 row was sent before the run stopped but never reached wolkvox" in resumed.stderr
    assert box.state.created_names() == {f"Campaña {i:03d}": 1 for i in range(3)}
    assert box.state.overlaps == 0
    assert statuses(out) == {2: "created", 3: "created", 4: "created"}
    assert not out.with_name("c.results.retry.xlsx").exists()
    assert read(journal_path(out)).finished


def _lines_of(stream):
    """Collect a child's output lines in the background, for tests that wait on them."""
    import threading

    lines: list[str] = []

    def collect() -> None:
        for line in stream:
            lines.append(line)

    threading.Thread(target=collect, daemon=True).start()
    return lines


def _wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_second_signal_quits_at_once_and_resume_settles_the_row_in_flight(
    tmp_path, make_sandbox, sig
):
    box = make_sandbox(latency=1.5)
    src = write_csv(tmp_path / "c.csv", names(4))
    child = start_process("run", src, "--base-url", box.url, "--reconcile-after", "0")
    errors = _lines_of(child.stderr)
    _wait_for(lambda: box.state.create_calls >= 1)
    child.send_signal(sig)
    # The second signal only once the first has been handled: two signals sent back to
    # back can merge into one.
    _wait_for(lambda: any("press Ctrl-C again" in line for line in errors))
    child.send_signal(sig)
    out = child.stdout.read()
    child.wait(timeout=30)
    err = "".join(errors)
    assert child.returncode == 130, err
    assert "press Ctrl-C again to quit at once" in err
    assert "interrupted: run the same command with --resume to finish" in out
    seen = statuses(tmp_path / "c.results.xlsx")
    assert seen == {2: "unknown", 3: "not_sent", 4: "not_sent", 5: "not_sent"}
    # The abandoned call is still being served: checking before it ends would find nothing.
    _wait_for(lambda: box.state.created_names().get("Campaña 000") == 1)
    resumed = run_process("run", src, "--base-url", box.url, "--resume", "--reconcile-after", "0")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert box.state.created_names() == {f"Campaña {i:03d}": 1 for i in range(4)}
    (first,) = [r for r in read_results(tmp_path / "c.results.xlsx") if r["row"] == 2]
    assert first["message"] == "created: confirmed by the campaign list after an unclear answer"


def test_busy_token_past_the_retry_bound_stops_the_run(tmp_path, make_sandbox):
    box = make_sandbox(faults={"Campaña 000": ["busy"] * 5})
    src = write_csv(tmp_path / "c.csv", names(2))
    done = run_process("run", src, "--base-url", box.url, "--retry-for", "0.5")
    assert done.returncode == 3
    assert (
        "wolkvox says the token is busy with other requests; make sure nobody else is using it "
        "at the same time (wolkvox: HTTP 403 EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER "
        "TOKEN (2)); still so after 0 s of retries"
    ) in done.stdout
    assert set(statuses(tmp_path / "c.results.xlsx").values()) == {"not_sent"}
    assert box.state.created_names() == {}


def test_more_rows_than_the_daily_quota_are_warned_about(tmp_path, make_sandbox):
    box = make_sandbox(quota=2)  # the skills and campaign list read before sending; no row
    src = write_csv(tmp_path / "c.csv", [row(f"C{i}") for i in range(1001)])
    done = run_process("run", src, "--base-url", box.url)
    assert (
        "warning: 1001 rows to send, more than the 1000 API calls a licence may make per "
        "day" in done.stderr
    )
    assert done.returncode == 3
    assert "1001 not_sent" in done.stdout


def test_sandbox_started_with_a_skills_file_refuses_other_skills(tmp_path):
    import socket

    skills = tmp_path / "skills.csv"
    skills.write_text("skill_id\n101\n", encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = start_process("sandbox", "--port", port, "--skills", skills, token=None)
    try:
        assert "sandbox listening on" in box.stdout.readline()
        src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos", skill_id="102")])
        done = run_process("run", src, "--base-url", f"http://127.0.0.1:{port}")
        assert done.returncode == 1
        assert (  # its skills list says so before the run: the row is never sent
            "row 3, skill_id '102': skill_id is not one of the operation's skills; nearest "
            "known: 101"
        ) in done.stdout
        assert "1 created, 1 invalid" in done.stdout
    finally:
        box.terminate()
        box.wait(timeout=10)


def test_unclear_answers_in_a_row_stop_the_run_and_the_rest_goes_to_the_retry_file(
    tmp_path, make_sandbox
):
    first = [f"Campaña {i:03d}" for i in range(3)]
    box = make_sandbox(faults={n: ["error"] for n in first})
    src = write_csv(tmp_path / "c.csv", names(5))
    done = run_process("run", src, "--base-url", box.url, "--reconcile-after", "0")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "after 3 unclear answers in a row" in done.stdout
    result = statuses(tmp_path / "c.results.xlsx")
    assert [result[r] for r in (2, 3, 4)] == ["failed"] * 3  # settled by the list: not created
    assert [result[r] for r in (5, 6)] == ["not_sent"] * 2
    assert box.state.create_calls == 3
    retried = read_results(tmp_path / "c.results.xlsx")
    assert len(retried) == 5


def test_no_skip_existing_never_takes_an_older_campaign_for_this_rows(tmp_path, make_sandbox):
    box = make_sandbox(existing=["Campaña 001"], faults={"Campaña 001": ["error"]})
    src = write_csv(tmp_path / "c.csv", names(2))
    done = run_process(
        "run", src, "--base-url", box.url, "--no-skip-existing", "--reconcile-after", "0"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    result = {r["campaign_name"]: r for r in read_results(tmp_path / "c.results.xlsx")}
    assert result["Campaña 001"]["status"] == "failed"
    assert "safe to send again" in result["Campaña 001"]["message"]


def test_output_a_windows_console_cannot_show_never_ends_a_run(tmp_path, make_sandbox):
    import os
    import subprocess
    import sys

    box = make_sandbox(faults={"Campaña ✓ 北京": ["required"]})
    src = write_csv(tmp_path / "c.csv", [row("Campaña ✓ 北京"), row("Otra")])
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "WOLKVOX_TOKEN": "sandbox-token"}
    done = subprocess.run(
        [sys.executable, "-m", "importer", "run", src, "--base-url", box.url],
        capture_output=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr.decode("cp1252")
    assert "row 2 (Campaña ? ??): failed" in done.stdout.decode("cp1252")
