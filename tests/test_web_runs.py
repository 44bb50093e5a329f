"""Runs from the web page: Stop, resume (also after a restart), a second tab, the wait policy."""

from __future__ import annotations

from typing import Any

from importer.check import schema
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.web.config import Launch

from .conftest import row, write_csv
from .test_web import page_for, statuses


def test_stop_finishes_the_row_in_flight_and_resume_completes(tmp_path):
    rows = [row(f"R{i}") for i in range(6)]
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.15)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(write_csv(tmp_path / "r.csv", rows))
            page.post("/send")
            page.wait_for(lambda s: s["done"] >= 1)
            assert page.post("/stop").status_code == 200
            state = page.wait_run()
            assert 1 <= state["done"] < 6
            results = page.get("/results").text
            assert 'data-testid="resume"' in results and "not_sent" in results
            page.post("/resume")
            assert page.wait_run()["state"] == "finished"
            assert statuses(page.get("/results").text) == ["created"] * 6
        assert all(n == 1 for n in box.state.created_names().values())
        assert len(box.state.created_names()) == 6


def test_a_run_interrupted_before_a_restart_is_offered_and_resumed(tmp_path):
    work = tmp_path / "work"
    rows = [row(f"R{i}") for i in range(5)]
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(work, sandbox=box) as page:
            page.upload(write_csv(tmp_path / "r.csv", rows))
            page.post("/send")
            page.wait_for(lambda s: s["done"] >= 2)
            page.post("/stop")
            page.wait_run()
        with page_for(work, sandbox=box) as again:  # a new start on the same folder
            landing = again.get("/").text
            assert 'data-testid="resume"' in landing and "rows to send are done" in landing
            again.post("/resume")
            assert again.wait_run()["state"] == "finished"
            assert statuses(again.get("/results").text) == ["created"] * 5
            assert 'data-testid="resume"' not in again.get("/").text
        assert sorted(box.state.created_names().values()) == [1] * 5


def test_a_second_tab_sees_the_run_and_cannot_start_another(tmp_path):
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(write_csv(tmp_path / "r.csv", [row("A"), row("B"), row("C")]))
            page.post("/send")
            landing = page.get("/")
            assert landing.url.path == "/send" and 'data-testid="stop"' in landing.text
            page.post("/send")
            page.wait_run()
        assert box.state.snapshot()["create_calls"] == 3


def test_unclear_rows_are_checked_at_once_in_a_simulation_unless_told(tmp_path):
    def policy(**launch: Any) -> float:
        settings = Launch(
            workdir=tmp_path,
            base_url=None,
            options=schema.Options(),
            language="en",
            max_upload=1,
            **launch,
        ).settings(tmp_path / "in.xlsx", tmp_path / "out.xlsx", "http://127.0.0.1:1", resume=True)
        return settings.policy.reconcile_after

    assert policy(simulate=True) == 0.0
    assert policy(simulate=False) == 60.0
    assert policy(simulate=False, reconcile_after=2.5) == 2.5


def test_a_real_run_is_resumed_on_its_own_server_with_the_token_typed_again(tmp_path):
    work = tmp_path / "work"
    token = "tok-resume-1"
    with Sandbox(Config(tokens=frozenset({token}), latency=0.1)) as box:
        with page_for(work, simulate=False, base_url=box.url) as page:
            page.upload(write_csv(tmp_path / "r.csv", [row(f"R{i}") for i in range(5)]))
            page.post("/send", {"token": token})
            page.wait_for(lambda s: s["done"] >= 2)
            page.post("/stop")
            page.wait_run()
        with page_for(work, simulate=False) as again:  # started without --server this time
            landing = again.get("/").text
            assert 'data-testid="resume"' in landing and 'data-testid="token-input"' in landing
            refused = again.post("/resume", {"token": ""})
            assert refused.status_code == 400 and "Type the token" in refused.text
            assert 'data-testid="resume"' in refused.text
            again.post("/resume", {"token": token})
            assert again.wait_run()["state"] == "finished"
            assert statuses(again.get("/results").text) == ["created"] * 5
            assert token not in again.get("/results").text
        assert sorted(box.state.created_names().values()) == [1] * 5


def test_a_finished_run_whose_results_were_never_written_is_closed_before_another(tmp_path):
    import os

    from importer.send.journal import journal_path, read

    from .conftest import read_results, run_cli

    work = tmp_path / "work"
    with Sandbox(Config(skills=DEMO_SKILLS)) as box:
        for lost in ("missing", "older"):
            first = write_csv(tmp_path / f"{lost}.csv", [row(f"{lost} 1"), row("2", skill_id="x")])
            other = write_csv(tmp_path / f"other-{lost}.csv", [row(f"Otra {lost}")])
            with page_for(work, sandbox=box) as page:
                page.upload(first)
                page.post("/send")
                assert page.wait_run()["state"] == "finished"
            folder = max((work / "runs").iterdir(), key=lambda p: int(p.name))
            out = folder / "campaigns.results.xlsx"
            journal = journal_path(out)
            lines = journal.read_bytes()
            # what a crash between the journal's last line and the results leaves
            if lost == "missing":
                out.unlink()
            else:
                stamp = journal.stat().st_mtime_ns
                os.utime(out, ns=(stamp - 10**9, stamp - 10**9))
            with page_for(work, sandbox=box) as again:
                again.upload(other)
                refused = again.post("/send")
                assert refused.status_code == 409
                assert (
                    f"The run of {lost}.csv ended, but its results were not written. Close it"
                ) in refused.text
                assert 'data-testid="close-run"' in refused.text
                closed = again.post("/close")
                assert closed.url.path == "/results"
                assert statuses(closed.text) == ["created", "invalid"]
                assert [r["status"] for r in read_results(out)] == ["created", "invalid"]
                assert journal.read_bytes() == lines  # the journal, the truth, is left as it was
                assert read(journal).finished
                again.upload(other)
                again.post("/send")
                assert again.wait_run()["state"] == "finished"
            assert not out.stat().st_mtime_ns < journal.stat().st_mtime_ns
        assert sorted(box.state.created_names().values()) == [1] * 4  # each run's own, once
    # the command line's report writes them too
    out.unlink()
    report = run_cli("report", journal)
    assert report.code == 1  # one row invalid
    assert [r["status"] for r in read_results(out)] == ["created", "invalid"]


def test_a_campaign_list_that_cannot_be_read_keeps_send_on_screen_saying_why(tmp_path):
    # Read at the upload for the review, then again at Send: both fail, nothing is sent, and
    # the Send step says why instead of showing its form again with no word.
    faults = {"*": ["campaigns:error"] * 2}
    with Sandbox(Config(skills=DEMO_SKILLS, faults=faults)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(write_csv(tmp_path / "r.csv", [row("A"), row("B")]))
            sent = page.post("/send", follow_redirects=False)
            assert sent.status_code == 503
            assert "the campaign list could not be read: HTTP 500" in sent.text
        assert box.state.create_calls == 0
