"""What a person does on the web page, in terms of the page's stable ``data-testid`` hooks.

Every wait here is on a condition with a deadline (Playwright's ``expect``/``wait_for``), never
a fixed pause, so the tests are as fast as the page and fail with a clear message when it is not.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from .support import STEP

#: Statuses that end a row in a run (``not_sent``: the run stopped before it).
FINAL = {"created", "exists", "failed", "unknown", "invalid", "not_sent"}
#: Every control of the issue's list, present in both languages at some step.
DOWNLOADS = ("download-results", "download-retry", "download-corrected")


def expect(target: Any) -> Any:
    """Playwright's ``expect``, imported on use so this module loads without Playwright (the
    fixtures then say what is missing, failing in CI and skipping elsewhere)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _timeout() -> type[Exception]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return PlaywrightTimeout


def find(page: Any, name: str) -> Any:
    return page.get_by_test_id(name)


def open_page(page: Any, url: str, lang: str | None = None) -> None:
    """Open the address the server printed, and choose the language with the page's switch."""
    page.goto(url)
    expect(find(page, "file-input")).to_be_attached()
    if lang:
        choose_language(page, lang)


def open_tab(page: Any, name: str) -> None:
    """Follow a review tab's link and wait until the new page's scripts listen.

    The page shows its cells before its script has attached the keys, so a key pressed
    as soon as a cell is seen can go unheard.
    """
    with page.expect_navigation():
        find(page, f"tab-{name}").click()
    wait_ready(page)


def wait_ready(page: Any) -> None:
    """Wait until the page's script listens (call it once the new page is seen: the page
    before had the mark too)."""
    expect(page.locator("html[data-ready]")).to_be_attached()


def choose_language(page: Any, lang: str) -> None:
    """Switch the page's language, unless it already speaks ``lang``.

    Waiting on the ``lang`` attribute only proves a switch when it was another language
    before; otherwise the old page would pass at once and a reload could follow later.
    """
    html = page.locator("html")
    if re.match(rf"{lang}\b", html.get_attribute("lang") or ""):
        return
    find(page, f"lang-{lang}").click()
    expect(html).to_have_attribute("lang", re.compile(rf"^{lang}\b"))
    page.wait_for_load_state()


def upload(page: Any, path: Path) -> None:
    """Pick the file; accept the column mapping if the page asks; wait for the review table."""
    find(page, "file-input").set_input_files(str(path))
    after_upload(page)


def after_upload(page: Any) -> None:
    either = page.locator('[data-testid="columns-continue"], [data-testid="problem-count"]')
    expect(either.first).to_be_visible()
    if find(page, "columns-continue").is_visible():
        find(page, "columns-continue").click()
    expect(find(page, "problem-count")).to_be_visible()
    # the upload page was ready too, but had no problem count
    wait_ready(page)


def to_send(page: Any) -> None:
    """From the review, go where `send` is (the same page, or the next one)."""
    if not find(page, "send").count():
        find(page, "to-send").click()
    expect(find(page, "send")).to_be_visible()


def send(page: Any) -> None:
    """Go to the send step and start the run."""
    to_send(page)
    find(page, "send").click()


def problem_count(page: Any) -> int:
    text = find(page, "problem-count").inner_text()
    found = re.search(r"\d+", text)
    assert found, f"problem-count shows no number: {text!r}"
    return int(found.group())


def expect_problem_count(page: Any, n: int) -> None:
    expect(find(page, "problem-count")).to_have_text(re.compile(rf"(^|\D){n}(\D|$)"))


def cell(page: Any, row: int, column: str) -> Any:
    return find(page, f"cell-{row}-{column}")


def cell_editor(page: Any, row: int, column: str) -> Any:
    """The ``input``/``textarea`` inside a review cell (or the cell itself when it is editable)."""
    box = cell(page, row, column)
    inner = box.locator("input, textarea")
    return inner.first if inner.count() else box


def edit(page: Any, row: int, column: str, value: str) -> None:
    """Change a cell in place and commit it with Enter."""
    editor = cell_editor(page, row, column)
    editor.fill(value)
    editor.press("Enter")


def expect_invalid(page: Any, row: int, column: str, invalid: bool) -> None:
    box = cell(page, row, column)
    if invalid:
        expect(box).to_have_attribute("aria-invalid", "true")
    else:
        expect(box).not_to_have_attribute("aria-invalid", "true")


def progress(page: Any) -> tuple[int, int]:
    text = find(page, "progress").inner_text()
    found = re.search(r"(\d+)\s*/\s*(\d+)", text)
    assert found, f"progress shows no done/total: {text!r}"
    return int(found.group(1)), int(found.group(2))


def expect_progress(page: Any, done: int, total: int, deadline: float = STEP) -> None:
    """Wait until ``progress`` shows ``done/total``."""
    pattern = rf"(^|\D){done}\s*/\s*{total}(\D|$)"
    with contextlib.suppress(_timeout()):
        page.wait_for_function(
            """(pattern) => {
                const el = document.querySelector('[data-testid="progress"]');
                return !!el && new RegExp(pattern).test(el.textContent);
            }""",
            arg=pattern,
            timeout=deadline * 1000,
        )
    expect(find(page, "progress")).to_contain_text(re.compile(pattern), timeout=1000)


def wait_progress_at_least(page: Any, done: int, deadline: float = STEP) -> None:
    """Wait until the progress shows at least ``done`` rows finished."""
    page.wait_for_function(
        """([done]) => {
            const el = document.querySelector('[data-testid="progress"]');
            const m = el && el.textContent.match(/(\\d+)\\s*\\/\\s*(\\d+)/);
            return !!m && Number(m[1]) >= done;
        }""",
        arg=[done],
        timeout=deadline * 1000,
    )


def row_status(page: Any, row: int) -> str:
    """The row's status code (the page shows its words in the person's language)."""
    return (find(page, f"row-status-{row}").get_attribute("data-status") or "").strip()


def statuses(page: Any, rows: range | list[int]) -> dict[int, str]:
    return {row: row_status(page, row) for row in rows}


def expect_statuses(page: Any, expected: dict[int, str], deadline: float = STEP) -> None:
    """Wait until each ``row-status-{row}`` shows its expected code.

    Watched in the page on every frame (Playwright's ``expect`` backs off to 1 s between
    tries, which would add up to seconds over a test); a miss is then reported by ``expect``.
    """
    with contextlib.suppress(_timeout()):
        page.wait_for_function(
            """(expected) => Object.entries(expected).every(([row, status]) => {
                const el = document.querySelector(`[data-testid="row-status-${row}"]`);
                return !!el && el.dataset.status === status;
            })""",
            arg={str(row): status for row, status in expected.items()},
            timeout=deadline * 1000,
        )
    for row, status in expected.items():
        expect(find(page, f"row-status-{row}")).to_have_attribute(
            "data-status", status, timeout=1000
        )


def wait_all_final(page: Any, rows: range | list[int], deadline: float = STEP) -> dict[int, str]:
    """Wait until every row shows a status that ends it, and return them."""
    page.wait_for_function(
        """([rows, final]) => rows.every(r => {
            const el = document.querySelector(`[data-testid="row-status-${r}"]`);
            return !!el && final.includes(el.dataset.status);
        })""",
        arg=[list(rows), sorted(FINAL)],
        timeout=deadline * 1000,
    )
    return statuses(page, rows)


def download(page: Any, name: str, folder: Path) -> Path:
    """Click a download control and save the file it gives under its suggested name."""
    folder.mkdir(parents=True, exist_ok=True)
    with page.expect_download() as info:
        find(page, name).click()
    got = info.value
    assert got.failure() is None, f"{name} failed: {got.failure()}"
    path = folder / f"{name}-{got.suggested_filename}"
    got.save_as(str(path))
    return path


def download_all(page: Any, folder: Path) -> list[Path]:
    """Every file the results step offers (the retry file only exists when a row needs it)."""
    expect(find(page, "download-results")).to_be_visible()
    got = [download(page, name, folder) for name in DOWNLOADS if find(page, name).count()]
    assert len(got) == 3 or (len(got) == 2 and find(page, "no-retry").count()), got
    return got


def focus_is_on(page: Any, name: str) -> bool:
    """True when the keyboard focus is on the element with testid ``name`` (or inside it)."""
    return bool(
        page.evaluate(
            """(name) => {
                const el = document.querySelector(`[data-testid="${name}"]`);
                const now = document.activeElement;
                return !!el && !!now && (el === now || el.contains(now));
            }""",
            name,
        )
    )


def tab_to(page: Any, name: str, limit: int = 120) -> None:
    """Press Tab until the focus reaches ``name``: proves it can be reached by keyboard alone."""
    for _ in range(limit):
        if focus_is_on(page, name):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{name} cannot be reached with the Tab key ({limit} presses)")


def run_axe(page: Any) -> list[str]:
    """axe-core on the page as it is now: the serious and critical violations, readable."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response.get("violations", [])
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in found
        if v.get("impact") in {"serious", "critical"}
    ]
