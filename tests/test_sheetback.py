"""The person's own sheet in the files written, and a retry file that keeps its rows' context."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from importer import i18n, job
from importer.read.layout import readable_headers, sheet_layout
from importer.read.load import load_table
from importer.send.policy import Policy
from importer.send.sender import StopFlag

from .conftest import read_results, run_cli, write_csv
from .opsbook import FAILED, HEADER, INVALID, ROWS, write_ops_book

FIXED = ["row", "status", "id_campaign", "message", "status_label"]


@pytest.fixture
def box(make_sandbox, monkeypatch):
    from importer.sandbox.server import DEFAULT_TOKEN, DEMO_SKILLS

    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    return make_sandbox(skills=DEMO_SKILLS)


def sheet_values(path: Path, sheet: str | None = None) -> list[list[object]]:
    book = load_workbook(path)
    ws = book[sheet] if sheet else book.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def first_run(tmp_path: Path, box) -> tuple[Path, Path]:
    src = write_ops_book(tmp_path / "campañas.xlsx")
    result = run_cli("run", src, "--base-url", box.url)
    assert result.code == 1, result.err
    return src, tmp_path / "campañas.results.retry.xlsx"


def test_results_keep_the_persons_headers_and_notes_after_the_fixed_columns(tmp_path, box):
    first_run(tmp_path, box)
    book = load_workbook(tmp_path / "campañas.results.xlsx")
    ws = book["results"]
    header = [c.value for c in ws[1]]
    assert header == [*FIXED, *HEADER]  # no opt1 ... opt12, no field names
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert sorted(rows) == sorted(ROWS)
    notes = HEADER.index("Notas") + len(FIXED)
    assert rows[4][notes] == "llamar antes de las 10"
    # skill 999 is not in the operation's skills list, read before sending: never sent
    assert rows[6][1] == "invalid" and rows[10][1] == "invalid"
    skill = HEADER.index("ID skill") + len(FIXED) + 1
    for line in range(2, ws.max_row + 1):  # ids are text cells, zeros and all
        assert ws.cell(line, skill).number_format == "@"
    assert "0042" in [ws.cell(line, skill).value for line in range(2, ws.max_row + 1)]


def test_the_retry_file_has_their_columns_and_loads_straight_back(tmp_path, box):
    _src, retry = first_run(tmp_path, box)
    book = load_workbook(retry)
    ws = book.active
    assert [c.value for c in ws[1]] == [*HEADER, "original_row", "last_message"]
    got = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[HEADER.index("Notas")] for r in got] == ["skill nuevo, confirmar", None,
                                                        "revisar skill"]  # fmt: skip
    assert [r[-2] for r in got] == [str(r) for r in sorted(FAILED + INVALID)]
    skill = HEADER.index("ID skill") + 1
    assert {ws.cell(line, skill).number_format for line in range(2, ws.max_row + 1)} == {"@"}
    assert ws.column_dimensions["C"].number_format == "@"  # a retyped 0042 stays text
    back = load_table(retry)
    assert not [w for w in back.warnings if "original_row" in w or "last_message" in w]
    assert back.frame["skill_id"].tolist() == ["999", "998", "10A"]
    assert back.frame["campaign_name"].tolist() == ["Ventas Hogar", "Prospección Cali",
                                                     "Cobranza Castigo"]  # fmt: skip
    assert [c.header for c in back.layout.columns][: len(HEADER)] == HEADER


def fix_retry(retry: Path) -> None:
    book = load_workbook(retry)
    ws = book.active
    skill = HEADER.index("ID skill") + 1
    for line, value in zip(range(2, 5), ["105", "106", "107"], strict=True):
        ws.cell(line, skill).value = value
    book.save(retry)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_retry_file_run_names_the_first_sheets_rows(tmp_path, box, language):
    _src, retry = first_run(tmp_path, box)
    again = run_cli("run", retry, "--base-url", box.url, "--lang", language)
    assert again.code == 1
    with i18n.using(language):
        retry_row = i18n._("(row {retry_row} of the retry file)")
    # the problems are told by their first rows, 6, 9 and 10
    for skill, first, retry_line in (("999", 6, 2), ("998", 9, 3), ("10A", 10, 4)):
        problem = [t for t in again.out.splitlines() if f"'{skill}'" in t]
        assert problem and f" {first}, " in problem[0], again.out
        assert retry_row.format(retry_row=retry_line) in problem[0]
    results = read_results(tmp_path / "campañas.results.retry.results.xlsx")
    assert [(r["row"], r["retry_row"]) for r in results] == [(6, 2), (9, 3), (10, 4)]
    # the retry of the retry still names the first rows, and keeps the notes
    second = load_table(tmp_path / "campañas.results.retry.results.retry.xlsx")
    assert second.frame["original_row"].tolist() == ["6", "9", "10"]
    assert "Notas" in [c.header for c in second.layout.columns]


def test_a_fixed_retry_file_is_created_and_its_results_name_the_first_rows(tmp_path, box):
    _src, retry = first_run(tmp_path, box)
    fix_retry(retry)
    again = run_cli("run", retry, "--base-url", box.url)
    assert again.code == 0, again.out + again.err
    results = read_results(tmp_path / "campañas.results.retry.results.xlsx")
    assert [(r["row"], r["status"]) for r in results] == [(6, "created"), (9, "created"),
                                                          (10, "created")]  # fmt: skip
    assert [r["Notas"] for r in results] == ["skill nuevo, confirmar", None, "revisar skill"]
    assert [r["last_message"] is not None for r in results] == [True, True, True]


def test_a_retry_file_run_resumes_and_still_names_the_first_rows(tmp_path, box):
    _src, retry = first_run(tmp_path, box)
    fix_retry(retry)
    stop = StopFlag()

    class StopAfterOne:
        def sending(self, row: int, name: str) -> None:
            pass

        def row_done(self, row: int, status: str) -> None:
            stop.set()  # as Ctrl-C after the first row would

        def close(self) -> None:
            pass

    out = tmp_path / "again.results.xlsx"
    settings = job.Settings(input=retry, out=out, base_url=box.url, policy=Policy())
    first = job.run(settings, token="sandbox-token", stop=stop, progress=lambda n: StopAfterOne())
    assert first.ended == "interrupted"
    assert [(r.shown_row, r.status) for r in first.results] == [
        (6, "created"), (9, "not_sent"), (10, "not_sent")
    ]  # fmt: skip
    settings = job.Settings(input=retry, out=out, base_url=box.url, resume=True)
    resumed = job.run(settings, token="sandbox-token")
    assert resumed.ended == "done"
    assert [(r.row, r.shown_row, r.status) for r in resumed.results] == [
        (2, 6, "created"), (3, 9, "created"), (4, 10, "created")
    ]  # fmt: skip
    assert [r["row"] for r in read_results(out)] == [6, 9, 10]
    assert len(box.state.campaigns) == len(ROWS) - len(FAILED) - len(INVALID) + 3


def test_a_duplicate_in_a_retry_file_names_the_first_sheets_row(tmp_path):
    header = ["campaign_name", "type_campaign", "skill_id", "original_row", "last_message"]
    cells = [["Uno", "preview", "101", "9", "x"], ["uno", "preview", "101", "30", "y"]]
    rows = [dict(zip(header, r, strict=True)) for r in cells]
    src = write_csv(tmp_path / "retry.csv", rows, header=header)
    result = run_cli("validate", src)
    assert "same campaign_name as row 30" in result.out
    assert "same campaign_name as row 9" in result.out


def test_spanish_headers_of_a_csv_come_back_in_the_retry_file(tmp_path, box):
    header = ["Nombre", "Tipo", "id_skill", "Observaciones"]
    cells = [["Uno", "preview", "101", "ok"], ["Dos", "preview", "999", "nuevo"]]
    rows = [dict(zip(header, r, strict=True)) for r in cells]
    src = write_csv(tmp_path / "c.csv", rows, header=header, delimiter=";")
    assert run_cli("run", src, "--base-url", box.url).code == 1
    retry = tmp_path / "c.results.retry.xlsx"
    assert sheet_values(retry)[0] == [*header, "original_row", "last_message"]
    back = load_table(retry)
    assert back.frame.loc[2, "skill_id"] == "999" and back.frame.loc[2, "original_row"] == "3"


def test_headers_that_would_not_read_back_alone_are_written_with_their_field_names():
    from importer.check.columns import match_header

    header = ["Campaña X", "skill", "id skill", "Notas"]
    mapping = {"Campaña X": "campaign_name", "id skill": None}  # as chosen on the page
    match = match_header(header, mapping)
    import pandas as pd

    layout = sheet_layout(header, match, pd.DataFrame(), pd.RangeIndex(0), 1)
    shown = readable_headers(layout.columns)
    assert shown[0] == "Campaña X (campaign_name)"  # chosen on the page: theirs, with its field
    assert shown[1] == "skill"  # an alias reads back by itself
    assert shown[2] == "id skill (not read)" and shown[3] == "Notas"
    again = match_header(shown)
    assert again.positions == {"campaign_name": 0, "skill_id": 1}
    assert not again.misspelt and not again.duplicated


HEADER_WORDS = ["Nombre", "nombre de la campaña", "tipo", "skill", "ID skill", "id", "Notas",
                "hora inicial", "Hora Final", "opción 1", "campain_name", "skil", "descripción",
                "observaciones", "edición", "", "original_row", "x"]  # fmt: skip


@given(
    texts=st.lists(st.sampled_from(HEADER_WORDS) | st.text(max_size=12), min_size=1, max_size=8),
    ignore=st.sets(st.integers(0, 7)),
    place=st.dictionaries(st.integers(0, 7), st.sampled_from(["campaign_name", "skill_id"])),
)
@settings(max_examples=200, deadline=None)
def test_written_headers_always_read_back_as_the_same_columns(texts, ignore, place):
    import pandas as pd

    from importer.check.cells import clean_header
    from importer.check.columns import match_header

    header = [clean_header(t) for t in texts]
    mapping: dict[str, str | None] = {}
    for i, text in enumerate(header):
        if text and i in ignore:
            mapping[text] = None
        elif text and i in place:
            mapping[text] = place[i]
    match = match_header(header, mapping)
    if match.misspelt or match.duplicated:
        return  # the loader refuses such a header: it is put right on the columns step
    layout = sheet_layout(header, match, pd.DataFrame(), pd.RangeIndex(0), 1)
    shown = readable_headers(layout.columns)
    again = match_header(shown)  # alone: without the choices made on the page
    assert not again.misspelt and not again.duplicated
    wanted = {c.field: i for i, c in enumerate(layout.columns) if c.field is not None}
    assert again.positions == wanted
