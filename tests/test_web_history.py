"""The page's history and its undo: the same listing and typed confirmation as the CLI."""

from __future__ import annotations

from .conftest import row, statuses, write_csv
from .test_web import page_for


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
        done = page.post("/undo/1/confirm", {"count": "2"}).text
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
