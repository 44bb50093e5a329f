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
    find(page, "tab-records").click()
    expect(find(page, "record-counts")).to_contain_text("11 registros leídos")
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
