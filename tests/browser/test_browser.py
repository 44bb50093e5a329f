"""The web page in a real headless Chromium: the journeys an operations person takes, in both
languages, against the page started exactly as a person starts it.

Test dependencies (beyond the project's ``test`` extra): ``playwright`` and
``axe-playwright-python`` from PyPI, and Debian's Chromium (``apt-get install -y chromium``);
never ``playwright install``. ``.ci/browser-deps`` installs all of them.
The documentation's screenshots are taken at 1366x768 by test_flow.py.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from importer.sandbox.server import Config, Sandbox

from . import pages
from .pages import expect, find
from .support import (
    ROOT,
    campaign_rows,
    file_texts,
    read_sheet,
    records,
    wait_for,
    write_csv,
    write_xlsx,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGS = ("es", "en")
MISTAKES = ROOT / "sample_data" / "campaigns-with-mistakes.csv"
#: A token no page, cookie, log or file may ever show.
TOKEN = "tkn-Zq9xW4vB7-do-not-leak-5531"


def created_once(rows: list[dict[str, str]], n: int) -> None:
    """The results say every one of ``n`` rows was created, each with its own id."""
    assert len(rows) == n, rows
    assert {r["status"] for r in rows} == {"created"}, [(r["row"], r["status"]) for r in rows]
    ids = [r["id_campaign"] for r in rows]
    assert all(ids) and len(set(ids)) == n, ids


def journal_creations(workdir: Path) -> Counter[int]:
    """How often each row is recorded as created, over every journal in the working folder."""
    import json

    seen: Counter[int] = Counter()
    journals = list(workdir.rglob("*.journal.jsonl"))
    assert journals, f"no journal under {workdir}: {sorted(p.name for p in workdir.rglob('*'))}"
    for path in journals:
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line) if line.strip() else {}
            if event.get("event") == "outcome" and event.get("status") == "created":
                seen[int(event["row"])] += 1
    return seen


# --- 1. a clean sheet ------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "kind"), [("es", "csv"), ("en", "xlsx")])
def test_clean_sheet_is_created_row_by_row(start_web, page, tmp_path, lang, kind):
    n = 5
    rows = campaign_rows(n, prefix=f"Limpia {lang}")
    writer = write_csv if kind == "csv" else write_xlsx
    sheet = writer(tmp_path / f"limpia.{kind}", rows)
    server = start_web()
    pages.open_page(page, server.url, lang)

    pages.upload(page, sheet)
    pages.expect_problem_count(page, 0)
    pages.send(page)

    pages.expect_progress(page, n, n)
    pages.expect_statuses(page, {row: "created" for row in range(2, n + 2)})
    assert journal_creations(server.workdir) == Counter(range(2, n + 2))


# --- 2. a sheet with mistakes, fixed in place ------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_two_cells_fixed_in_place_are_sent_and_come_back_in_the_files(
    start_web, page, tmp_path, lang
):
    sheet = shutil.copy(MISTAKES, tmp_path / "campañas con errores.csv")
    server = start_web()
    pages.open_page(page, server.url, lang)
    pages.upload(page, Path(sheet))
    pages.expect_problem_count(page, 12)
    pages.expect_invalid(page, 8, "skill_id", True)
    pages.expect_invalid(page, 2, "campaign_name", True)
    pages.expect_invalid(page, 12, "campaign_name", False)

    # A digit typo, and a duplicate name: renaming row 3 clears row 2 too (a file-wide rule).
    pages.edit(page, 8, "skill_id", "108")
    pages.expect_invalid(page, 8, "skill_id", False)
    pages.edit(page, 3, "campaign_name", "Cobranza febrero")
    for row in (2, 3):
        pages.expect_invalid(page, row, "campaign_name", False)
    pages.expect_problem_count(page, 9)
    pages.send(page)

    sent = {2: "created", 3: "created", 8: "created", 12: "created"}
    pages.expect_statuses(page, sent)
    invalid = {row: "invalid" for row in (4, 5, 6, 7, 9, 10, 11)}
    pages.expect_statuses(page, invalid)

    got = {name: pages.download(page, name, tmp_path / "got") for name in pages.DOWNLOADS}
    results = {int(r["row"]): r for r in records(got["download-results"])}
    assert {row: r["status"] for row, r in results.items()} == {**sent, **invalid}
    assert all(results[row]["id_campaign"] for row in sent)
    retry = records(got["download-retry"])
    assert sorted(int(r["original_row"]) for r in retry) == sorted(invalid)
    corrected = read_sheet(got["download-corrected"])
    header = [h.strip().lower() for h in corrected[0]]
    name_col = next(i for i, h in enumerate(header) if "nombre" in h or "campaign_name" in h)
    skill_col = next(i for i, h in enumerate(header) if "skill" in h)
    assert corrected[3 - 1][name_col] == "Cobranza febrero"  # sheet row 3
    assert corrected[8 - 1][skill_col] == "108"  # sheet row 8
    assert corrected[2 - 1][name_col] == "Cobranza enero"  # untouched rows stay as they were
    assert corrected[9 - 1][skill_col] == "103"
    assert len(corrected) == 12


# --- 3. stop, resume, and a crash ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_stop_leaves_the_rest_unsent_and_sending_again_finishes_without_duplicates(
    start_web, page, tmp_path, lang
):
    n = 5
    sheet = write_xlsx(tmp_path / "lenta.xlsx", campaign_rows(n, prefix=f"Pausa {lang}"))
    server = start_web("--simulate-latency", "0.3")
    pages.open_page(page, server.url, lang)
    pages.upload(page, sheet)
    pages.send(page)
    pages.wait_progress_at_least(page, 1)
    find(page, "stop").click()

    first = pages.wait_all_final(page, range(2, n + 2))
    assert set(first.values()) == {"created", "not_sent"}, first
    assert "not_sent" in first.values(), f"stop did not stop the run: {first}"
    again = find(page, "resume") if find(page, "resume").count() else find(page, "send")
    again.click()

    pages.expect_statuses(page, {row: "created" for row in range(2, n + 2)}, deadline=30)
    results = records(pages.download(page, "download-results", tmp_path / "got"))
    created_once(results, n)
    assert journal_creations(server.workdir) == Counter(range(2, n + 2))


def test_a_run_killed_mid_way_is_resumed_from_the_page_without_duplicates(
    start_web, page, tmp_path
):
    n = 6
    sheet = write_xlsx(tmp_path / "caida.xlsx", campaign_rows(n, prefix="Caída"))
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    got = tmp_path / "got"
    with Sandbox(Config(tokens=frozenset({TOKEN}), latency=0.25)) as box:
        args = ("--base-url", box.url, "--token-file", str(token_file), "--reconcile-after", "0")
        server = start_web(*args, simulate=False)
        pages.open_page(page, server.url, "es")
        pages.upload(page, sheet)
        pages.send(page)
        wait_for(lambda: len(box.state.snapshot()["campaigns"]) >= 2, what="2 campaigns created")
        server.kill()

        again = start_web(*args, simulate=False, workdir=server.workdir)
        pages.open_page(page, again.url)
        find(page, "resume").click()
        final = pages.wait_all_final(page, range(2, n + 2), deadline=30)
        created = box.state.created_names()
    # The row in flight at the kill is settled from the campaign list: created if wolkvox has
    # it, else failed ("safe to send again", in the retry file). Never sent a second time.
    assert set(final.values()) <= {"created", "failed"}, final
    assert list(final.values()).count("failed") <= 1, final
    assert set(created.values()) == {1}, f"created twice: {created}"
    assert box.state.snapshot()["overlaps"] == 0
    names = {row + 2: r["campaign_name"] for row, r in enumerate(campaign_rows(n, prefix="Caída"))}
    assert set(created) == {names[row] for row, status in final.items() if status == "created"}
    results = {int(r["row"]): r for r in records(pages.download(page, "download-results", got))}
    assert {row: r["status"] for row, r in results.items()} == final
    ids = [r["id_campaign"] for r in results.values() if r["status"] == "created"]
    assert len(set(ids)) == len(ids) == len(created)


# --- 4. a second tab -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_second_tab_follows_the_same_run_and_cannot_start_another(
    start_web, context, page, tmp_path, lang
):
    n = 5
    sheet = write_xlsx(tmp_path / "dos.xlsx", campaign_rows(n, prefix=f"Pestaña {lang}"))
    server = start_web("--simulate-latency", "0.3")
    pages.open_page(page, server.url, lang)
    pages.upload(page, sheet)
    pages.send(page)
    pages.wait_progress_at_least(page, 1)

    other = context.new_page()
    other.goto(server.url)
    expect(find(other, "progress")).to_contain_text(f"/{n}")
    send = find(other, "send")
    assert send.count() == 0 or not send.is_visible() or send.is_disabled(), (
        "the second tab offers to start another run while one is going"
    )
    pages.expect_progress(other, n, n)
    pages.expect_statuses(other, {row: "created" for row in range(2, n + 2)})
    pages.expect_progress(page, n, n)
    assert journal_creations(server.workdir) == Counter(range(2, n + 2))


# --- 5. the secret: see test_secret.py ------------------------------------------------------


# --- 6. the token never leaves ---------------------------------------------------------------


class Recorder:
    """Every request URL and every response body the page received (streams excepted)."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        self.bodies: list[bytes] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("response", self._keep)

    def _keep(self, response: Any) -> None:
        kind = response.headers.get("content-type", "")
        if "event-stream" in kind or response.status in {301, 302, 303, 307, 308}:
            return
        try:
            self.bodies.append(response.body())
        except Exception:  # a body the browser already dropped (e.g. a download)
            return


def assert_token_absent(*, page, context, recorder, server, downloads, also=()) -> None:
    needle = TOKEN.encode()
    assert len(recorder.bodies) >= 5, "the recorder saw too few responses to prove anything"
    assert TOKEN not in page.content(), "token in the page"
    for url in [*recorder.urls, page.url]:
        assert TOKEN not in url, f"token in a URL: {url}"
    for body in recorder.bodies:
        assert needle not in body, "token in a response body"
    for cookie in context.cookies():
        assert TOKEN not in cookie["value"], "token in a cookie"
    storage = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert TOKEN not in storage, "token in the browser's storage"
    assert TOKEN not in server.logs(), "token in the server's output"
    for path in [*downloads, *(p for p in server.workdir.rglob("*") if p.is_file())]:
        if path in also:
            continue
        for text in file_texts(path):
            assert needle not in text, f"token written to {path.name}"


def test_a_typed_token_is_used_but_never_shown_stored_or_sent_back(
    start_web, page, context, tmp_path
):
    n = 3
    rows = campaign_rows(n, prefix="Token escrito")
    sheet = write_xlsx(tmp_path / "token.xlsx", rows)
    with Sandbox(Config(tokens=frozenset({TOKEN}))) as box:
        server = start_web("--base-url", box.url, simulate=False)
        recorder = Recorder(page)
        pages.open_page(page, server.url, "es")
        pages.upload(page, sheet)
        pages.to_send(page)
        find(page, "token-input").fill(TOKEN)
        find(page, "send").click()
        pages.expect_statuses(page, {row: "created" for row in range(2, n + 2)})
        names = box.state.created_names()
        downloads = pages.download_all(page, tmp_path / "got")
        page.reload()
    assert sorted(names) == sorted(r["campaign_name"] for r in rows)
    assert_token_absent(
        page=page, context=context, recorder=recorder, server=server, downloads=downloads
    )


def test_a_token_file_is_used_but_never_shown_stored_or_sent_back(
    start_web, page, context, tmp_path
):
    n = 3
    rows = campaign_rows(n, prefix="Token file")
    sheet = write_csv(tmp_path / "token.csv", rows)
    token_file = tmp_path / "secret" / "token.txt"
    token_file.parent.mkdir()
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    with Sandbox(Config(tokens=frozenset({TOKEN}))) as box:
        server = start_web("--base-url", box.url, "--token-file", str(token_file), simulate=False)
        recorder = Recorder(page)
        pages.open_page(page, server.url, "en")
        pages.upload(page, sheet)
        pages.to_send(page)
        expect(find(page, "token-input")).not_to_have_value(TOKEN)
        find(page, "send").click()
        pages.expect_statuses(page, {row: "created" for row in range(2, n + 2)})
        names = box.state.created_names()
        downloads = pages.download_all(page, tmp_path / "got")
    assert sorted(names) == sorted(r["campaign_name"] for r in rows)
    assert_token_absent(
        page=page, context=context, recorder=recorder, server=server, downloads=downloads
    )


# --- 7. the keyboard alone -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_upload_review_and_send_work_with_the_keyboard_alone(start_web, page, tmp_path, lang):
    rows = campaign_rows(4, prefix=f"Teclado {lang}")
    rows[2]["skill_id"] = "10A"  # sheet row 4
    sheet = write_xlsx(tmp_path / "teclado.xlsx", rows)
    # The language comes from --lang: the switch would give the focus back to itself after
    # its reload, and this journey starts from a page as it first opens.
    server = start_web("--lang", lang)
    pages.open_page(page, server.url)
    expect(page.locator("html")).to_have_attribute("lang", re.compile(rf"^{lang}\b"))

    # Listening early turns on Playwright's file-chooser interception before the key press
    # (turning it on is not awaited, so a listener added at the press can miss the dialog).
    page.on("filechooser", lambda chooser: None)
    pages.tab_to(page, "file-input")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(sheet))
    either = page.locator('[data-testid="columns-continue"], [data-testid="problem-count"]')
    expect(either.first).to_be_visible()
    if find(page, "columns-continue").is_visible():
        pages.tab_to(page, "columns-continue")
        page.keyboard.press("Enter")
    pages.expect_problem_count(page, 1)
    pages.wait_ready(page)

    pages.tab_to(page, "only-problems")
    page.keyboard.press("Space")
    expect(pages.cell(page, 2, "campaign_name")).to_be_hidden()
    expect(pages.cell(page, 4, "skill_id")).to_be_visible()
    pages.wait_ready(page)
    pages.tab_to(page, "cell-4-skill_id")
    page.keyboard.press("Control+A")
    page.keyboard.type("104")
    page.keyboard.press("Enter")
    pages.expect_invalid(page, 4, "skill_id", False)
    pages.expect_problem_count(page, 0)

    if not find(page, "send").count():
        pages.tab_to(page, "to-send")
        page.keyboard.press("Enter")
        expect(find(page, "send")).to_be_attached()
    pages.tab_to(page, "send")
    page.keyboard.press("Enter")
    pages.expect_statuses(page, {row: "created" for row in range(2, 6)})


# --- 8. the language switch ------------------------------------------------------------------


def test_the_language_switch_changes_the_texts(start_web, page):
    server = start_web()
    pages.open_page(page, server.url, "es")
    spanish = page.locator("body").inner_text()
    pages.choose_language(page, "en")
    english = page.locator("body").inner_text()
    assert english != spanish
    pages.choose_language(page, "es")
    assert page.locator("body").inner_text() == spanish
    expect(find(page, "file-input")).to_be_attached()


# --- every step: accessibility and screenshots -----------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_step_passes_axe_and_is_pictured(start_web, page, tmp_path, lang):
    """axe-core finds no serious or critical violation on any step; each step is photographed."""
    sheet = shutil.copy(MISTAKES, tmp_path / "campañas.csv")
    server = start_web("--simulate-latency", "1.0")
    found: dict[str, list[str]] = {}

    def step(name: str, show: str = "", where: str = "start") -> None:
        """Photograph the step (scrolled to ``show``) and check it with axe."""
        if show:
            find(page, show).evaluate(f"el => el.scrollIntoView({{block: '{where}'}})")
        # the pictures of the documentation are taken at 1366x768 (test_flow); these stay aside
        shots_here = tmp_path / "screenshots"
        shots_here.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots_here / f"{name}-{lang}.png"))
        found[name] = pages.run_axe(page)

    pages.open_page(page, server.url, lang)
    step("01-upload")
    find(page, "file-input").set_input_files(str(sheet))
    either = page.locator('[data-testid="columns-continue"], [data-testid="problem-count"]')
    expect(either.first).to_be_visible()
    if find(page, "columns-continue").is_visible():
        step("02-columns", show="columns-continue", where="end")
        find(page, "columns-continue").click()
    pages.expect_problem_count(page, 12)
    pages.cell_editor(page, 8, "skill_id").focus()  # its problem shows on focus
    step("03-review", show="only-problems")
    pages.edit(page, 8, "skill_id", "108")
    pages.edit(page, 3, "campaign_name", "Cobranza febrero")
    pages.expect_problem_count(page, 9)
    pages.to_send(page)
    step("04-send")
    find(page, "send").click()
    pages.wait_progress_at_least(page, 1)
    step("05-sending")
    pages.expect_statuses(page, {row: "created" for row in (2, 3, 8, 12)})
    # the sending step moves on to the results by itself: axe looks at the page that stays
    page.wait_for_url(re.compile(r"/results(\?.*)?$"))
    page.wait_for_load_state()
    step("06-results")
    assert "02-columns" in found, "the unknown column 'notas internas' was not offered for mapping"
    assert not any(found.values()), found
