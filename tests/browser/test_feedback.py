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
    # values the check refuses land the upload on the Values section first
    expect(find(page, "values-refused-type_campaign")).to_be_visible()
    find(page, "values-to-review").click()
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


def test_the_persons_own_column_fits_in_the_grid_at_1366_pixels(start_web, page, tmp_path):
    header = "Nombre de la campaña;Skill;Tipo;Hora inicio;Hora fin;Descripción;¿Editable?;Notas"
    lines = [header] + [
        f"Cobro cartera {i:02};101;predictiva;8 am;18:00;Cartera tramo {i % 5};sí;"
        f"nota interna {i}: llamar antes de las 9 y confirmar el saldo"
        for i in range(1, 30)
    ]
    path: Path = tmp_path / "campanas.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.set_viewport_size({"width": 1366, "height": 768})
    server = start_web()
    pages.open_page(page, server.url, "es")
    find(page, "file-input").set_input_files(str(path))
    find(page, "columns-continue").click()  # Notas is not a field: the columns step asks
    expect(find(page, "problem-count")).to_be_visible()
    box = find(page, "grid-box")
    assert box.evaluate("(b) => b.scrollWidth <= b.clientWidth"), "the grid scrolls sideways"
    page.screenshot(path=str(tmp_path / "notas.png"))
