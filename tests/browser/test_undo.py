"""Undoing an import from the page, in Chromium and in both languages: the listing, the typed
number, and the history telling the run undone."""

from __future__ import annotations

import pytest

from . import pages
from .pages import expect, find
from .support import campaign_rows, records, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What the page says at each step, in each language.
WORDS = {
    "es": {
        "title": "Deshacer una importación",
        "row": "Fila 2: Deshacer 0001",
        "listing": "Se borrarán de wolkvox 3 campañas",
        "done": "3 campañas borradas.",
        "history": "terminado, y luego deshecho",
    },
    "en": {
        "title": "Undo an import",
        "row": "Row 2: Deshacer 0001",
        "listing": "3 campaigns that this run created will be deleted from wolkvox",
        "done": "3 campaigns deleted.",
        "history": "finished, then undone",
    },
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_an_import_is_undone_from_the_results_page_after_typing_the_number(
    start_web, page, tmp_path, shots, lang
):
    words = WORDS[lang]
    n = 3
    sheet = write_xlsx(tmp_path / "deshacer.xlsx", campaign_rows(n, prefix="Deshacer"))
    server = start_web()
    pages.open_page(page, server.url, lang)
    pages.upload(page, sheet)
    pages.send(page)
    final = pages.wait_all_final(page, range(2, n + 2))
    assert set(final.values()) == {"created"}, final

    find(page, "undo-run").click()
    expect(page.locator("h1")).to_contain_text(words["title"])
    find(page, "undo-list").click()
    listing = find(page, "undo-delete")
    expect(listing).to_contain_text(words["row"])
    expect(page.locator("main")).to_contain_text(words["listing"])
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"undo-listing-{lang}.png"), full_page=True)
    assert pages.run_axe(page) == []

    find(page, "undo-count").fill("3")
    find(page, "undo-confirm").click()
    expect(find(page, "undone-count")).to_have_text(words["done"])
    find(page, "to-history").click()
    expect(find(page, "history-end-1")).to_have_text(words["history"])
    expect(find(page, "undo-1")).to_have_count(0)
    assert pages.run_axe(page) == []

    results = records(server.workdir / "runs" / "1" / "campaigns.results.xlsx")
    assert {r["status"] for r in results} == {"deleted"}
