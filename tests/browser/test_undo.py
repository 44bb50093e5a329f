"""Undoing an import from the page, in Spanish, in Chromium: the listing, the typed number,
and the history telling the run undone."""

from __future__ import annotations

import pytest

from . import pages
from .pages import expect, find
from .support import campaign_rows, records, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_import_is_undone_from_the_results_page_after_typing_the_number(
    start_web, page, tmp_path, shots
):
    n = 3
    sheet = write_xlsx(tmp_path / "deshacer.xlsx", campaign_rows(n, prefix="Deshacer"))
    server = start_web()
    pages.open_page(page, server.url, "es")
    pages.upload(page, sheet)
    pages.send(page)
    final = pages.wait_all_final(page, range(2, n + 2))
    assert set(final.values()) == {"created"}, final

    find(page, "undo-run").click()
    expect(page.locator("h1")).to_contain_text("Deshacer una importación")
    find(page, "undo-list").click()
    listing = find(page, "undo-delete")
    expect(listing).to_contain_text("Fila 2: Deshacer 0001")
    expect(page.locator("main")).to_contain_text("Se borrarán de wolkvox 3 campañas")
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "undo-listing-es.png"), full_page=True)
    assert pages.run_axe(page) == []

    find(page, "undo-count").fill("3")
    find(page, "undo-confirm").click()
    expect(find(page, "undone-count")).to_have_text("3 campañas borradas.")
    find(page, "to-history").click()
    expect(find(page, "history-end-1")).to_have_text("terminado, y luego deshecho")
    expect(find(page, "undo-1")).to_have_count(0)
    assert pages.run_axe(page) == []

    results = records(server.workdir / "runs" / "1" / "campaigns.results.xlsx")
    assert {r["status"] for r in results} == {"deleted"}
