"""The explanation of a focused cell's problem, in a real headless Chromium at 1366x768:
drawn whole above its neighbours, for the first column's cells and the last row too."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import pages
from .pages import expect, find

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Is the tip the topmost element at each corner and the centre of its box?
_TIP_ON_TOP = """(id) => {
  const tip = document.getElementById(id);
  const r = tip.getBoundingClientRect();
  const at = [[r.left + 3, r.top + 3], [r.right - 3, r.top + 3], [r.left + 3, r.bottom - 3],
              [r.right - 3, r.bottom - 3], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
  return at.every(([x, y]) => {
    const e = document.elementFromPoint(x, y);
    return e && tip.contains(e);
  });
}"""


def test_a_focused_cells_tip_is_drawn_whole_above_its_neighbours(start_web, page, tmp_path):
    lines = ["campaign_name;type_campaign;skill_id;enable_edition"]
    lines += [f"Fila {i};preview;{'' if i % 2 else '101'};no" for i in range(1, 41)]
    lines += ["Fila 1;preview;101;no"]  # the last row: a name used before
    path: Path = tmp_path / "tips.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    server = start_web()
    page.set_viewport_size({"width": 1366, "height": 768})  # the laptop the page is used on
    pages.open_page(page, server.url, "en")
    find(page, "file-input").set_input_files(str(path))
    expect(find(page, "problem-count")).to_be_visible()
    for row, column in ((2, "skill_id"), (2, "campaign_name"), (42, "campaign_name")):
        editor = pages.cell_editor(page, row, column)
        editor.focus()
        tip = f"t-{row}-{column}"
        expect(page.locator(f"#{tip}")).to_be_visible()
        page.wait_for_function(_TIP_ON_TOP, arg=tip, timeout=5000)
    page.screenshot(path=str(tmp_path / "tip.png"))
