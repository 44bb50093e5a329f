"""The page sends exactly what its review checked, and leaves no run of its folder behind."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from importer.check import schema
from importer.check.problems import DESCRIPTIONS, RECORD_RULES, Rule
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.send.journal import journal_path, read
from importer.web import workspace

from .conftest import read_results, row, run_cli, write_csv, write_xlsx
from .test_web import page_for, statuses
from .test_web_server import _client, _start, _wait

#: Rules that only add a note: the row is still sent.
NOTES = {Rule.SKILL_ZERO_PADDED, Rule.HEADER_ALIAS}
HEADER = ["campaign_name", "type_campaign", "start_time", "end_time", "skill_id"]


@dataclass(frozen=True)
class Case:
    """A sheet of two rows, the first (sheet row 2) breaking ``rule``."""

    rule: str
    write: Callable[[Path], Path]
    options: schema.Options = field(default_factory=schema.Options)
    #: the statuses of the sheet's rows after the run
    statuses: tuple[str, ...] = ("invalid", "created")


def _csv_text(text: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "sheet.csv"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _rows(
    bad: dict[str, Any], header: list[str] = HEADER, *more: dict[str, Any]
) -> Callable[[Path], Path]:
    """An xlsx with the bad row at row 2 (then ``more``) and a valid row (Good) last."""

    def write(folder: Path) -> Path:
        good = {"campaign_name": "Good", "type_campaign": "preview", "skill_id": "101"}
        body = [[r.get(h) for h in header] for r in (bad, *more, good)]
        return write_xlsx(folder / "sheet.xlsx", [header, *body])

    return write


def _predictive(**values: Any) -> dict[str, Any]:
    return {"campaign_name": "Bad", "type_campaign": "predictive", "start_time": "08:00",
            "end_time": "18:00", "skill_id": "101", **values}  # fmt: skip


CASES = [
    Case(
        Rule.EXTRA_FIELDS,
        _csv_text(
            "campaign_name,skill_id,type_campaign,campaign_description\n"
            "Bad,101,preview,Cartera 30, 60 y 90 dias\nGood,101,preview,x\n"
        ),
    ),
    Case(
        Rule.EXCEL_ERROR,
        _rows({"campaign_name": "Bad", "type_campaign": "preview", "skill_id": "#N/A"}),
    ),
    Case(
        Rule.NAME_REQUIRED,
        _rows({"campaign_name": None, "type_campaign": "preview", "skill_id": "101"}),
    ),
    Case(
        Rule.DUPLICATE_NAME,
        _rows(
            {"campaign_name": "Dup", "type_campaign": "preview", "skill_id": "101"},
            HEADER,
            {"campaign_name": "dup ", "type_campaign": "preview", "skill_id": "102"},
        ),
        statuses=("invalid", "invalid", "created"),
    ),
    Case(Rule.TYPE_REQUIRED, _rows({"campaign_name": "Bad", "skill_id": "101"})),
    Case(
        Rule.TYPE_VALUE,
        _rows({"campaign_name": "Bad", "type_campaign": "manual", "skill_id": "101"}),
    ),
    Case(Rule.SKILL_REQUIRED, _rows({"campaign_name": "Bad", "type_campaign": "preview"})),
    Case(
        Rule.SKILL_DIGITS,
        _rows({"campaign_name": "Bad", "type_campaign": "preview", "skill_id": "10A"}),
    ),
    Case(
        Rule.SKILL_EXISTS,
        _rows({"campaign_name": "Bad", "type_campaign": "preview", "skill_id": "109"}),
        schema.Options(skills={"101": "Ventas"}),
    ),
    Case(
        Rule.EDITION_VALUE,
        _rows(
            {
                "campaign_name": "Bad",
                "type_campaign": "preview",
                "skill_id": "101",
                "enable_edition": "quizás",
            },
            [*HEADER, "enable_edition"],
        ),
    ),
    # a date cell without a time, in a time column
    Case(Rule.START_TIME_FORMAT, _rows(_predictive(start_time=dt.date(2026, 12, 1)))),
    Case(Rule.END_TIME_FORMAT, _rows(_predictive(end_time="25:99"))),
    Case(
        Rule.START_TIME_DATE,
        _rows(_predictive(start_time="08:00", end_time="2026-12-01 18:00")),
        schema.Options(time_format="datetime"),
    ),
    Case(
        Rule.END_TIME_DATE,
        _rows(_predictive(start_time="2026-12-01 08:00", end_time="18:00")),
        schema.Options(time_format="datetime"),
    ),
    Case(Rule.START_REQUIRED, _rows(_predictive(start_time=None))),
    Case(Rule.END_REQUIRED, _rows(_predictive(end_time=None))),
    Case(Rule.END_AFTER_START, _rows(_predictive(start_time="18:00", end_time="08:00"))),
    # a workbook cannot hold the character, so the sheet is a CSV
    Case(
        Rule.UNSTORABLE_CHARACTER,
        _csv_text(
            "campaign_name,skill_id,type_campaign\nBad\x01Name,101,preview\nGood,101,preview\n"
        ),
    ),
    # no workbook holds such a cell: only a CSV can
    Case(
        Rule.CELL_TOO_LONG,
        _csv_text(
            "campaign_name,skill_id,type_campaign,campaign_description\n"
            f"Bad,101,preview,{'d' * 40_000}\nGood,101,preview,x\n"
        ),
    ),
    Case(
        Rule.NAME_TOO_LONG,
        _rows({"campaign_name": "C" * 101, "type_campaign": "preview", "skill_id": "101"}),
    ),
]


def test_every_row_rule_has_a_case_on_the_pages_path():
    rules = {str(r) for r in DESCRIPTIONS} - NOTES - RECORD_RULES
    assert rules == {str(c.rule) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c.rule))
def test_a_row_the_review_calls_invalid_is_never_sent(tmp_path, case):
    with Sandbox(Config(skills=DEMO_SKILLS)) as box:
        with page_for(tmp_path / "work", sandbox=box, options=case.options) as page:
            review = page.upload(case.write(tmp_path))
            if review.url.path == "/columns":  # values the check refuses: offered first
                assert str(case.rule) in {"type_value", "edition_value"}
                review = page.get("/review")
            assert review.url.path == "/review"
            reviewed = page.ctx.workspace.checked
            assert reviewed is not None and 2 in reviewed.invalid
            assert case.rule in {p.rule for p in reviewed.invalid[2]}
            bad = case.statuses.count("invalid")
            assert (
                f"{bad} row{'s' if bad > 1 else ''} with problems will not be sent" in review.text
            )
            page.post("/send")
            assert page.wait_run()["state"] == "finished"
            assert statuses(page.get("/results").text) == list(case.statuses)
            got = read_results(page.ctx.runs.current.out)
        assert tuple(r["status"] for r in got) == case.statuses
        assert set(box.state.created_names()) == {"Good"}
        assert box.state.snapshot()["create_calls"] == 1


def test_a_row_wider_than_its_header_keeps_its_own_words_in_the_results(tmp_path):
    sheet = tmp_path / "ov.csv"
    sheet.write_text(
        "campaign_name;skill_id;notas;type_campaign;campaign_description\n"
        "Cobranza OV;101;x;preview;Cartera 30; 60 y 90 dias\n"
        "Otra;101;;preview;normal\n",
        encoding="utf-8",
    )
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        shown = page.ctx.workspace.checked.invalid[2][0].message
        assert "6 fields but the header has 5" in shown
        page.post("/send")
        page.wait_run()
        got = {r["row"]: r for r in read_results(page.ctx.runs.current.out)}
    assert got[2]["status"] == "invalid" and got[2]["message"] == f"campaign_description: {shown}"
    assert got[2]["campaign_description"] == "Cartera 30"
    assert got[3]["status"] == "created"


def test_a_row_wider_than_its_header_stays_unsent_when_its_cells_are_edited(tmp_path):
    with Sandbox(Config(skills=DEMO_SKILLS)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(CASES[0].write(tmp_path))
            page.edit(2, "campaign_description", "Cartera 30, 60 y 90 dias")
            page.edit(3, "opt1", "a column the sheet lacks")
            page.post("/send")
            assert page.wait_run()["state"] == "finished"
            assert statuses(page.get("/results").text) == ["invalid", "created"]
        assert set(box.state.created_names()) == {"Good"}


def test_a_run_input_that_does_not_read_back_as_reviewed_stops_before_sending(
    tmp_path, monkeypatch
):
    real = workspace.write_run_input

    def lossy(path: Path, *args: Any) -> None:  # a writer that loses a row problem
        real(path, *args)
        text = re.sub(r",\s*60 y 90 dias", "", path.read_text(encoding="utf-8-sig"))
        path.write_text(text, encoding="utf-8-sig")

    monkeypatch.setattr(workspace, "write_run_input", lossy)
    with Sandbox(Config(skills=DEMO_SKILLS)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(CASES[0].write(tmp_path))
            refused = page.post("/send")
            assert refused.status_code == 400
            assert "does not read back exactly as it was reviewed (rows 2 differ)" in refused.text
            assert page.get("/progress").json() == {"state": "none"}
            assert not list((tmp_path / "work" / "runs").iterdir())
        assert box.state.snapshot()["create_calls"] == 0


# --- no run left behind --------------------------------------------------------------


def _stopped_run(page: Any, sheet: Path, at_least: int = 1) -> None:
    """Send ``sheet`` and press Stop once ``at_least`` rows are done: an unfinished run."""
    page.upload(sheet)
    page.post("/send")
    page.wait_for(lambda s: s["done"] >= at_least)
    page.post("/stop")
    page.wait_run()


def test_while_a_run_is_unfinished_another_send_is_refused_with_resume_or_close(tmp_path):
    work = tmp_path / "work"
    first = write_csv(tmp_path / "first.csv", [row(f"F{i}") for i in range(6)])
    other = write_csv(tmp_path / "other.csv", [row("Otra")])
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(work, sandbox=box) as page:
            _stopped_run(page, first)
        with page_for(work, sandbox=box) as again:  # started again on the same folder
            assert 'data-testid="resume"' in again.get("/").text
            again.upload(other)
            refused = again.post("/send")
            assert refused.status_code == 409
            assert "The run of first.csv did not finish" in refused.text
            for choice in ('data-testid="resume"', 'data-testid="close-run"'):
                assert choice in refused.text
            assert 'data-testid="send"' not in again.get("/send").text
            assert "Otra" not in box.state.created_names()

            closed = again.post("/close")
            assert closed.url.path == "/results" and 'data-testid="closed"' in closed.text
            shown = statuses(closed.text)
            assert len(shown) == 6 and set(shown) == {"created", "not_sent"}
            out = work / "runs" / "1" / "campaigns.results.xlsx"
            assert read(journal_path(out)).finished
            rows = read_results(out)
            assert [r["status"] for r in rows] == shown
            assert all(r["message"] for r in rows if r["status"] == "not_sent")
            retry = again.get("/download/retry")
            assert retry.status_code == 200

            assert 'data-testid="resume"' not in again.get("/").text
            again.upload(other)
            again.post("/send")
            assert again.wait_run()["state"] == "finished"
        assert box.state.created_names()["Otra"] == 1
        assert all(n == 1 for n in box.state.created_names().values())


def test_a_row_in_flight_at_a_crash_is_unknown_when_the_run_is_closed(tmp_path):
    work = tmp_path / "work"
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(work, sandbox=box) as page:
            _stopped_run(page, write_csv(tmp_path / "k.csv", [row(f"K{i}") for i in range(5)]))
        journal = journal_path(work / "runs" / "1" / "campaigns.results.xlsx")
        state = read(journal)
        pending = next(r for r in sorted(state.hashes) if r not in state.outcomes)
        with journal.open("a", encoding="utf-8") as fh:  # what a kill -9 mid-request leaves
            fh.write(json.dumps({"event": "attempt", "row": pending, "at": 1.0}) + "\n")
        with page_for(work, sandbox=box) as again:
            results = again.post("/close").text
            assert f'data-testid="row-status-{pending}" data-status="unknown"' in results
            assert 'data-testid="unknown-hint"' in results
            assert len(statuses(results)) == 5
        closed = "the run was closed without checking it; look for the campaign in wolkvox manager"
        assert closed in results and "resume" not in results.split(closed)[0][-200:]
        (unknown,) = [r for r in read_results(journal.parent / "campaigns.results.xlsx")
                      if r["status"] == "unknown"]  # fmt: skip
        assert unknown["message"] == (
            "sent, but the answer was never recorded, and the run was closed without checking "
            "it; look for the campaign in wolkvox manager before sending it again"
        )


def test_the_journals_say_which_runs_are_unfinished_also_in_an_old_folder(tmp_path):
    work = tmp_path / "work"
    with Sandbox(Config(skills=DEMO_SKILLS, latency=0.1)) as box:
        with page_for(work, sandbox=box) as page:
            _stopped_run(page, write_csv(tmp_path / "viejo.csv", [row(f"V{i}") for i in range(4)]))
        # An older page's folder: no about.json, run.json naming the run, and a second
        # run it stranded (it pointed run.json elsewhere and never offered this one).
        (work / "runs" / "1" / "about.json").unlink()
        (work / "run.json").write_text(
            json.dumps({"folder": "runs/1", "name": "viejo.csv", "base_url": box.url,
                        "simulate": True}), encoding="utf-8")  # fmt: skip
        shutil.copytree(work / "runs" / "1", work / "runs" / "2")
        with page_for(work, sandbox=box) as again:
            assert "The run of the last file stopped" in again.get("/").text  # runs/2
            again.post("/close")
            landing = again.get("/").text
            assert "The run of viejo.csv stopped" in landing  # runs/1, named by run.json
            again.post("/resume")
            assert again.wait_run()["state"] == "finished"
            assert statuses(again.get("/results").text) == ["created"] * 4
            assert 'data-testid="resume"' not in again.get("/").text
        assert sorted(box.state.created_names().values()) == [1] * 4


# --- odd uploads and folders ---------------------------------------------------------


def test_a_five_thousand_character_file_name_is_accepted_and_shown_short(tmp_path):
    name = "campañas de diciembre " * 227 + "final.csv"
    assert len(name) > 5000
    sheet = write_csv(tmp_path / "a.csv", [row("A")])
    with page_for(tmp_path / "work") as page:
        review = page.upload(sheet, name=name)
        shown = page.ctx.workspace.upload.name
    assert review.status_code == 200 and review.url.path == "/review"
    assert len(shown) <= 120 and shown.startswith("campañas de diciembre") and "…" in shown
    assert shown.endswith("final.csv") and shown in review.text
    assert [p.name for p in (tmp_path / "work" / "uploads").iterdir()] == ["upload-1.csv"]


def test_a_working_folder_that_cannot_be_written_is_a_message_on_the_page(tmp_path):
    with page_for(tmp_path / "work") as page:
        (tmp_path / "work").mkdir(exist_ok=True)
        (tmp_path / "work" / "uploads").write_text("in the way", encoding="utf-8")
        answer = page.upload(write_csv(tmp_path / "a.csv", [row("A")]))
    assert answer.status_code == 507
    assert "cannot write in the folder" in answer.text and "--workdir" in answer.text


# --- the page as a process -------------------------------------------------------------


def test_a_second_page_on_the_same_folder_is_refused_naming_the_first(tmp_path):
    first = _start(tmp_path, "--simulate")
    try:
        assert first.stdout is not None
        address = first.stdout.readline().strip().split("?key=")[0]
        second = _start(tmp_path, "--simulate")
        assert second.wait(30) == 2
        assert second.stdout is not None and second.stderr is not None
        assert second.stdout.read() == ""
        said = second.stderr.read()
        assert f"process {first.pid}, at {address}" in said and "--workdir" in said
        assert "Traceback" not in said
        assert first.poll() is None  # the first page goes on
    finally:
        first.kill()
        first.wait(10)
    third = _start(tmp_path, "--simulate")  # a crashed page leaves no lock behind
    try:
        assert third.stdout is not None and third.stdout.readline().startswith("http://")
    finally:
        third.kill()
        third.wait(10)


def test_a_working_folder_that_cannot_be_written_is_refused_at_start(tmp_path, monkeypatch):
    import errno
    import os

    work = tmp_path / "work"
    work.mkdir()
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if Path(path).parent == work and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", read_only)
    result = run_cli("web", "--no-browser", "--port", "0", "--workdir", work, "--simulate")
    assert result.code == 2 and result.out == ""
    assert f"cannot write in the folder {work}" in result.err
    assert "Read-only file system" in result.err and "--workdir" in result.err


def test_killed_mid_run_then_another_file_is_refused_until_the_run_is_closed(tmp_path):
    import signal

    n = 8
    sheet = write_csv(tmp_path / "k.csv", [row(f"K{i}") for i in range(n)])
    first = _start(tmp_path, "--simulate", "--simulate-latency", "0.2")
    try:
        assert first.stdout is not None
        client, csrf = _client(first.stdout.readline().strip())
        client.post("/upload", data={"csrf": csrf}, files={"file": ("k.csv", sheet.read_bytes())})
        client.post("/send", data={"csrf": csrf})
        _wait(client, lambda s: s.get("done", 0) >= 3)
    finally:
        first.kill()  # kill -9: nothing is tidied up
        first.wait(10)
    again = _start(tmp_path, "--simulate")
    try:
        assert again.stdout is not None
        client, csrf = _client(again.stdout.readline().strip())
        other = write_csv(tmp_path / "o.csv", [row("Otra")])
        client.post("/upload", data={"csrf": csrf}, files={"file": ("o.csv", other.read_bytes())})
        refused = client.post("/send", data={"csrf": csrf})
        assert refused.status_code == 409 and "The run of k.csv did not finish" in refused.text
        assert 'data-testid="close-run"' in refused.text
        closed = client.post("/close", data={"csrf": csrf}, follow_redirects=True)
        found = re.findall(r'row-status-(\d+)" data-status="(\w+)"', closed.text)
        assert [int(r) for r, _s in found] == list(range(2, n + 2))
        counts = Counter(s for _r, s in found)
        assert set(counts) <= {"created", "unknown", "not_sent"} and counts["not_sent"] >= 1
        assert counts["unknown"] <= 1 and counts["created"] >= 3
        results = read_results(tmp_path / "work" / "runs" / "1" / "campaigns.results.xlsx")
        assert [(r["row"], r["status"]) for r in results] == [(int(r), s) for r, s in found]
        assert client.post("/send", data={"csrf": csrf}).status_code == 303
        assert _wait(client, lambda s: s["state"] != "running")["state"] == "finished"
        client.close()
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(15)
