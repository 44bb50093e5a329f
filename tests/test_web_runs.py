"""Runs from the web page: Stop, resume (also after a restart), a second tab, the wait policy."""

from __future__ import annotations

from typing import Any

from importer import schema
from importer.sandbox import DEMO_SKILLS, Config, Sandbox
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
