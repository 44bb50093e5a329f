"""A run cut short by a crash, in Chromium: no other spreadsheet is sent until it is resumed or
closed, and closing it gives every row a status in the results."""

from __future__ import annotations

import pytest

from . import pages
from .pages import expect, find
from .support import campaign_rows, records, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_killed_run_blocks_another_send_until_it_is_closed_with_every_row_a_status(
    start_web, page, tmp_path, shots, lang
):
    n = 6
    first = write_xlsx(tmp_path / "cortada.xlsx", campaign_rows(n, prefix=f"Corte {lang}"))
    server = start_web("--simulate-latency", "0.3")
    pages.open_page(page, server.url, lang)
    pages.upload(page, first)
    pages.send(page)
    pages.wait_progress_at_least(page, 2)
    server.kill()  # a crash mid-run: the journal stays unfinished

    again = start_web(workdir=server.workdir)
    pages.open_page(page, again.url, lang)
    expect(find(page, "resume")).to_be_visible()
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"unfinished-upload-{lang}.png"))
    other = write_xlsx(tmp_path / "otra.xlsx", campaign_rows(2, prefix=f"Otra {lang}"))
    pages.upload(page, other)
    find(page, "to-send").click()
    unfinished = find(page, "unfinished")
    expect(unfinished).to_be_visible()
    expect(unfinished).to_contain_text("cortada.xlsx")
    expect(find(page, "send")).to_have_count(0)
    expect(find(page, "resume")).to_be_visible()
    page.screenshot(path=str(shots / f"unfinished-send-{lang}.png"), full_page=True)
    assert pages.run_axe(page) == []

    find(page, "close-run").click()
    expect(find(page, "closed")).to_be_visible()
    final = pages.wait_all_final(page, range(2, n + 2))
    assert set(final.values()) <= {"created", "unknown", "not_sent"}, final
    assert "not_sent" in final.values() and list(final.values()).count("unknown") <= 1, final
    page.screenshot(path=str(shots / f"closed-results-{lang}.png"), full_page=True)
    assert pages.run_axe(page) == []
    results = records(pages.download(page, "download-results", tmp_path / "got"))
    assert {int(r["row"]): r["status"] for r in results} == final
    assert all(r["message"] for r in results if r["status"] != "created")

    page.goto(again.root + "/")  # the run is closed: nothing more to resume
    expect(find(page, "file-input")).to_be_attached()
    expect(find(page, "resume")).to_have_count(0)
