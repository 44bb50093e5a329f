"""The library's front door, without the command line."""

from pathlib import Path

from importer import job
from importer.send import Policy, StopFlag

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

        def request(self, method, url, *args, **kwargs):
            Counting.lists += "information.php" in url
            return super().request(method, url, *args, **kwargs)

    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    settings = job.Settings(input=Path(src), base_url=sandbox.url)
    report = job.run(settings, token="sandbox-token", session=Counting())
    assert report.counts["created"] == 2
    # One read serves both the record of what existed before and skipping existing names.
    assert Counting.lists == 1


def test_a_resume_sends_the_row_in_flight_that_never_arrived_once_its_time_is_up(tmp_path, sandbox):
    """A run stopped at once (the second Ctrl-C) while its request for "Dos" was still
    on its way; the resume proves from the list that it never arrived, then sends it."""
    import requests

    from importer.send import Clock

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
