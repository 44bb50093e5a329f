"""The library's front door, without the command line."""

from pathlib import Path

from importer import job
from importer.send.sender import Policy, StopFlag

from .conftest import row, statuses, write_csv


def test_library_dry_run_needs_no_token_and_counts_rows(tmp_path):
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos", skill_id="x")])
    report = job.run(job.Settings(input=src, dry_run=True))
    assert report.counts["valid"] == 1 and report.counts["invalid"] == 1
    assert report.out == tmp_path / "c.check.xlsx"  # never a real run's results
    assert not report.all_succeeded


def test_ctrl_c_while_waiting_to_check_an_unclear_answer_leaves_it_for_resume(
    tmp_path, make_sandbox
):
    box = make_sandbox(faults={"Dos": ["error"]})
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    stop = StopFlag()
    said: list[str] = []

    def say(text: str) -> None:
        said.append(text)
        if text.startswith("waiting"):
            stop.set()  # as the signal handler would

    settings = job.Settings(input=Path(src), base_url=box.url, policy=Policy(reconcile_after=30))
    report = job.run(settings, token="sandbox-token", stop=stop, say=say)
    assert report.ended == "interrupted"
    assert statuses(report.out) == {2: "created", 3: "unknown"}
    assert said[0].startswith("waiting 30 s before checking 1 unclear outcome(s)")


def test_a_new_run_reads_the_campaign_list_once_before_sending(tmp_path, sandbox):
    import requests

    class Counting(requests.Session):
        lists = 0
        skills = 0

        def request(self, method, url, *args, **kwargs):
            api = (kwargs.get("params") or {}).get("api")
            Counting.lists += api == "campaigns"
            Counting.skills += api == "skills"
            return super().request(method, url, *args, **kwargs)

    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    settings = job.Settings(input=Path(src), base_url=sandbox.url)
    report = job.run(settings, token="sandbox-token", session=Counting())
    assert report.counts["created"] == 2
    # One read serves both the record of what existed before and skipping existing names.
    assert Counting.lists == 1
    assert Counting.skills == 1  # the live skills check, once


def test_a_resume_sends_the_row_in_flight_that_never_arrived_once_its_time_is_up(tmp_path, sandbox):
    """A run stopped at once (the second Ctrl-C) while its request for "Dos" was still
    on its way; the resume proves from the list that it never arrived, then sends it."""
    import requests

    from importer.send.sender import Clock

    now = [1000.0]
    events: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        events.append(("slept", seconds))
        now[0] += seconds

    clock = Clock(now=lambda: now[0], sleep=sleep)

    class Logged(requests.Session):
        cut_short = ""

        def request(self, method, url, *args, **kwargs):
            body = kwargs.get("data") or b""
            if Logged.cut_short and Logged.cut_short.encode() in body:
                raise KeyboardInterrupt  # before anything left: it never reaches the server
            if method == "POST":
                events.append(("create", now[0]))
            return super().request(method, url, *args, **kwargs)

    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres")])
    settings = job.Settings(input=Path(src), base_url=sandbox.url)
    Logged.cut_short = "Dos"
    first = job.run(settings, token="sandbox-token", session=Logged(), clock=clock)
    assert first.ended == "interrupted"
    assert statuses(first.out) == {2: "created", 3: "unknown", 4: "not_sent"}

    Logged.cut_short = ""
    events.clear()
    now[0] = 1010.0
    said: list[str] = []
    settings.resume = True
    resumed = job.run(
        settings, token="sandbox-token", session=Logged(), clock=clock, say=said.append
    )
    assert resumed.ended == "done" and resumed.retry is None
    assert statuses(resumed.out) == {2: "created", 3: "created", 4: "created"}
    assert sandbox.state.created_names() == {"Uno": 1, "Dos": 1, "Tres": 1}
    # Nothing left before the server's 60 s for the call in flight had passed.
    first_create = next(at for kind, at in events if kind == "create")
    assert first_create >= 1000.0 + 60
    assert (
        "1 row was sent before the run stopped but never reached wolkvox (the campaign list "
        "does not show it); it is sent now"
    ) in said


def _fake_clock():
    """A clock whose sleeps only move its time on; pauses at their nominal length."""
    import random

    from importer.send.sender import Clock

    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    class Middle(random.Random):
        def random(self) -> float:
            return 0.5

    return Clock(now=lambda: now[0], sleep=sleep, rng=Middle()), slept


def test_a_busy_token_or_maintenance_on_the_first_list_read_is_waited_out(tmp_path, make_sandbox):
    box = make_sandbox(faults={"*": ["campaigns:busy", "campaigns:maintenance"]})
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    clock, slept = _fake_clock()
    settings = job.Settings(input=Path(src), base_url=box.url, policy=Policy(first_delay=2))
    report = job.run(settings, token="sandbox-token", clock=clock)
    assert statuses(report.out) == {2: "created", 3: "created"}
    assert sum(slept) == 2 + 4 and box.state.create_calls == 2


def test_a_busy_token_or_maintenance_on_the_skills_list_read_is_waited_out(tmp_path, make_sandbox):
    box = make_sandbox(skills={"101": "Ventas"},
                       faults={"*": ["skills:busy", "skills:maintenance"]})  # fmt: skip
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos", skill_id="7")])
    clock, slept = _fake_clock()
    settings = job.Settings(input=Path(src), base_url=box.url, policy=Policy(first_delay=2))
    report = job.run(settings, token="sandbox-token", clock=clock)
    assert statuses(report.out) == {2: "created", 3: "invalid"}  # checked with the list
    assert sum(slept) == 2 + 4 and box.state.create_calls == 1


def test_a_list_busy_past_retry_for_stops_before_sending_and_says_how_long(tmp_path, make_sandbox):
    box = make_sandbox(faults={"*": ["campaigns:busy"] * 20})
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    clock, _slept = _fake_clock()
    policy = Policy(first_delay=2, retry_for=10)
    report = job.run(
        job.Settings(input=Path(src), base_url=box.url, policy=policy),
        token="sandbox-token", clock=clock,
    )  # fmt: skip
    assert report.ended == "busy" and box.state.create_calls == 0
    assert statuses(report.out) == {2: "not_sent"}
    assert "still so after 6 s of retries (--retry-for 10)" in report.ended_message


def test_a_busy_list_while_settling_an_unclear_row_is_waited_out(tmp_path, make_sandbox):
    box = make_sandbox(faults={"Dos": ["error_created"]})
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    clock, _slept = _fake_clock()

    def say(text: str) -> None:
        if text.startswith("waiting"):  # the check comes next: make the list busy for it
            box.state.config.faults["*"] = ["campaigns:maintenance", "campaigns:busy"]

    policy = Policy(first_delay=2, reconcile_after=30)
    settings = job.Settings(input=Path(src), base_url=box.url, policy=policy)
    report = job.run(settings, token="sandbox-token", clock=clock, say=say)
    assert box.state.config.faults["*"] == []  # both faults were met
    assert statuses(report.out) == {2: "created", 3: "created"}
    assert box.state.create_calls == 2


def test_a_run_of_an_older_versions_encoding_guess_still_resumes_and_reports(
    tmp_path, make_sandbox, monkeypatch
):
    """Older versions guessed the encoding of a CSV that is not UTF-8, and could take a
    Spanish Windows file for cp850; their journals keep the rows as read so."""
    from importer.read import csvfile

    box = make_sandbox()
    src = tmp_path / "c.csv"
    text = "campaign_name,type_campaign,skill_id\r\nCobro señor Muñoz,preview,101\r\n"
    text += "Dos,preview,101\r\n"
    src.write_bytes(text.encode("cp1252"))
    guessed = csvfile.decode
    monkeypatch.setattr(
        csvfile, "decode", lambda data, name, encoding=None: guessed(data, name, "cp850")
    )
    stop = StopFlag()
    first = job.run(
        job.Settings(input=src, base_url=box.url), token="sandbox-token", stop=stop,
        known=lambda rows: stop.set(),  # stopped before its first row: an unfinished run
    )  # fmt: skip
    assert first.ended == "interrupted"
    # this version: Windows-1252, no guess (not monkeypatch.undo(), which would also undo
    # the test's own lock folder and share the machine's)
    monkeypatch.setattr(csvfile, "decode", guessed)

    resumed = job.run(job.Settings(input=src, base_url=box.url, resume=True), token="sandbox-token")
    assert statuses(resumed.out) == {2: "created", 3: "created"}
    assert sorted(box.state.created_names()) == ["Cobro se±or Mu±oz", "Dos"]  # as that run read it
    (resumed.out).unlink()
    assert statuses(job.rebuild(resumed.out).out) == {2: "created", 3: "created"}


def test_unknown_skill_ids_are_row_problems_from_the_live_skills_list(tmp_path, make_sandbox):
    box = make_sandbox(skills={"0042": "Cobranza", "101": "Ventas"})
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos", skill_id="42")])
    report = job.run(job.Settings(input=Path(src), base_url=box.url), token="sandbox-token")
    assert statuses(report.out) == {2: "created", 3: "invalid"}
    (problem,) = report.problems
    assert "nearest known: 0042 (Cobranza)" in problem.message
    assert box.state.create_calls == 1  # the row with an unknown skill was never sent


def test_the_skills_list_read_is_pinned_in_the_journal_for_report_and_resume(
    tmp_path, make_sandbox
):
    from importer.send.journal import journal_path, read

    box = make_sandbox(skills={"101": "Ventas"}, quota=3)  # skills, list, one row
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres", skill_id="7")])
    settings = job.Settings(input=Path(src), base_url=box.url)
    first = job.run(settings, token="sandbox-token")
    assert first.ended == "quota"
    out = first.out
    assert read(journal_path(out)).header["options"]["skills_list"] == {"101": "Ventas"}
    box.state.config.skills = {"101": "Ventas", "7": "Nuevo"}  # the operation changed since
    box.state.config.quota = None
    again = job.run(job.Settings(input=Path(src), base_url=box.url, resume=True),
                    token="sandbox-token")  # fmt: skip
    assert statuses(again.out) == {2: "created", 3: "created", 4: "invalid"}  # as first checked
    out.unlink()
    job.rebuild(out)  # no network: the pinned list checks the rows
    assert statuses(out) == {2: "created", 3: "created", 4: "invalid"}


def test_rows_left_out_are_never_sent_and_a_resume_leaves_them_out_as_its_journal_says(
    tmp_path, sandbox
):
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres")])
    stop = StopFlag()

    class StopAfterOne:
        def sending(self, row: int, name: str) -> None:
            pass

        def row_done(self, row: int, status: str) -> None:
            stop.set()  # as the Stop button would, after the first row

        def close(self) -> None:
            pass

    settings = job.Settings(input=Path(src), base_url=sandbox.url, excluded=frozenset({3}))
    first = job.run(settings, token="sandbox-token", stop=stop, progress=lambda n: StopAfterOne())
    assert first.ended == "interrupted"
    assert statuses(first.out) == {2: "created", 3: "excluded", 4: "not_sent"}
    # resumed without being told: the journal keeps which rows were left out
    again = job.Settings(input=Path(src), base_url=sandbox.url, resume=True)
    report = job.run(again, token="sandbox-token")
    assert statuses(report.out) == {2: "created", 3: "excluded", 4: "created"}
    assert sorted(sandbox.state.created_names()) == ["Tres", "Uno"]


def test_ctrl_c_while_the_list_read_waits_out_a_busy_token_is_an_interrupted_run(
    tmp_path, make_sandbox
):
    from importer.send.sender import Clock

    box = make_sandbox(faults={"*": ["campaigns:busy"] * 3})
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    stop = StopFlag()
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        stop.set()  # Ctrl-C during the pause before the next read

    clock = Clock(now=lambda: now[0], sleep=sleep)
    settings = job.Settings(input=Path(src), base_url=box.url, policy=Policy(first_delay=2))
    report = job.run(settings, token="sandbox-token", clock=clock, stop=stop)
    assert report.ended == "interrupted" and box.state.create_calls == 0
    assert report.ended_message == "not sent: the run was interrupted"
    assert statuses(report.out) == {2: "not_sent"}
    box.state.config.faults["*"] = []
    resumed = job.run(job.Settings(input=Path(src), base_url=box.url, resume=True),
                      token="sandbox-token")  # fmt: skip
    assert statuses(resumed.out) == {2: "created"}


def test_a_connection_reset_while_reading_the_list_says_a_read_failed_not_a_create(
    tmp_path, make_sandbox
):
    box = make_sandbox(faults={"*": ["campaigns:reset_after"]})
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    report = job.run(job.Settings(input=Path(src), base_url=box.url), token="sandbox-token")
    assert report.ended == "list" and box.state.create_calls == 0
    message = report.ended_message
    assert message.startswith(
        "not sent: the campaign list could not be read: the connection was reset or closed "
        "before the server answered (error: "
    )
    assert message.endswith(
        "). Nothing was sent; run the same command again later. If this keeps happening, "
        "check the server address, or run with --no-skip-existing to send without this check."
    )
    assert "may or may not exist" not in message


def test_an_html_error_page_on_the_list_read_names_its_status_once(tmp_path, make_sandbox):
    box = make_sandbox(faults={"*": ["campaigns:html"] * 50})
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    settings = job.Settings(input=Path(src), base_url=box.url, policy=Policy(retry_for=0))
    report = job.run(settings, token="sandbox-token")
    assert "HTTP 502 Service unavailable" in report.ended_message
    assert "502 502" not in report.ended_message
