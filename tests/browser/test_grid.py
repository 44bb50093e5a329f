"""The review as a grid, in a real headless Chromium at 1366x768: one journey through the
values step, the keyboard, a whole column at once, the next problem, Undo, a row left out,
and the results filtered by status."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import pages
from .pages import expect, find
from .support import VIEWPORT, records

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEADER = ("Nombre de la campaña", "type_campaign", "skill_id", "enable_edition", "Notas")
ROWS = [
    ("Uno", "Manual", "101", "si", "llamar antes"),
    ("Dos", "", "102", "no", ""),
    ("Tres", "Manual", "103", "x", ""),
    ("Cuatro", "preview", "104", "no", "nota 4"),
    ("Cinco", "", "105", "no", ""),
]


def _sheet(path: Path) -> Path:
    lines = [";".join(HEADER), *(";".join(r) for r in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_the_grid_journey_values_keyboard_column_undo_left_out_and_results(
    start_web, page, tmp_path
):
    server = start_web()
    pages.open_page(page, server.url, "en")
    find(page, "file-input").set_input_files(str(_sheet(tmp_path / "grid.csv")))
    # A. the values step: Manual becomes preview in every cell
    expect(find(page, "values-type_campaign")).to_be_visible()
    find(page, "value-type_campaign-Manual").select_option("preview")
    find(page, "values-apply-type_campaign").click()
    expect(find(page, "values-mapped")).to_contain_text("2 cells changed")
    find(page, "columns-continue").click()
    expect(find(page, "problem-count")).to_be_visible()
    assert pages.cell_editor(page, 2, "type_campaign").input_value() == "preview"

    # E. the grid fits the window and scrolls in its own box; the person's headers and
    # their own column show
    box = find(page, "grid-box").bounding_box()
    assert box["x"] + box["width"] <= VIEWPORT["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORT["width"]
    expect(page.locator("table[data-review] thead th").nth(1).locator(".own")).to_have_text(
        "Nombre de la campaña"
    )
    expect(find(page, "extra-2-Notas")).to_have_text("llamar antes")

    # Enter commits and moves down; arrows move between cells
    pages.cell_editor(page, 2, "skill_id").fill("1O1")
    page.keyboard.press("Enter")
    pages.expect_invalid(page, 2, "skill_id", True)
    assert _focused_id(page) == "c-3-skill_id"
    page.keyboard.press("ArrowUp")
    assert _focused_id(page) == "c-2-skill_id"
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    assert _focused_id(page) == "c-2-enable_edition"
    page.keyboard.press("Escape")

    # B. every empty type_campaign with a problem becomes preview
    find(page, "bulk").locator("summary").click()
    find(page, "bulk-column").select_option("type_campaign")
    find(page, "bulk-replace").check()
    find(page, "bulk-find").fill("")
    find(page, "bulk-value").fill("preview")
    find(page, "bulk-scope").check()
    find(page, "bulk-apply").click()
    expect(pages.cell_editor(page, 6, "type_campaign")).to_have_value("preview")
    pages.expect_invalid(page, 3, "type_campaign", False)

    # D. next problem (Alt+N) goes to a marked cell
    pages.cell_editor(page, 2, "campaign_name").focus()
    page.keyboard.press("Alt+N")
    assert _focused_id(page) == "c-2-skill_id"
    page.keyboard.press("Alt+N")
    assert _focused_id(page) == "c-4-enable_edition"

    # C. Undo takes the column change back
    find(page, "undo").click()
    expect(pages.cell_editor(page, 6, "type_campaign")).to_have_value("")
    find(page, "bulk-apply").click()
    expect(pages.cell_editor(page, 6, "type_campaign")).to_have_value("preview")

    # C. a row left out is not sent and ends excluded
    find(page, "leave-out-4").check()
    expect(page.locator('tr[data-row="4"]')).to_have_class("excluded")
    pages.edit(page, 2, "skill_id", "101")
    pages.expect_invalid(page, 2, "skill_id", False)  # saved before going on
    pages.send(page)
    pages.expect_statuses(page, {2: "created", 3: "created", 4: "excluded", 5: "created"})
    find(page, "status-filter").select_option("excluded")
    expect(page.locator('[data-testid^="row-status-"]')).to_have_count(1)
    results = records(pages.download(page, "download-results", tmp_path))
    got = {r["row"]: r["status"] for r in results}
    assert got == {"2": "created", "3": "created", "4": "excluded", "5": "created", "6": "created"}
