"""The page's history and its undo: the same listing and typed confirmation as the CLI."""

from __future__ import annotations

import dataclasses
import time

from importer.sandbox.server import Config, Sandbox
from importer.web import history_page

from .conftest import row, statuses, write_csv
from .test_web import page_for


def _undone(page, number: int, timeout: float = 30.0) -> str:
    """Wait for the undo deleting in the background to end; its page then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.get(f"/undo/{number}/progress").json()["state"] != "running":
            return page.get(f"/undo/{number}").text
        time.sleep(0.02)
    raise AssertionError("the undo did not end in time")


def _sent(page, tmp_path, rows):
    page.upload(write_csv(tmp_path / "hoja.csv", rows))
    page.post("/send")
    page.wait_run()


def test_the_history_lists_the_runs_and_undo_deletes_after_the_number_is_typed(tmp_path):
    with page_for(tmp_path / "work") as page:
        _sent(page, tmp_path, [row("Uno"), row("Dos"), row("Tres", skill_id="999")])
        results = page.get("/results").text
        assert 'href="/undo/1"' in results.replace(page.ctx.secrets.root, "")
        listed = page.get("/history").text
        assert "hoja.csv" in listed and 'data-testid="undo-1"' in listed
        assert "Undo this import" in listed
        asked = page.get("/undo/1").text
        assert "nothing is deleted until you confirm" in asked
        plan = page.post("/undo/1/list").text
        assert "2 campaigns that this run created will be deleted from wolkvox" in plan
        assert "Row 2: Uno (id" in plan and "type the number of campaigns (2)" in plan
        wrong = page.post("/undo/1/confirm", {"count": "3"}).text
        assert "not confirmed: nothing was deleted." in wrong
        out = tmp_path / "work" / "runs" / "1" / "campaigns.results.xlsx"
        assert set(statuses(out).values()) == {"created", "invalid"}  # 999: not a skill
        page.post("/undo/1/list")
        page.post("/undo/1/confirm", {"count": "2"})
        done = _undone(page, 1)
        assert "2 campaigns deleted." in done
        assert statuses(out) == {2: "deleted", 3: "deleted", 4: "invalid"}
        after = page.get("/history").text
        assert "finished, then undone" in after and 'data-testid="undo-1"' not in after
        assert "deleted (undone)" in page.get("/results").text  # the results page too


def test_undo_of_a_run_that_is_not_there_says_so(tmp_path):
    with page_for(tmp_path / "work") as page:
        missing = page.get("/undo/7")
        assert missing.status_code == 404 and "There is no such run" in missing.text
        confirm = page.post("/undo/7/confirm", {"count": "1"})
        assert confirm.status_code == 400 and "There is no such run" in confirm.text


def test_undo_deletes_in_the_background_showing_its_progress_and_comes_back(tmp_path):
    # each delete takes a while: the confirmation comes back before the undo ends
    with (
        Sandbox(Config(latency=0.3)) as box,
        page_for(tmp_path / "work", sandbox=box) as page,
    ):
        _sent(page, tmp_path, [row(f"C{i}") for i in range(4)])
        page.post("/undo/1/list")
        going = page.post("/undo/1/confirm", {"count": "4"})
        assert going.url.path.endswith("/undo/1") and 'data-testid="undoing"' in going.text
        assert "of 4 campaigns done" in going.text and 'http-equiv="refresh"' in going.text
        assert page.get("/undo/1/progress").json()["state"] == "running"
        # a second confirmation while it deletes starts nothing: it shows the same undo
        again = page.post("/undo/1/confirm", {"count": "4"})
        assert 'data-testid="undoing"' in again.text
        # nor does a send: it would meet the undo's hold on the token
        page.upload(write_csv(tmp_path / "otra.csv", [row("Otra")]))
        busy = page.post("/send")
        assert busy.status_code == 409
        assert "An undo is deleting campaigns" in busy.text
        done = _undone(page, 1)
        assert "4 campaigns deleted." in done
        deleted = box.state.snapshot()["deleted"]
        assert len(deleted) == len(set(deleted)) == 4  # each once


def test_the_token_is_not_kept_between_the_listing_and_the_confirmation(tmp_path):
    token = "tok-undo-twice-5"
    with (
        Sandbox(Config(tokens=frozenset({token}))) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "hoja.csv", [row("Uno"), row("Dos")]))
        page.post("/send", {"token": token})
        page.wait_run()
        plan = page.post("/undo/1/list", {"token": token}).text
        assert 'id="undo-confirm-token"' in plan  # asked for again with the confirmation
        assert "token" not in {f.name for f in dataclasses.fields(history_page._Pending)}
        refused = page.post("/undo/1/confirm", {"count": "2"})
        assert refused.status_code == 400 and "again to delete them" in refused.text
        assert box.state.snapshot()["deleted"] == []
        page.post("/undo/1/confirm", {"count": "2", "token": token})
        assert "2 campaigns deleted." in _undone(page, 1)
        assert all(token.encode() not in body for body in page.seen)
