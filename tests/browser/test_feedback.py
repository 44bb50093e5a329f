"""Changes of many cells answer visibly, in a real headless Chromium: a whole column
replaced says how many cells changed, and a values table with nothing left to change
goes, button and all."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import pages
from .pages import expect, find

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_column_replaced_says_how_many_cells_changed_and_an_empty_values_table_goes(
    start_web, page, tmp_path
):
    path: Path = tmp_path / "many.csv"
    path.write_text(
        "campaign_name;type_campaign;skill_id;enable_edition\n"
        "Uno;Manual;101;x\nDos;Manual;102;no\nTres;preview;103;no\n",
        encoding="utf-8",
    )
    server = start_web()
    pages.open_page(page, server.url, "en")
    find(page, "file-input").set_input_files(str(path))
    expect(find(page, "problem-count")).to_be_visible()
    find(page, "bulk").locator("summary").click()
    find(page, "bulk-column").select_option("type_campaign")
    find(page, "bulk-replace").check()
    find(page, "bulk-find").fill("Manual")
    find(page, "bulk-value").fill("preview")
    find(page, "bulk-apply").click()
    expect(find(page, "bulk-said")).to_have_text("2 cells changed")
    expect(find(page, "bulk-said")).to_be_visible()

    page.locator('a[href*="/columns"]').first.click()
    find(page, "value-enable_edition-x").select_option("yes")
    find(page, "values-apply-enable_edition").click()
    expect(find(page, "values-mapped")).to_contain_text("1 cell changed")
    expect(find(page, "values-apply-enable_edition")).to_be_hidden()
