"""No dead ends, in Chromium: a refused token keeps the person on Send with the field ready,
one set of numbers through Stop and resume, and the upload, send and results steps pictured
at a laptop's 1366x768."""

from __future__ import annotations

import re
import shutil

import pytest

from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox

from . import pages
from .pages import expect, find
from .support import ROOT, campaign_rows, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGS = ("es", "en")
TOKEN = "tkn-flow-browser-2207"
MISTAKES = ROOT / "sample_data" / "campaigns-with-mistakes.csv"
LAPTOP = {"width": 1366, "height": 768}


def _counts(page) -> dict[str, int]:
    """The run's numbers as the page shows them (_tally.html)."""
    out = {}
    for name in ("problems", "to-send", "existing", "sent", "left"):
        out[name] = int(find(page, f"tally-{name}").inner_text())
    out["done"], out["of"] = pages.progress(page)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_a_wrong_token_keeps_the_person_on_send_with_the_field_ready(
    start_web, page, tmp_path, shots, lang
):
    n = 4
    sheet = write_xlsx(tmp_path / "token.xlsx", campaign_rows(n, prefix=f"Token {lang}"))
    with Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS)) as box:
        server = start_web("--base-url", box.url, simulate=False)
        pages.open_page(page, server.url, lang)
        pages.upload(page, sheet)
        pages.to_send(page)
        find(page, "token-input").fill("not-the-token")
        find(page, "send").click()

        refusal = find(page, "refusal")
        expect(refusal).to_be_visible()
        expected = "wolkvox no aceptó el token" if lang == "es" else "wolkvox did not accept"
        expect(refusal).to_contain_text(expected)
        expect(refusal).to_contain_text("PLEASE VALIDATE TOKEN")
        expect(refusal).not_to_contain_text("--")
        assert page.url.endswith("/send")
        token = find(page, "token-input")
        expect(token).to_be_focused()
        expect(token).to_have_value("")
        expect(find(page, "progress")).to_have_count(0)  # no run, no results
        assert not list(server.workdir.rglob("*.retry.xlsx"))
        assert not list(server.workdir.rglob("*.journal.jsonl"))
        assert box.state.snapshot()["create_calls"] == 0
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"04-send-refused-{lang}.png"))
        assert pages.run_axe(page) == []

        page.keyboard.type(TOKEN)  # the focus is where the person left off
        page.keyboard.press("Enter")
        pages.expect_statuses(page, {row: "created" for row in range(2, n + 2)})
    assert sorted(box.state.created_names()) == sorted(
        r["campaign_name"] for r in campaign_rows(n, prefix=f"Token {lang}")
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_numbers_add_up_through_stop_and_resume(start_web, page, tmp_path, lang):
    rows = campaign_rows(7, prefix=f"Cuenta {lang}")
    rows[6]["skill_id"] = "10A"  # sheet row 8: a problem, never sent
    existing = rows[0]["campaign_name"]  # sheet row 2: in wolkvox already
    sheet = write_xlsx(tmp_path / "cuentas.xlsx", rows)
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN, encoding="utf-8")
    config = Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS, latency=0.3,
                    existing=[existing])  # fmt: skip
    with Sandbox(config) as box:
        server = start_web("--base-url", box.url, "--token-file", str(token_file), simulate=False)
        pages.open_page(page, server.url, lang)
        pages.upload(page, sheet)
        pages.to_send(page)
        words = "Se enviarán 6 filas" if lang == "es" else "6 rows will be sent"
        expect(find(page, "to-send-count")).to_contain_text(words)
        find(page, "send").click()
        pages.wait_progress_at_least(page, 2)
        assert pages.progress(page)[1] == 6
        find(page, "stop").click()
        pages.wait_all_final(page, [2, 3])

        stopped = _counts(page)
        assert stopped["of"] == 6 and stopped["problems"] == 1 and stopped["existing"] == 1
        assert stopped["done"] == stopped["existing"] + stopped["sent"] < 6
        assert stopped["left"] == 6 - stopped["done"]
        assert pages.run_axe(page) == []
        find(page, "resume").click()

        pages.expect_progress(page, 6, 6, deadline=30)
        final = _counts(page)
        assert final == {"problems": 1, "to-send": 6, "existing": 1, "sent": 5, "left": 0,
                         "done": 6, "of": 6}  # fmt: skip
        status = pages.row_status(page, 2)
        assert status == "exists"
        label = find(page, "row-status-2").inner_text()
        assert label == ("ya existía" if lang == "es" else "already existed")
    assert box.state.create_calls == 5


@pytest.mark.parametrize("lang", LANGS)
def test_upload_send_and_results_pass_axe_and_are_pictured(
    browser, start_web, tmp_path, shots, lang
):
    """At 1366x768: every step, the values step and the review's grid included, checked
    with axe."""
    locale = "es-CO" if lang == "es" else "en-US"
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True, locale=locale)
    page = context.new_page()
    sheet = shutil.copy(MISTAKES, tmp_path / "campañas.csv")
    # slow enough that the sending step is still on screen while axe looks at it
    server = start_web("--simulate-latency", "1.0")
    found: dict[str, list[str]] = {}
    shots.mkdir(parents=True, exist_ok=True)

    def step(name: str, show: str = "") -> None:
        if show:
            page.locator(show).evaluate("el => el.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(shots / f"{name}-{lang}.png"))
        found[name] = pages.run_axe(page)

    try:
        pages.open_page(page, server.url, lang)
        expect(find(page, "download-template")).to_be_visible()
        expect(find(page, "workdir")).to_contain_text(str(server.workdir.name))
        page.evaluate("() => document.activeElement.blur()")  # the language switch pressed
        step("01-upload")
        find(page, "file-input").set_input_files(str(sheet))
        # the columns step, with the values found in the fixed-value columns
        expect(find(page, "values-type_campaign")).to_be_visible()
        step("02-columns", show="#values-title")
        find(page, "columns-continue").click()
        pages.expect_problem_count(page, 12)
        pages.cell_editor(page, 8, "skill_id").focus()  # its problem shows on focus
        step("03-review", show="#rows-title")
        pages.edit(page, 8, "skill_id", "108")
        pages.edit(page, 3, "campaign_name", "Cobranza febrero")
        pages.expect_problem_count(page, 9)
        pages.to_send(page)
        expect(find(page, "plan")).to_be_visible()
        expect(find(page, "plan-time")).to_contain_text(re.compile(r"\d+:\d\d"))
        step("04-send")
        find(page, "send").click()
        pages.wait_progress_at_least(page, 1)
        step("05-sending")
        pages.expect_statuses(page, {row: "created" for row in (2, 3, 8, 12)})
        expect(find(page, "tally")).to_be_visible()
        # The sending step moves on to the results by itself: axe must look at the page
        # that stays, not at one being left.
        page.wait_for_url(re.compile(r"/results(\?.*)?$"))
        page.wait_for_load_state()
        step("06-results", show="#downloads-title")
    finally:
        context.close()
    assert not any(found.values()), found
