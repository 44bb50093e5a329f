"""The review checked against the operation: its skills list and campaign list, read once
when the page knows a server and a token, and the same list pinned for the run."""

from __future__ import annotations

from importer.sandbox.sandbox_core import DEMO_SKILL_NAMES, Call
from importer.sandbox.server import Config, Sandbox
from importer.send.journal import journal_path, read

from .conftest import row, write_csv
from .test_web import page_for, statuses


def _runs_journal(page) -> dict:
    run = page.ctx.runs.current
    assert run is not None
    return read(journal_path(run.out)).header["options"]


def test_a_simulation_checks_the_review_against_the_sandboxs_skills_and_names(tmp_path):
    with (
        Sandbox(Config(skills=DEMO_SKILL_NAMES, existing=["Ya Existe"])) as box,
        page_for(tmp_path / "work", sandbox=box) as page,
    ):
        sheet = [row("Nueva"), row("Ya existe"), row("Mal", skill_id="42")]
        page.upload(write_csv(tmp_path / "s.csv", sheet))
        review = page.get("/review").text
        assert "0042 (Soporte)" in review  # the unknown id offers the nearest known one
        assert 'data-testid="exists-3"' in review and 'data-testid="exists-2"' not in review
        assert "1 row is named like a campaign wolkvox has already" in review
        assert box.state.calls[Call.SKILLS] == 1 and box.state.calls[Call.CAMPAIGNS] == 1
        page.post("/send", {})
        assert page.wait_run()["state"] == "finished"
        assert statuses(page.get("/results").text) == ["created", "exists", "invalid"]
        # the run checked with the list the review showed, read once: pinned in its journal
        assert _runs_journal(page)["skills_list"] == dict(DEMO_SKILL_NAMES)
        assert box.state.calls[Call.SKILLS] == 1


def test_a_server_and_token_given_at_the_upload_check_the_review_and_are_kept_nowhere(
    tmp_path,
):
    token = "tok-live-upload-7"
    with Sandbox(Config(tokens=frozenset({token}), skills={"0042": "Soporte"})) as box:
        with page_for(tmp_path / "work", simulate=False) as page:
            assert 'data-testid="operation-token"' in page.get("/").text
            with open(write_csv(tmp_path / "u.csv", [row("Uno", skill_id="42")]), "rb") as fh:
                page.post("/upload", {"server": "", "token": token},
                          files={"file": ("u.csv", fh.read())})  # fmt: skip
            # no server given: nothing read, the review checks without the list
            assert box.state.calls[Call.SKILLS] == 0
            assert "0042" not in page.get("/review").text
        with page_for(tmp_path / "work2", simulate=False, base_url=box.url) as page:
            with open(tmp_path / "u.csv", "rb") as fh:
                page.post("/upload", {"token": token}, files={"file": ("u.csv", fh.read())})
            review = page.get("/review").text
            assert "0042 (Soporte)" in review and 'data-testid="operation"' in review
            assert all(token.encode() not in body for body in page.seen)
            files = [p for p in (tmp_path / "work2").rglob("*") if p.is_file()]
            assert all(token.encode() not in p.read_bytes() for p in files)
            assert page.ctx.workspace.operation is not None


def test_send_reads_the_lists_when_the_review_had_none_and_stops_if_they_mark_rows(tmp_path):
    token = "tok-live-send-3"
    with (
        Sandbox(Config(tokens=frozenset({token}), skills={"101": "Ventas"})) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno"), row("Dos", skill_id="7")]))
        assert page.ctx.workspace.operation is None  # no token known at the upload
        stopped = page.post("/send", {"token": token})
        assert stopped.status_code == 409
        assert "marks rows the review showed without problems" in stopped.text
        assert box.state.created_names() == {}
        assert "skill_id is not one of the operation" in page.get("/review").text
        # the review now shows the list: sending goes ahead, the list pinned
        page.post("/send", {"token": token})
        assert page.wait_run()["state"] == "finished"
        assert statuses(page.get("/results").text) == ["created", "invalid"]
        assert _runs_journal(page)["skills_list"] == {"101": "Ventas"}
        assert box.state.calls[Call.SKILLS] == 1


def test_a_token_refused_reading_the_lists_at_send_keeps_the_person_on_send(tmp_path):
    with (
        Sandbox(Config(tokens=frozenset({"the-right-one"}))) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno")]))
        refused = page.post("/send", {"token": "a-wrong-token"})
        assert refused.status_code == 400
        assert "did not accept the token" in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert box.state.created_names() == {}
        assert not list((tmp_path / "work" / "runs").glob("*/*.jsonl"))
