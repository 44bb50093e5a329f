"""A launch on the page, in a real headless Chromium, in Spanish: the launch workbook's
records in their own tab, one record cell fixed in place, the campaigns and then their
records sent with dialling started, and the records in the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import pages
from .pages import expect, find

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).parent.parent.parent / "sample_data" / "lanzamiento.xlsx"


def test_a_launch_journey_in_spanish_fix_a_record_send_with_start_and_see_the_records(
    start_web, page, tmp_path
):
    server = start_web()
    pages.open_page(page, server.url, "es")
    pages.upload(page, SAMPLE)
    pages.open_tab(page, "records")
    expect(find(page, "record-counts")).to_contain_text("11 registros leídos")
    # Alt+N: to the records' own problems, not the campaigns'
    page.keyboard.press("Alt+N")
    expect(page.locator("td.bad input:focus")).to_have_count(1)
    cell = find(page, "rcell-8-tel1")
    expect(cell).to_have_attribute("aria-invalid", "true")
    editor = cell.locator("input").first
    editor.fill("3205550107")
    editor.press("Enter")
    expect(cell).not_to_have_attribute("aria-invalid", "true")
    expect(find(page, "record-counts")).to_contain_text("9 registros válidos se cargarán")
    find(page, "to-send").click()
    expect(find(page, "records-plan")).to_contain_text("9 registros")
    find(page, "start").check()
    find(page, "send").click()
    expect(find(page, "records-results")).to_be_visible(timeout=60_000)
    expect(find(page, "records-status-added")).to_have_attribute("data-count", "9")
    expect(find(page, "records-results")).to_contain_text("Registros por campaña")
    # The sending step of a run already over stays put, unless it is the step right
    # after Send: a short run may end before that step is shown, and it goes on to the
    # results all the same.
    root = page.url.rsplit("/", 1)[0]
    page.goto(root + "/send")
    expect(page.locator("[data-progress]")).to_have_attribute("data-state", "finished")
    page.goto(root + "/send?run=new")
    page.wait_for_url("**/results")
    expect(find(page, "records-results")).to_be_visible()


def test_the_records_tools_search_set_a_column_leave_out_undo_and_send(start_web, page, tmp_path):
    server = start_web()
    pages.open_page(page, server.url, "en")
    pages.upload(page, SAMPLE)
    pages.open_tab(page, "records")
    rows = page.locator("table[data-review] tbody tr")
    # search: the records of Medellín alone, then all again
    find(page, "search").fill("medell")
    find(page, "search").press("Enter")
    expect(find(page, "matches")).to_contain_text("3 records found")
    expect(rows).to_have_count(3)
    find(page, "search").fill("")
    find(page, "search").press("Enter")
    expect(rows).to_have_count(11)
    # a whole column: the e-mail with a problem gets its domain
    find(page, "bulk").locator("summary").click()
    find(page, "bulk-column").select_option("email")
    find(page, "bulk-replace").check()
    find(page, "bulk-find").fill("@example")
    find(page, "bulk-value").fill("@example.com")
    find(page, "bulk-scope").check()
    find(page, "bulk-apply").click()
    expect(find(page, "bulk-said")).to_contain_text("1 cell changed")
    expect(find(page, "rcell-5-email").locator("input")).to_have_value("jorge@example.com")
    expect(find(page, "rcell-5-email")).not_to_have_attribute("aria-invalid", "true")
    # records left out; Undo takes the last one back in
    find(page, "leave-out-8").check()
    expect(page.locator('tr[data-row="8"]')).to_have_class("excluded")
    find(page, "leave-out-3").check()
    expect(find(page, "record-counts")).to_contain_text("2 records left out")
    find(page, "undo").click()
    expect(find(page, "leave-out-3")).not_to_be_checked()
    expect(find(page, "record-counts")).to_contain_text("1 record left out")
    expect(find(page, "record-counts")).to_contain_text("9 valid records will be loaded")
    # sent: the record left out is not loaded, and says so in the results
    find(page, "to-send").click()
    expect(find(page, "records-left-out")).to_contain_text("1 record left out")
    find(page, "send").click()
    expect(find(page, "records-results")).to_be_visible(timeout=60_000)
    expect(find(page, "records-status-added")).to_have_attribute("data-count", "9")
    expect(find(page, "records-status-excluded")).to_have_attribute("data-count", "1")


@pytest.mark.parametrize("lang", ("es", "en"))
def test_the_records_tab_passes_axe_and_is_pictured(browser, start_web, shots, lang):
    """At 1366x768, the records tab of the sample launch with its tools, checked with axe."""
    locale = "es-CO" if lang == "es" else "en-US"
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = context.new_page()
    try:
        server = start_web()
        pages.open_page(page, server.url, lang)
        pages.upload(page, SAMPLE)
        pages.open_tab(page, "records")
        expect(find(page, "record-counts")).to_be_visible()
        find(page, "bulk").locator("summary").click()
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"07-records-{lang}.png"))
        assert pages.run_axe(page) == []
    finally:
        context.close()
