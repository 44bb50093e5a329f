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
