"""The page without dead ends: a refused token keeps the person on Send, one set of numbers
from Send to the results, the calls and the time before sending, the page's own advice in
place of the command line's, error pages in the person's language, and the help where the
person needs it."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from starlette.testclient import TestClient

from importer import i18n, job
from importer.i18n import _
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.web import sending
from importer.web.routes import create_app
from importer.web.uploads import FORM_OVERHEAD
from importer.web.wording import PAGE_WORDS, page_words, split_said

from .conftest import ROOT, row, write_csv
from .test_web import BASE, page_for, statuses
from .webkey import at_root

TOKEN = "tkn-flow-7731"
PO = ROOT / "importer" / "locale" / "es" / "LC_MESSAGES" / "wolkvox_import.po"


def _spanish(page) -> None:
    page.client.cookies.set("wolkvox_lang", "es")


def _journals(work: Path) -> list[Path]:
    return list(work.rglob("*.journal.jsonl"))


def _retry_files(work: Path) -> list[Path]:
    return list(work.rglob("*.retry.xlsx"))


# --- a refused token ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_wrong_token_keeps_the_person_on_send_with_the_field_ready_and_nothing_marked(
    tmp_path, lang
):
    work = tmp_path / "work"
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS)) as box,
        page_for(work, simulate=False, base_url=box.url, language=lang) as page,
    ):
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno"), row("Dos"), row("Tres")]))
        told = page.post("/send", {"token": "not-the-token"})
        assert told.url.path == "/send" and told.status_code == 400
        text = told.text
        with i18n.using(lang):
            sentence = _(PAGE_WORDS[next(k for k in PAGE_WORDS if k.startswith("wolkvox did"))])
            assert sentence in text
            assert (
                _("Nothing was sent and nothing was marked: put that right, then send again.")
                in text
            )
        if lang == "es":
            assert "wolkvox no aceptó el token; revíselo y escríbalo de nuevo" in text
        assert "PLEASE VALIDATE TOKEN" in text  # wolkvox's words, beside the sentence
        for advice in ("--token-file", "WOLKVOX_TOKEN", "--no-skip-existing", "--resume"):
            assert advice not in text
        assert "not-the-token" not in text
        # the token field is ready again: empty, focused, marked
        field = re.search(r'<input type="password" id="token"[^>]*>', text)
        assert field and "autofocus" in field.group() and 'aria-invalid="true"' in field.group()
        assert "value=" not in field.group()
        assert 'data-testid="send"' in text and 'data-testid="results"' not in text
        # nothing marked, nothing kept: no run, no journal, no retry file, no results step
        assert page.get("/progress").json()["state"] == "none"
        assert page.get("/results").url.path == "/"
        assert _journals(work) == [] and _retry_files(work) == []
        assert not (work / "runs").exists() or not any((work / "runs").iterdir())
        assert box.state.snapshot()["create_calls"] == 0
        # told once: the Send page is as before on the next visit
        assert "PLEASE VALIDATE TOKEN" not in page.get("/send").text

        page.post("/send", {"token": TOKEN})
        assert page.wait_run()["state"] == "finished"
        assert statuses(page.get("/results").text) == ["created"] * 3


def test_a_wrong_token_on_resume_keeps_the_run_unfinished_and_offers_it_again(tmp_path):
    work = tmp_path / "work"
    rows = [row(f"R{i}") for i in range(4)]
    with Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(work, simulate=False, base_url=box.url) as page:
            page.upload(write_csv(tmp_path / "r.csv", rows))
            page.post("/send", {"token": TOKEN})
            page.wait_for(lambda s: s["done"] >= 1)
            page.post("/stop")
            page.wait_run()
        with page_for(work, simulate=False, base_url=box.url) as again:
            told = again.post("/resume", {"token": "not-the-token"})
            assert told.url.path == "/send" and "PLEASE VALIDATE TOKEN" in told.text
            assert "resume it again" in told.text
            resume_field = re.search(r'<input type="password" id="resume-token"[^>]*>', told.text)
            assert resume_field and "autofocus" in resume_field.group()
            assert again.ctx.runs.interrupted() is not None  # still unfinished, resumable
            again.post("/resume", {"token": TOKEN})
            assert again.wait_run()["state"] == "finished"
            assert statuses(again.get("/results").text) == ["created"] * 4
    assert sorted(box.state.created_names().values()) == [1] * 4


def test_the_command_line_writes_nothing_when_the_token_is_refused_before_sending(
    tmp_path, monkeypatch
):
    from importer.cli import commands as cli

    from .conftest import run_cli
    from .test_cli import sheet

    with Sandbox(Config(tokens=frozenset({TOKEN}))) as box:
        src = sheet(tmp_path, row("Uno"), row("Dos"))
        monkeypatch.setenv("WOLKVOX_TOKEN", TOKEN)
        assert run_cli("run", src, "--base-url", box.url).code == cli.ExitCode.OK
        before = sorted(p.name for p in tmp_path.iterdir())
        monkeypatch.setenv("WOLKVOX_TOKEN", "not-the-token")
        result = run_cli("run", src, "--base-url", box.url)
        assert result.code == cli.ExitCode.API_STOPPED
        assert "wolkvox did not accept the token" in result.err
        assert "Nothing was sent and no file was written" in result.err
        assert "run the same command again" in result.err
        assert "retry file" not in result.out + result.err
        assert "--no-skip-existing" not in result.out + result.err
        # the first run's files stay as they were: nothing archived, nothing added
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        assert box.state.create_calls == 2


# --- wolkvox's own words, in the person's language ----------------------------------------


def test_results_show_the_sentence_with_wolkvoxs_words_apart_and_status_words(tmp_path):
    # the review checks the skill ids itself now: a refusal the page cannot foresee
    with (
        Sandbox(Config(faults={"Dos": ["required"]})) as box,
        page_for(tmp_path / "work", sandbox=box, language="es") as page,
    ):
        _spanish(page)
        page.upload(write_csv(tmp_path / "s.csv", [row("Uno"), row("Dos")]))
        page.post("/send")
        page.wait_run()
        html = page.get("/results").text
    assert "wolkvox indica que falta un campo obligatorio en esta fila" in html
    said = re.search(r'<span class="said" lang="en">\((wolkvox: HTTP 400 [^)]*)\)</span>', html)
    assert said, "wolkvox's words are not shown apart from the sentence"
    assert ">creada<" in html and ">fallida<" in html  # the statuses in Spanish
    assert 'class="code">created' not in html and ">failed<" not in html


def test_split_said_keeps_the_servers_parentheses():
    message = (
        "not sent: the run stopped (busy (wolkvox: HTTP 403 EXCEEDS THE LIMIT OF SIMULTANEOUS "
        "REQUESTS PER TOKEN (2)); still so after 0 s of retries)"
    )
    sentence, said = split_said(message)
    assert said == "wolkvox: HTTP 403 EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
    assert sentence == "not sent: the run stopped (busy; still so after 0 s of retries)"
    assert split_said("created with id 7") == ("created with id 7", "")


# --- the calls and the time, before Send ------------------------------------------------


@pytest.mark.parametrize(("n", "days"), [(3, 1), (1200, 2)])
def test_send_shows_the_calls_against_the_daily_quota_and_an_estimate(tmp_path, n, days):
    rows = [row(f"Fila {i:04d}") for i in range(n)]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "q.csv", rows))
        html = page.get("/send").text
    assert f"up to {n + 1:,} calls" in html or f"up to {n + 1} calls" in html
    assert ("it takes 2 days" in html) == (days == 2)
    assert "an estimate" in html
    plan = sending.Plan(n, 1.0)
    assert plan.calls == n + 1 and plan.days == days
    assert f"about {plan.time}" not in html or plan.per_call == 1.0


def test_the_estimate_uses_the_documented_pace_against_a_real_server(tmp_path):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}), skills=DEMO_SKILLS)) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url) as page,
    ):
        page.upload(write_csv(tmp_path / "q.csv", [row(f"F{i}") for i in range(59)]))
        html = page.get("/send").text
    # 60 calls at the documented 1 s each
    assert "about 1:00" in html and "about 1 s per call" in html


# --- one set of numbers ----------------------------------------------------------------------


def _tally(html: str) -> dict[str, int]:
    found = dict(re.findall(r'data-testid="tally-([a-z-]+)">(\d+)<', html))
    progress = re.search(r'data-testid="progress"[^>]*>(\d+)/(\d+)<', html)
    assert progress, "no done/to send on the page"
    out = {k: int(v) for k, v in found.items()}
    out["done"], out["of"] = int(progress.group(1)), int(progress.group(2))
    return out


def test_the_numbers_add_up_with_a_row_that_exists_and_one_with_problems(tmp_path):
    rows = [row("Uno"), row("Dos"), row("Tres"), row("Mal", skill_id="1O1")]
    with (
        Sandbox(Config(skills=DEMO_SKILLS, existing=["Dos"])) as box,
        page_for(tmp_path / "work", sandbox=box) as page,
    ):
        page.upload(write_csv(tmp_path / "n.csv", rows))
        send = page.get("/send").text
        assert "3 rows will be sent" in send and "4 rows read" in send
        page.post("/send")
        state = page.wait_run()
        assert state["text"] == "3/3"
        assert state["tally"] == {
            "rows": 4, "problems": 1, "to_send": 3, "done": 3, "existing": 1, "sent": 2,
            "left": 0, "counts": {"exists": 1, "created": 2},
        }  # fmt: skip
        got = _tally(page.get("/results").text)
    assert got == {"problems": 1, "to-send": 3, "existing": 1, "sent": 2, "left": 0,
                   "done": 3, "of": 3}  # fmt: skip


def test_the_numbers_stay_one_set_through_stop_and_resume(tmp_path):
    work = tmp_path / "work"
    rows = [row(f"R{i}") for i in range(6)]
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1, existing=["R0"])) as box:
        with page_for(work, sandbox=box) as page:
            page.upload(write_csv(tmp_path / "r.csv", rows))
            page.post("/send")
            first = page.wait_for(lambda s: s["done"] >= 2)
            assert first["total"] == 6  # the existing row counts among the rows to send
            page.post("/stop")
            stopped = page.wait_run()
            done = stopped["tally"]["done"]
            assert stopped["text"] == f"{done}/6" and stopped["tally"]["left"] == 6 - done
            results = _tally(page.get("/results").text)
            assert (results["done"], results["of"], results["existing"]) == (done, 6, 1)
            assert f"{done} rows to send are done" in page.get("/results").text
        with page_for(work, sandbox=box) as again:
            unfinished = again.get("/send").text
            assert 'data-testid="unfinished"' in unfinished
            assert _tally(unfinished)["done"] == done and _tally(unfinished)["of"] == 6
            again.post("/resume")
            resumed = again.wait_for(lambda s: s["state"] != "running" or s["begun"])
            assert resumed["total"] == 6 and resumed["done"] >= done
            end = again.wait_run()
            assert end["text"] == "6/6" and end["tally"]["existing"] == 1
    assert box.state.created_names() == {f"R{i}": 1 for i in range(6)}  # R0 was there before
    assert box.state.create_calls == 5


def test_sending_everything_again_reads_as_all_existing_not_zero_of_zero(tmp_path):
    rows = [row("Uno"), row("Dos")]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "a.csv", rows))
        page.post("/send")
        page.wait_run()
        page.upload(write_csv(tmp_path / "a.csv", rows))
        page.post("/send")
        state = page.wait_run()
    assert state["text"] == "2/2"
    assert state["tally"]["existing"] == 2 and state["tally"]["sent"] == 0


def test_closing_a_run_reads_as_closing_not_as_cancelling(tmp_path):
    work = tmp_path / "work"
    with (
        Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box,
        page_for(work, sandbox=box, language="es") as page,
    ):
        _spanish(page)
        page.upload(write_csv(tmp_path / "c.csv", [row(f"C{i}") for i in range(4)]))
        page.post("/send")
        page.wait_for(lambda s: s["done"] >= 1)
        page.post("/stop")
        page.wait_run()
        html = page.get("/results").text
    assert "Cerrar este envío y escribir sus resultados" in html
    assert "Terminar este envío" not in html


# --- the page's own advice -------------------------------------------------------------------


def _catalogue() -> dict[str, str]:
    with open(PO, "rb") as fh:
        cat = read_po(fh)
    return {(m.id if isinstance(m.id, str) else m.id[0]): m.id for m in cat if m.id}


#: Texts that name an option or a command but never reach the page, and why.
CLI_ONLY = {
    # the command line's own options, help and errors
    "--base-url {url}": "the page takes no --base-url from the person",
    "--delimiter": "the page reads the delimiter itself",
    "--encoding {encoding}": "the page has no --encoding",
    "{name} is not valid {encoding}": "only with --encoding",
    "--fault": "the sandbox command",
    "{path} already exists and was left as it is": "the template command (the page always "
    "writes its own copy)",
    "--max-unknown": "checked when the page starts",
    "--max-upload-mb": "checked when the page starts",
    "--workdir {path} is a file": "checked when the page starts",
    "cannot create the folder {path} ({why}); choose another --workdir": "checked when the "
    "page starts",
    "--out {out} ": "the page names every run's files itself",
    "--sheet only applies": "the page has no --sheet",
    "--skills {name}": "read when the page starts",
    "--timeout": "checked when the page starts",
    "--token-file {path}": "read when the page starts",
    "COMMAND": "--help",
    "Close the file if it is open in Excel, or choose another --out.": "a dry run's",
    "Nothing is lost: close the file": "no control of the page writes a run again: report does",
    "The file is larger than {limit} MB": "the page's own, naming its start option",
    "This page needs its key": "the page's own: the key is in the printed address",
    "an unfinished run's journal is at": "the page refuses with its own words first",
    "another wolkvox-import": "no option: wait for the other one",
    "cannot listen on": "starting",
    "cannot move the previous run's": "the page's runs each have a folder of their own",
    "cannot write in the folder {folder} ({why}): the page keeps": "the page's own; names "
    "its start option",
    "does what was asked": "the sandbox command",
    "Each predictive campaign is started when all its records are in": "the page's own "
    "help for its start box: names --start, and --into-existing, which the page does not offer",
    "file holding the token": "--help",
    "go on with the interrupted": "--help",
    "interrupted: run the same command": "the terminal's report",
    "interrupted: start the page again": "printed by the page's command",
    "know only the demo": "--help",
    "no server: pass --server": "the page asks for the server",
    "no token: set WOLKVOX_TOKEN": "the page asks for the token",
    "nothing to resume": "the page resumes only journals with a run",
    "same as run --dry-run": "--help",
    "the journal {path} is damaged": "the page does not offer damaged journals",
    "the run's results workbook (its --out": "--help",
    "there is no journal at {path}": "report",
    "wait this long after an unclear": "--help",
    "warning: listening on": "printed by the page's command",
    "your --token": "the sandbox command",
    "{file} changed since the run being resumed": "the page's run reads its own copy",
    "{out} holds the results of a real run": "a dry run's",
    "{path} is not named like a journal": "report",
    "{prog}: internal error": "the terminal's",
    "another wolkvox-import page is using the folder": "starting",
    # undo, history and the live skills list: the command line's for now
    "no answer to the question": "undo's typed confirmation",
    "no runs in {folder}": "history",
    # only the command line's simulation ends with its command (the page's lives on)
    "this run was a simulation (--simulate)": "undo of a command line simulation",
    "no campaign with campaign_id {value} in this simulation": "records, command line simulation",
    "unfinished: resume it (--resume)": "history",
    "{why}. Nothing was sent. Run the same command again, or give the skills": "the page "
    "keeps to --skills",
    "{why}. Nothing was sent; run the same command again later.": "the page keeps to --skills",
    # the records' check stage: records do not reach the page yet
    "--country must be": "records",
    "--phone-format must be": "records",
    "{name} has a header (row {row}) but no records": "records",
    "{name}: the records need": "records",
    "{value} is a number of country code": "records",
    # the launch: records and starts do not reach the page yet
    "--batch-size must be": "records",
    "--list-interval {value} is below": "the page keeps the default",
    "--records {path}: no such file": "records",
    "--resume must read the same records": "records",
    "--resume must use the same {options} as the run it resumes;": "records",
    "give the spreadsheet to read (or --records": "the page always has one",
    "not sent: the campaign {name} existed before this run": "records",
    "not started: the answer was unclear": "records",
    "records retry file:": "records",
    # a run of the page has a folder of its own, and loads into existing campaigns only
    # records named by id: a run before in the same folder is one it resumes
    "{n} of these records (row {rows}) was added already (or": "a run's own folder",
    "sent, but the run ended before the answer was recorded; run again with --resume to "
    "check it against the campaign's record count": "records",
    "the records changed since the run": "records",
}
_ADVICE = re.compile(r"--[a-z]|run again|same command|wolkvox-import [a-z]|WOLKVOX_TOKEN")


def test_every_text_naming_a_command_option_has_the_pages_words_or_never_reaches_the_page():
    texts = _catalogue()
    page_texts = set(PAGE_WORDS.values())
    loose = [
        t for t in texts
        if _ADVICE.search(t) and t not in PAGE_WORDS and t not in page_texts
        and not any(t.startswith(prefix) for prefix in CLI_ONLY)
    ]  # fmt: skip
    assert loose == [], "give these the page's words in importer/web/wording.py, or list why not"


def test_the_pages_words_replace_texts_the_engine_has_with_the_same_placeholders():
    texts = _catalogue()
    for engine, page in PAGE_WORDS.items():
        assert engine in texts, f"the engine no longer says: {engine!r}"
        assert page in texts, f"not extracted for translation: {page!r}"
        assert not _ADVICE.search(page), page
        assert set(re.findall(r"\{(\w+)\}", page)) <= set(re.findall(r"\{(\w+)\}", engine))


def test_the_engine_speaks_the_pages_words_only_on_the_page():
    from importer.check import schema

    message = schema.MESSAGES[schema.Rule.TYPE_REQUIRED]
    assert "--type" in _(message)
    with page_words():
        assert _(message) == "type_campaign is empty; write preview or predictive"
        with i18n.using("es"):
            assert _(message) == "type_campaign está vacío; escriba preview o predictiva"
    assert "--type" in _(message)


def test_a_sheet_without_data_rows_and_an_empty_type_say_what_to_do_on_the_page(tmp_path):
    with page_for(tmp_path / "work", language="es") as page:
        _spanish(page)
        empty = page.upload(write_csv(tmp_path / "vacía.csv", []))
        assert "súbalo de nuevo" in empty.text and "vuelva a ejecutar" not in empty.text
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno", type_campaign="")]))
        review = page.get("/review?only=1").text
        assert "type_campaign está vacío; escriba preview o predictiva" in review
        assert "--type" not in review


# --- error pages ---------------------------------------------------------------------------


def test_a_form_address_opened_directly_leads_to_its_page(tmp_path):
    with page_for(tmp_path / "work") as page:
        landing = page.get("/upload")
        assert landing.url.path == "/" and 'data-testid="file-input"' in landing.text
        assert page.get("/resume").url.path == "/"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_error_pages_speak_the_persons_language_in_the_pages_layout(tmp_path, lang):
    with page_for(tmp_path / "work") as page:
        page.client.cookies.set("wolkvox_lang", lang)
        missing = page.get("/nothing-here")
        wrong_method = page.client.put("/upload")
        no_csrf = page.client.post("/send", data={})
    with i18n.using(lang):
        expected = {
            404: _("There is no such page here"),
            405: _("This address takes a form of the page"),
            403: _("This request was refused"),
        }
    for answer in (missing, wrong_method, no_csrf):
        assert answer.status_code in expected
        assert expected[answer.status_code] in answer.text
        assert f'<html lang="{lang}">' in answer.text and 'class="steps"' in answer.text
        assert "Method Not Allowed" not in answer.text and "Not Found" not in answer.text


def test_a_fault_is_a_page_in_the_persons_language_naming_only_its_kind(tmp_path, monkeypatch):
    def broken(request):
        raise RuntimeError("secret cell text")

    monkeypatch.setattr(sending, "results_page", broken)
    with page_for(tmp_path / "work") as page:
        app = create_app(page.ctx)
        client = TestClient(at_root(app, page.ctx.secrets.root), base_url=BASE,
                            raise_server_exceptions=False)  # fmt: skip
        client.cookies.set("wolkvox_lang", "es")
        answer = client.get("/results")
    assert answer.status_code == 500
    assert "Algo falló en la página" in answer.text and "RuntimeError" in answer.text
    assert "secret cell text" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_a_file_too_large_is_told_on_the_upload_page(tmp_path):
    with page_for(tmp_path / "work", max_upload=1000, language="es") as page:
        _spanish(page)
        big = tmp_path / "big.csv"
        big.write_bytes(b"campaign_name,skill_id\r\n" + b"x" * (FORM_OVERHEAD + 5000))
        answer = page.upload(big)
    assert answer.status_code == 413
    assert '<html lang="es">' in answer.text and 'data-testid="file-input"' in answer.text


# --- the port, again at once ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_on(port: int, workdir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "importer", "web", "--no-browser", "--simulate", "--port",
         str(port), "--workdir", str(workdir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_the_page_starts_again_at_once_on_the_port_it_just_left(tmp_path):
    port = _free_port()
    first = _start_on(port, tmp_path / "one")
    try:
        assert first.stdout is not None
        url = first.stdout.readline().strip()
        assert url.startswith(f"http://127.0.0.1:{port}/")
        # A connection the page closes itself leaves its side in TIME-WAIT on the port.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/" + url.split("key=")[1] + "/")
        conn.getresponse().read()
        first.terminate()
        first.wait(15)
        conn.close()
    finally:
        if first.poll() is None:
            first.kill()
    second = _start_on(port, tmp_path / "two")
    try:
        assert second.stdout is not None and second.stderr is not None
        line = second.stdout.readline().strip()
        assert line.startswith(f"http://127.0.0.1:{port}/"), second.stderr.read()
    finally:
        second.kill()
        second.wait(10)


# --- help where it is needed -----------------------------------------------------------------


def test_upload_links_the_template_and_says_where_files_are_kept(tmp_path):
    work = tmp_path / "work"
    with page_for(work) as page:
        html = page.get("/").text
        assert 'data-testid="download-template"' in html
        assert str(work) in html
        template = page.get("/download/template")
    assert template.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(template.content)
    book = load_workbook(path, read_only=True)
    header = [c for c in next(book.worksheets[0].iter_rows(values_only=True)) if c]
    assert header[:2] == ["campaign_name", "campaign_description"] and "skill_id" in header


def test_a_new_upload_asks_first_when_it_would_discard_edits(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "e.csv", [row("Uno"), row("Dos", skill_id="x")]))
        plain = page.get("/").text
        assert 'data-testid="file-input"' in plain and 'data-testid="replace-hint"' in plain
        page.edit(3, "skill_id", "102")
        asked = page.get("/").text
        assert 'data-testid="discard-warning"' in asked and 'data-testid="file-input"' not in asked
        assert "1 cell you changed" in asked
        confirmed = page.get("/?replace=1").text
        assert 'data-testid="file-input"' in confirmed and "cell is discarded" in confirmed


def test_the_token_field_says_who_generates_a_token(tmp_path):
    with (
        Sandbox(Config(tokens=frozenset({TOKEN}))) as box,
        page_for(tmp_path / "work", simulate=False, base_url=box.url, language="es") as page,
    ):
        _spanish(page)
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno")]))
        html = page.get("/send").text
    assert "Un administrador de su operación lo genera en wolkvox Manager" in html


def test_nothing_sent_names_its_reason_and_answer():
    from importer.send.answers import classify

    answer = classify(403, json.dumps({"code": 403, "msg": "PLEASE VALIDATE TOKEN"}))
    refused = job.NothingSent(answer, resume=False)
    assert refused.answer.reason == "token" and "PLEASE VALIDATE TOKEN" in str(refused)
