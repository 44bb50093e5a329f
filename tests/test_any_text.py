"""Any text, any byte: a cell or an answer the workbooks cannot hold never stops a run.

A cell holding a character a workbook cannot store (most control characters) is a
row problem; every writer (results, retry, summary, corrected sheet) writes any text,
showing what a workbook cannot hold as ``<U+0001>``; names that look the same are the
same name.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from importer import job
from importer.check.cells import name_key, visible
from importer.check.columns import FIELDS
from importer.check.problems import Problem
from importer.check.schema import Options, validate
from importer.read import load
from importer.record.results import RowResult, derive, retry_path, write_results, write_retry
from importer.send.journal import journal_path
from importer.send.sender import index_by_name
from importer.web.corrected import Corrections, Edit, write_corrected

from .conftest import ROOT, read_results, row, run_cli, statuses, write_csv, write_xlsx

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"]
#: Characters a workbook cannot hold, besides control characters.
NONCHARACTERS = ["\ufffe", "\uffff"]


def frame(*names: str, **columns: list[str]) -> pd.DataFrame:
    data = [[n if f == "campaign_name" else "" for f in FIELDS] for n in names]
    out = pd.DataFrame(
        data, columns=list(FIELDS), index=pd.RangeIndex(2, 2 + len(names), name="row"), dtype=object
    )
    for column, values in columns.items():
        out[column] = values
    return out


def cells(path: Path, sheet: str) -> list[list[object]]:
    """A sheet's cells as Excel (and the importer's reader) read them back."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python()


# --- every writer takes any text ------------------------------------------------------

#: Any text: full Unicode without surrogates (Python's str can hold them, no file can),
#: control characters included.
#: A text of white space alone is left out: the file holds it, but the reader these tests
#: read back with (calamine, as the loader does) takes such a cell for an empty one.
texts = st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=3, max_size=3))
def test_every_writer_takes_any_text_and_reads_back_visibly(tmp_path_factory, given_texts):
    name, message, other = given_texts
    folder = tmp_path_factory.mktemp("w")
    data = frame(name, campaign_description=[other])
    result = RowResult(2, "failed", other, message, name)
    problem = Problem(2, "campaign_name", name, message, "x")
    summary = [(other, name), ("input", message)]

    out = folder / "r.xlsx"
    write_results(out, data, [result], summary, problems=[problem], notes=[problem])
    written = cells(out, "results")[1]
    assert written[2:4] == [visible(other), visible(message)]
    assert written[5:7] == [visible(name), visible(other)]
    side = cells(out, "summary")
    assert side[0][:2] == [visible(other), visible(name)]
    assert side[1][:2] == ["input", visible(message)]
    assert load_workbook(out)["results"]["F2"].comment is not None  # the note is well-formed

    assert write_retry(retry_path(out), data, [result], problems=[problem]) == 1
    back = cells(retry_path(out), "campaigns")[1]
    assert back[:2] == [visible(name), visible(other)]
    assert back[-1] == visible(message)

    # the corrected sheet: a CSV given back as a CSV holds the text exactly, and as a
    # workbook with the marks, visibly
    record = edited_csv(folder / "s.csv", name, other)
    write_corrected(folder / "c.csv", record)
    back_csv = (folder / "c.csv").read_bytes().decode("utf-8-sig")  # no newline translation
    assert list(csv.reader(io.StringIO(back_csv, newline="")))[1] == [name, other]
    corrected = folder / "c.xlsx"
    write_corrected(corrected, record, marked=True)
    assert cells(corrected, "campaigns")[1] == [visible(name), visible(other)]
    load_workbook(corrected)  # its notes (what the cells held) are well-formed too


def edited_csv(source: Path, name: str, other: str) -> Corrections:
    """A CSV upload of one row whose two cells were changed on the page to these texts."""
    source.write_text("campaign_name,campaign_description\r\nA,B\r\n", encoding="utf-8")
    return Corrections(
        source=source, name=source.name, kind="csv", sheet=None, encoding="utf-8",
        delimiter=",", header_row=1, positions={"campaign_name": 0, "campaign_description": 1},
        edits=[Edit(2, "campaign_name", "A", name), Edit(2, "campaign_description", "B", other)],
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1))
def test_text_a_workbook_can_hold_reads_back_identical(tmp_path_factory, text):
    # OOXML's own escapes (_x0041_ would read back as A) and line endings included.
    text = f"{text}_x0041_\r\n"
    out = tmp_path_factory.mktemp("w") / "r.xlsx"
    write_results(out, frame(text), [RowResult(2, "failed", "", text)], [("k", text)])
    assert cells(out, "results")[1][3] == text
    assert cells(out, "results")[1][5] == text
    assert cells(out, "summary")[0][1] == text


def test_the_visible_form_of_each_character_a_workbook_cannot_hold(tmp_path):
    names = [f"Bad{c}Name" for c in [*CONTROLS, *NONCHARACTERS, "\ud800"]]
    out = tmp_path / "r.xlsx"
    write_results(out, frame(*names), [RowResult(2 + i, "failed", "", n) for i, n in
                                       enumerate(names)], [])  # fmt: skip
    read = [r[5] for r in cells(out, "results")[1:]]
    assert read == [
        "Bad<U+0000>Name", "Bad<U+0001>Name", "Bad<U+0008>Name", "Bad<U+000B>Name",
        "Bad<U+000C>Name", "Bad<U+001B>Name", "Bad<U+001F>Name", "Bad<U+FFFE>Name",
        "Bad<U+FFFF>Name", "Bad<U+D800>Name",
    ]  # fmt: skip
    load_workbook(out)  # well-formed XML, which U+FFFE written as it is would not be


def test_text_longer_than_a_cell_holds_is_cut_with_an_ellipsis(tmp_path):
    out = tmp_path / "r.xlsx"
    long = "x" * 40_000
    write_results(out, frame("A"), [RowResult(2, "failed", "", long)], [])
    message = cells(out, "results")[1][3]
    assert len(message) == 32_767 and message.endswith("x…")


FAILED_SAVE = textwrap.dedent(
    """
    import shutil, sys, tempfile, zipfile
    from pathlib import Path
    import pandas as pd
    from importer.check.columns import FIELDS
    from importer.record.results import RowResult, write_results, write_retry
    from importer.web.corrected import Corrections, Edit, write_corrected

    which, fail_at, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    frame = pd.DataFrame([["A"] * len(FIELDS)], columns=list(FIELDS),
                         index=pd.RangeIndex(2, 3, name="row"), dtype=object)
    original, calls = zipfile.ZipFile.writestr, [0]

    def failing(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == fail_at:
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)

    zipfile.ZipFile.writestr = failing
    rows = [RowResult(2, "failed", "", "no")]
    try:
        if which == "results":
            write_results(folder / "r.xlsx", frame, rows, [("k", "v")])
        elif which == "retry":
            write_retry(folder / "r.retry.xlsx", frame, rows)
        else:
            source = Path(tempfile.mkdtemp()) / "s.csv"  # the upload, kept out of ``folder``
            source.write_text("campaign_name\\nA\\n", encoding="utf-8")
            record = Corrections(source=source, name="s.csv", kind="csv", sheet=None,
                                 encoding="utf-8", delimiter=",", header_row=1,
                                 positions={"campaign_name": 0},
                                 edits=[Edit(2, "campaign_name", "A", "B")])
            try:
                write_corrected(folder / "c.xlsx", record, marked=True)
            finally:
                shutil.rmtree(source.parent)
    except OSError:
        print("failed as asked")
    from openpyxl.worksheet._writer import ALL_TEMP_FILES
    print("left behind:", [p for p in ALL_TEMP_FILES if Path(p).exists()])
    """
)


@pytest.mark.parametrize("which", ["results", "retry", "corrected"])
@pytest.mark.parametrize("fail_at", [1, 2, 3, 5])
def test_a_failed_save_ends_cleanly(tmp_path, which, fail_at):
    done = subprocess.run(
        [sys.executable, "-c", FAILED_SAVE, which, str(fail_at), str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "failed as asked" in done.stdout
    assert "Exception ignored" not in done.stderr
    assert done.stderr == ""
    assert "left behind: []" in done.stdout  # the sheets' temporary files are gone too
    assert [p.name for p in tmp_path.iterdir()] == []


# --- a cell a workbook cannot hold, from the command line ------------------------------


@pytest.mark.parametrize("char", CONTROLS)
def test_validate_reports_a_control_character_and_writes_the_results(tmp_path, char):
    src = write_csv(tmp_path / "c.csv", [row(f"Bad{char}Name"), row("Good")])
    result = run_cli("validate", src, "--lang", "en")
    code = f"U+{ord(char):04X}"
    assert result.code == 1, result.err
    assert (
        f"row 2, campaign_name 'Bad<{code}>Name': the cell holds {code} at position 4, an "
        "invisible character that a workbook cannot store"
    ) in result.out
    assert statuses(tmp_path / "c.check.xlsx") == {2: "invalid", 3: "valid"}
    assert cells(retry_path(tmp_path / "c.check.xlsx"), "campaigns")[1][0] == f"Bad<{code}>Name"


def test_an_xlsx_cell_holding_the_escape_of_a_control_character(tmp_path):
    # openpyxl writes the text as it is; Excel and the reader take _x0001_ for U+0001.
    src = write_xlsx(tmp_path / "c.xlsx", [FIELDS, row_values("Bad_x0001_Name"),
                                           row_values("Good")])  # fmt: skip
    result = run_cli("validate", src, "--lang", "en")
    assert result.code == 1, result.err
    assert "the cell holds U+0001 at position 4" in result.out
    assert statuses(tmp_path / "c.check.xlsx") == {2: "invalid", 3: "valid"}


def row_values(name: str) -> list[str]:
    return [row(name).get(f, "") for f in FIELDS]


def test_a_run_sends_only_the_clean_rows_and_writes_everything(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    src = write_csv(
        tmp_path / "c.csv",
        [row("Bad\x01Name"), row("Good"), row("Also\x1bbad", campaign_description="x\x0by")],
    )
    result = run_cli("run", src, "--base-url", sandbox.url, "--quiet", "--lang", "en")
    assert result.code == 1, result.err
    assert sorted(c["campaign_name"] for c in sandbox.state.campaigns) == ["Good"]
    out = tmp_path / "c.results.xlsx"
    assert statuses(out) == {2: "invalid", 3: "created", 4: "invalid"}
    assert [r[0] for r in cells(retry_path(out), "campaigns")[1:]] == [
        "Bad<U+0001>Name",
        "Also<U+001B>bad",
    ]
    # The retry file sent back unchanged keeps both rows out.
    again = run_cli("run", retry_path(out), "--base-url", sandbox.url, "--quiet")
    assert again.code == 1 and len(sandbox.state.campaigns) == 1
    assert run_cli("report", out).code == 1


# --- journals that already hold such text ----------------------------------------------


def _journal(path: Path, src: Path, base_url: str, events: list[dict]) -> None:
    """A journal as an earlier version wrote it, line by line."""
    hashes = job._hashes(load.load_table(src))
    record = job.Settings(input=src, base_url=base_url).record()
    header = {
        "event": "start", "version": 1, "input": str(src), "source": 'CSV (utf-8, ",")',
        "options": record, "existing": {name_key("Viejo\x1f"): ["5"]}, "started": "2026-12-01",
        "rows": {str(k): v for k, v in hashes.items()}, "at": 1.0,
    }  # fmt: skip
    lines = [header, *events]
    path.write_bytes(b"".join((json.dumps(e) + "\n").encode("utf-8") for e in lines))


def test_a_journal_holding_such_text_reports_and_resumes(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    src = write_csv(tmp_path / "c.csv", [row("Bad\x01Name"), row("Tres")])
    out = tmp_path / "c.results.xlsx"
    # An earlier version sent the first row and crashed writing the results.
    _journal(journal_path(out), src, sandbox.url, [
        {"event": "attempt", "row": 2, "at": 2.0, "name": "Bad\x01Name"},
        {"event": "outcome", "row": 2, "status": "created", "id": "10\x0201",
         "message": "The # 1001 has been created: Bad\x01Name\ufffe", "at": 3.0},
        {"event": "stop", "reason": "interrupted", "message": "stopped\x0b", "at": 4.0},
    ])  # fmt: skip

    report = run_cli("report", out, "--lang", "en")
    assert report.code == 130, report.err  # the journal says the run was interrupted
    written = read_results(out)
    # The journal is the truth: the row that was created stays created.
    assert [(r["row"], r["status"]) for r in written] == [(2, "created"), (3, "not_sent")]
    assert written[0]["id_campaign"] == "10<U+0002>01"
    assert written[0]["message"] == "The # 1001 has been created: Bad<U+0001>Name<U+FFFE>"
    assert written[1]["message"] == "stopped<U+000B>"
    assert cells(retry_path(out), "campaigns")[1][0] == "Tres"  # never the created row

    resumed = run_cli("run", src, "--base-url", sandbox.url, "--resume", "--quiet")
    assert resumed.code == 0, resumed.err
    assert statuses(out) == {2: "created", 3: "created"}
    assert [c["campaign_name"] for c in sandbox.state.campaigns] == ["Tres"]


def test_a_row_the_journal_saw_sent_keeps_its_outcome_whatever_the_checks_say():
    from importer.send.journal import JournalState

    names = ["Bad\x01Name", "Dos", "Tres", "Cuatro\x01"]
    data = frame(*names, skill_id=["101"] * 4, type_campaign=["preview"] * 4)
    checked = validate(data)
    assert list(checked.invalid) == [2, 5]
    state = JournalState()
    state.apply({"event": "attempt", "row": 2, "at": 1})
    unanswered = derive(data, checked, state, dry_run=False)[0]
    assert unanswered.status == "unknown"  # never "invalid", which the retry file would hold
    state.apply({"event": "outcome", "row": 2, "status": "created", "id": "7"})
    state.apply({"event": "outcome", "row": 3, "status": "not_sent"})
    state.apply({"event": "outcome", "row": 5, "status": "not_sent"})
    derived = derive(data, checked, state, dry_run=False)
    assert [(r.status, r.id_campaign) for r in derived] == [
        ("created", "7"), ("not_sent", ""), ("not_sent", ""), ("invalid", ""),
    ]  # fmt: skip


# --- names that look alike ----------------------------------------------------------


def test_a_name_with_a_direction_mark_is_a_duplicate_in_the_file(tmp_path):
    src = write_csv(tmp_path / "c.csv", [row("abc"), row("\u200fabc"), row("a\u2066bc\u2069")])
    result = run_cli("validate", src, "--lang", "en")
    assert result.code == 1
    assert statuses(tmp_path / "c.check.xlsx") == {2: "invalid", 3: "invalid", 4: "invalid"}
    assert "row 2, campaign_name 'abc': same campaign_name as rows 3 and 4" in result.out
    assert result.out.count("same campaign_name as rows") == 3


def test_a_server_name_with_invisible_marks_exists(tmp_path, make_sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(existing=["\u200fCobranza\u00ad", "Ventas"])
    src = write_csv(tmp_path / "c.csv", [row("Cobranza"), row("Ventas\u200b"), row("Nueva")])
    result = run_cli("run", src, "--base-url", box.url, "--quiet")
    assert result.code == 0, result.err
    assert statuses(tmp_path / "c.results.xlsx") == {2: "exists", 3: "exists", 4: "created"}


def test_the_campaign_list_and_the_sheet_compare_names_alike():
    listing = index_by_name([{"campaign_name": "\u202bUno\u202c", "campaign_id": "1"}])
    assert listing == {"uno": ["1"]}
    assert name_key("UNO\ufeff") in listing
    from importer.check import schema
    from importer.send import sender as send

    assert schema.name_key is send.name_key is name_key  # one definition


def test_a_name_over_the_limit_is_refused_with_its_length(tmp_path):
    src = write_csv(tmp_path / "c.csv", [row("C" * 101), row("C" * 100)])
    result = run_cli("validate", src, "--lang", "en")
    assert result.code == 1
    assert "campaign_name has 101 characters, more than the 100 accepted" in result.out
    assert statuses(tmp_path / "c.check.xlsx") == {2: "invalid", 3: "valid"}
    # The whole name stays in the results' cell; the message quotes a shortened one.
    assert read_results(tmp_path / "c.check.xlsx")[0]["campaign_name"] == "C" * 101
    assert f"'{'C' * 59}…'" in result.out


# --- numbers that are no time -----------------------------------------------------------


def test_a_negative_serial_in_a_time_cell_is_a_problem_not_midnight(tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "campaigns"
    ws.append(["campaign_name", "skill_id", "type_campaign", "start_time", "end_time"])
    for name, value, shape in [("Neg", -1, "hh:mm"), ("Neg date", -0.5, "yyyy-mm-dd hh:mm"),
                               ("Ok", 0.5, "hh:mm")]:  # fmt: skip
        ws.append([name, "101", "predictive", value, "23:00"])
        ws.cell(row=ws.max_row, column=4).number_format = shape
    book.save(tmp_path / "c.xlsx")
    table = load.load_table(tmp_path / "c.xlsx")
    checked = validate(table.frame, Options(), extra=table.problems)
    assert [c.row for c in checked.campaigns] == [4]
    assert checked.campaigns[0].body["start_time"] == "120000"
    assert [(p.row, p.column, p.value) for p in checked.problems] == [
        (2, "start_time", "-1"), (3, "start_time", "-0.5"),
    ]  # fmt: skip
    assert checked.problems[0].message.startswith("a negative number, which is no time of day")


def test_a_huge_number_in_a_time_cell_is_quoted_short(tmp_path):
    src = write_xlsx(tmp_path / "c.xlsx", [
        ["campaign_name", "skill_id", "type_campaign", "start_time", "end_time"],
        ["Big", "101", "predictive", 1e300, "23:00"],
    ])  # fmt: skip
    result = run_cli("validate", src, "--lang", "en")
    assert result.code == 1
    (line,) = [x for x in result.out.splitlines() if x.startswith("  row 2")]
    assert len(line) < 160 and "…'" in line
    assert len(str(read_results(tmp_path / "c.check.xlsx")[0]["start_time"])) == 301


# --- the page -------------------------------------------------------------------------


def test_the_page_marks_such_a_cell_and_sends_and_downloads_the_rest(tmp_path):
    from .test_web import page_for, sheet_rows
    from .test_web import statuses as page_statuses

    src = write_csv(tmp_path / "c.csv", [row("Bad\x01Name"), row("Good"), row("Tres")])
    with page_for(tmp_path / "work") as page:
        review = page.upload(src)
        assert review.status_code == 200
        assert "the cell holds U+0001 at position 4" in review.text
        edited = page.edit(4, "campaign_description", "x\x1by")
        assert "the cell holds U+001B at position 2" in edited.text
        download = page.get("/download/edited")  # their CSV: the text as it is
        assert download.status_code == 200
        back = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))
        assert [r[0] for r in back[1:]] == ["Bad\x01Name", "Good", "Tres"]
        assert back[3][FIELDS.index("campaign_description")] == "x\x1by"
        marked = page.get("/download/edited-xlsx")  # as a workbook: visibly
        assert marked.status_code == 200
        assert [r[0] for r in sheet_rows(marked.content)[1:]] == [
            "Bad<U+0001>Name", "Good", "Tres",
        ]  # fmt: skip
        assert page.post("/send").status_code in (200, 303)
        page.wait_run()
        assert page_statuses(page.get("/results").text) == ["invalid", "created", "invalid"]
        assert page.get("/download/corrected").status_code == 200
        assert page.get("/download/results").status_code == 200
