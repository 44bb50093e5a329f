from dataclasses import dataclass

import pandas as pd
import pytest
from openpyxl import load_workbook

from importer import i18n
from importer.check.columns import FIELDS
from importer.check.schema import Checked
from importer.read.load import load_table
from importer.record import results
from importer.record.results import (
    RowResult,
    counts,
    derive,
    kinds,
    retry_path,
    write_results,
    write_retry,
)

from .conftest import read_results

RED = "FFC7CE"
AMBER = "FFEB9C"


@dataclass(frozen=True)
class Issue:
    """A problem or warning as the loader and the checks report them."""

    row: int
    column: str
    value: str
    message: str
    rule: str = ""


def frame(*names, **columns):
    data = [[n if f == "campaign_name" else "" for f in FIELDS] for n in names]
    out = pd.DataFrame(
        data, columns=list(FIELDS), index=pd.RangeIndex(2, 2 + len(names), name="row"), dtype=object
    )
    for column, values in columns.items():
        out[column] = list(values)
    return out


def marked(path, sheet):
    """(cell, fill colour, note text) of every cell with a fill or a note, sorted."""
    found = []
    for row in load_workbook(path)[sheet].iter_rows():
        for cell in row:
            fill = cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None
            note = cell.comment.text if cell.comment else None
            if fill or note:
                found.append((cell.coordinate, fill, note))
    return sorted(found)


def test_formula_like_values_are_stored_as_text(tmp_path):
    names = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"]
    path = tmp_path / "r.xlsx"
    rows = [RowResult(2 + i, "created", str(i), n) for i, n in enumerate(names)]
    problems = [Issue(2, "campaign_name", names[0], "bad name")]
    write_results(path, frame(*names), rows, [("input", "=cmd")], problems=problems)
    sheet = load_workbook(path)["results"]
    for i, name in enumerate(names, start=2):
        assert sheet.cell(row=i, column=6).value == name
        assert sheet.cell(row=i, column=6).data_type == "s"  # marked F2 too
        assert sheet.cell(row=i, column=4).data_type == "s"
    assert load_workbook(path)["summary"]["B1"].data_type == "s"


def test_results_sheet_is_readable(tmp_path):
    path = tmp_path / "r.xlsx"
    write_results(
        path,
        frame("A", "B"),
        [RowResult(2, "created", "1", "ok"), RowResult(3, "failed", "", "400")],
        [("rows", "2")],
    )
    book = load_workbook(path)
    sheet = book["results"]
    assert [c.value for c in sheet[1]][:6] == [
        "row", "status", "id_campaign", "message", "status_label", "campaign_name",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:X3"
    rules = [r.formula[0] for rng in sheet.conditional_formatting for r in rng.rules]
    assert '$B2="created"' in rules and '$B2="failed"' in rules
    assert {str(rng.sqref) for rng in sheet.conditional_formatting} == {"B2:B3 E2:E3"}
    assert sheet.column_dimensions["D"].width == 60
    assert [list(r) for r in book["summary"].iter_rows(values_only=True)] == [["rows", "2"]]
    assert marked(path, "results") == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_problem_cells_are_red_with_their_notes_and_nowhere_else(tmp_path, language):
    path = tmp_path / "r.xlsx"
    with i18n.using(language):
        write_results(
            path,
            frame("A", "B", "C", skill_id=["12a", "101", "x"], start_time=["", "25:00", ""]),
            [RowResult(2, "invalid", "", "m"), RowResult(3, "invalid", "", "m"),
             RowResult(4, "invalid", "", "m")],
            [],
            problems=[
                Issue(2, "skill_id", "12a", "skill_id must be digits only", "skill_digits"),
                Issue(3, "start_time", "25:00", "not a valid time of day", "time_valid"),
                Issue(4, "skill_id", "x", "skill_id must be digits only", "skill_digits"),
                Issue(4, "skill_id", "x", "skill 'x' is not in the skills list", "skill_known"),
            ],
        )  # fmt: skip
    # skill_id is column K, start_time column I (row, status, id_campaign, message, label first)
    assert marked(path, "results") == [
        ("I3", RED, "not a valid time of day"),
        ("K2", RED, "skill_id must be digits only"),
        ("K4", RED, "skill_id must be digits only\nskill 'x' is not in the skills list"),
    ]
    sheet = load_workbook(path)["results"]
    assert [sheet["K2"].value, sheet["I3"].value, sheet["K4"].value] == ["12a", "25:00", "x"]


@pytest.mark.parametrize(
    ("language", "prefix"), [("en", "Warning: "), ("es", "Aviso: ")], ids=["en", "es"]
)
def test_warnings_are_amber_and_header_warnings_mark_the_header(tmp_path, language, prefix):
    path = tmp_path / "r.xlsx"
    with i18n.using(language):
        write_results(
            path,
            frame("A", "B", skill_id=["42", "12a"]),
            [RowResult(2, "created", "7", "ok"), RowResult(3, "invalid", "", "m")],
            [],
            problems=[Issue(3, "skill_id", "12a", "digits only")],
            notes=[
                Issue(2, "skill_id", "42", "was it 0042?"),
                Issue(3, "skill_id", "12a", "was it 0012a?"),
                Issue(1, "campaign_name", "nombre", 'read from "nombre"'),
            ],
        )
    assert marked(path, "results") == [
        ("F1", AMBER, f'{prefix}read from "nombre"'),  # header row
        ("K2", AMBER, f"{prefix}was it 0042?"),
        ("K3", RED, f"digits only\n{prefix}was it 0012a?"),  # the worse colour, both texts
    ]
    header = load_workbook(path)["results"]["F1"]
    assert header.value == "campaign_name" and header.font.bold


def test_past_the_limit_marked_cells_keep_their_colour_without_a_note(tmp_path, monkeypatch):
    from importer.record import workbook_style

    monkeypatch.setattr(workbook_style, "MAX_NOTES", 2)
    path = tmp_path / "r.xlsx"
    bad = [Issue(r, "skill_id", "x", "digits only") for r in (2, 3, 4, 5)]
    rows = [RowResult(r, "invalid", "", "skill_id: digits only") for r in (2, 3, 4, 5)]
    with i18n.using("es"):
        write_results(path, frame(*"ABCD"), rows, [], problems=bad)
    assert marked(path, "results") == [
        ("K2", RED, "digits only"), ("K3", RED, "digits only"), ("K4", RED, None),
        ("K5", RED, None),
    ]  # fmt: skip
    summary = list(load_workbook(path)["summary"].iter_rows(values_only=True))
    assert summary[0][:2] == (
        "notas de celda",
        "2 celdas marcadas no tienen nota (son demasiadas); la columna message dice qué está mal",
    )


def test_a_problem_about_no_column_of_the_sheet_marks_the_row_number(tmp_path):
    path = tmp_path / "r.xlsx"
    too_long = Issue(2, "", "", "the row has 3 cells more than the header", "extra_fields")
    write_results(path, frame("A"), [RowResult(2, "invalid", "", "m")], [], problems=[too_long])
    assert marked(path, "results") == [("A2", RED, too_long.message)]


def test_status_label_and_messages_speak_the_language_and_codes_stay(tmp_path):
    path = tmp_path / "r.xlsx"
    state = type(
        "State",
        (),
        {"outcomes": {}, "attempted_at": {3: 1.0}, "stop_message": "", "finished": False},
    )
    with i18n.using("es"):
        derived = derive(frame("A", "B"), Checked([], []), state(), dry_run=False)
        write_results(path, frame("A", "B"), derived, [])
    rows = read_results(path)
    assert [(r["row"], r["status"], r["status_label"]) for r in rows] == [
        (2, "not_sent", "no enviada"),
        (3, "unknown", "incierta: revísela en wolkvox"),
    ]
    assert rows[0]["message"] == "no enviada"
    assert rows[1]["message"].startswith("se envió, pero la ejecución terminó")
    header = next(load_workbook(path)["results"].iter_rows(max_row=1, values_only=True))
    assert header[:5] == ("row", "status", "id_campaign", "message", "status_label")


def test_a_row_sent_without_an_answer_in_a_closed_run_says_to_look_in_wolkvox_not_to_resume():
    state = type(
        "State",
        (),
        {"outcomes": {}, "attempted_at": {3: 1.0}, "stop_message": "", "finished": True},
    )
    derived = derive(frame("A", "B"), Checked([], []), state(), dry_run=False)
    assert derived[1].status == "unknown"
    assert derived[1].message == (
        "sent, but the answer was never recorded, and the run was closed without checking it; "
        "look for the campaign in wolkvox manager before sending it again"
    )
    assert "--resume" not in derived[1].message


def test_summary_counts_problems_by_rule_beside_the_run_summary(tmp_path, monkeypatch):
    described = {"skill_digits": "skill_id must be digits only", "name_required": "name needed"}
    monkeypatch.setattr(results.schema, "describe", described.__getitem__, raising=False)
    problems = [Issue(r, "skill_id", "x", f"skill_id 'x{r}' must be digits", "skill_digits")
                for r in (15, 4, 9, 22, 30, 31)]  # fmt: skip
    problems += [
        Issue(4, "campaign_name", "", "campaign_name is required", "name_required"),
        Issue(5, "start_time", "25", "not a valid time of day"),  # no rule: its message
        Issue(6, "start_time", "26", "not a valid time of day"),
    ]
    notes = [Issue(7, "skill_id", "42", "lost its zeros?", "skill_zeros"),
             Issue(1, "skill_id", "", 'read from "skill"', "spanish_header")]  # fmt: skip
    path = tmp_path / "r.xlsx"
    with i18n.using("es"):
        write_results(path, frame(*"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"), [
            RowResult(r, "invalid", "", "") for r in range(2, 34)
        ], [("filas", "1"), ("created (creada)", "1")], problems=problems, notes=notes)  # fmt: skip
    sheet = [list(r) for r in load_workbook(path)["summary"].iter_rows(values_only=True)]
    assert sheet == [
        ["filas", "1", None, "problema", "filas", "primeras filas"],
        ["created (creada)", "1", None, "skill_id must be digits only", 6, "4, 9, 15, 22, 30, …"],
        [None, None, None, "start_time: not a valid time of day", 2, "5, 6"],
        [None, None, None, "name needed", 1, "4"],
        [None, None, None, None, None, None],
        [None, None, None, "aviso", "filas", "primeras filas"],
        [None, None, None, "skill_id: lost its zeros?", 1, "7"],
    ]


def test_kinds_count_each_row_once_and_fall_back_to_the_message_without_describe(monkeypatch):
    monkeypatch.delattr(results.schema, "describe", raising=False)
    digits = "skill_id must be digits only"
    found = kinds([Issue(3, "skill_id", "x", digits, "skill_digits"),
                   Issue(3, "skill_id", "y", digits, "skill_digits")])  # fmt: skip
    assert [(k.label, k.rows) for k in found] == [("skill_id must be digits only", [3])]


@pytest.mark.parametrize("language", ["en", "es"])
def test_retry_file_marks_the_same_cells_and_reads_back_unchanged(tmp_path, language):
    source = frame(
        "A", "=B", "C", "D",
        skill_id=["101", "12a", "42", ""],
        type_campaign=["preview", "predictive", "preview", "preview"],
        start_time=["", "25:00", "", ""],
        opt1=["", "+57 300", "x", ""],
    )  # fmt: skip
    rows = [
        RowResult(2, "created", "1", "ok"),
        RowResult(3, "invalid", "", "skill_id: bad"),
        RowResult(4, "failed", "", "SKILL ID NOT FOUND"),
        RowResult(5, "invalid", "", "m"),
    ]
    problems = [
        Issue(3, "skill_id", "12a", "digits only"),
        Issue(3, "start_time", "25:00", "not a time"),
        Issue(5, "skill_id", "", "skill_id is required"),
    ]
    notes = [Issue(4, "skill_id", "42", "was it 0042?"), Issue(1, "skill_id", "", "header")]
    path = retry_path(tmp_path / "r.xlsx")
    with i18n.using(language):
        assert write_retry(path, source, rows, problems=problems, notes=notes) == 3
        prefix = i18n._("Warning: {message}").format(message="")
    # skill_id is column F, start_time D, original_row T; header warnings stay out
    assert marked(path, "campaigns") == [
        ("D2", RED, "not a time"),
        ("F2", RED, "digits only"),
        ("F3", AMBER, f"{prefix}was it 0042?"),
        ("F4", RED, "skill_id is required"),  # an empty cell is marked too
    ]
    back = load_table(path)
    assert back.frame[list(FIELDS)].values.tolist() == source.loc[[3, 4, 5]].values.tolist()
    assert back.frame["original_row"].tolist() == ["3", "4", "5"]
    plain = retry_path(tmp_path / "plain.xlsx")
    write_retry(plain, source, rows)
    assert back.frame.equals(load_table(plain).frame)


def test_retry_file_keeps_field_names_and_translates_its_messages(tmp_path):
    path = retry_path(tmp_path / "r.xlsx")
    state = type(
        "State", (), {"outcomes": {}, "attempted_at": {}, "stop_message": "", "finished": False}
    )
    with i18n.using("es"):
        derived = derive(frame("A"), Checked([], []), state(), dry_run=False)
        write_retry(path, frame("A"), derived)
    sheet = list(load_workbook(path)["campaigns"].iter_rows(values_only=True))
    assert sheet[0] == (*FIELDS, "original_row", "last_message")
    assert sheet[1][-1] == "no enviada"


def test_retry_file_holds_only_rows_safe_to_send_again(tmp_path):
    statuses = ["created", "exists", "failed", "unknown", "invalid", "not_sent"]
    rows = [RowResult(2 + i, s, "", f"msg {s}") for i, s in enumerate(statuses)]
    path = retry_path(tmp_path / "r.xlsx")
    assert write_retry(path, frame(*statuses), rows) == 3
    sheet = list(load_workbook(path)["campaigns"].iter_rows(values_only=True))
    assert sheet[0][-2:] == ("original_row", "last_message")
    assert [(r[0], r[-2], r[-1]) for r in sheet[1:]] == [
        ("failed", "4", "msg failed"), ("invalid", "6", "msg invalid"),
        ("not_sent", "7", "msg not_sent"),
    ]  # fmt: skip


def test_stale_retry_file_is_removed_when_nothing_is_left(tmp_path):
    path = retry_path(tmp_path / "r.xlsx")
    path.write_text("old")
    assert write_retry(path, frame("A"), [RowResult(2, "created", "1", "")]) == 0
    assert not path.exists()


def test_write_replaces_the_previous_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("old")
    write_results(path, frame("A"), [RowResult(2, "created", "1", "ok")], [])
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
    assert read_results(path)[0]["status"] == "created"


@pytest.mark.parametrize("which", ["results", "retry"])
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_save_that_fails_halfway_keeps_the_previous_file(tmp_path, monkeypatch, which):
    import gc
    import zipfile

    path = tmp_path / "r.xlsx"
    path.write_bytes(b"the last good file")
    seen = {}
    original = zipfile.ZipFile.writestr

    def failing(self, name, data, *args, **kwargs):
        seen["calls"] = seen.get("calls", 0) + 1
        if seen["calls"] == 4:  # some parts are written by now: the temporary file exists
            seen["files"] = sorted(p.name for p in tmp_path.iterdir())
            seen["fp"] = self.fp
            raise OSError(28, "No space left on device")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    row = [RowResult(2, "failed", "", "no")]
    with pytest.raises(OSError, match="No space left"):
        if which == "results":
            write_results(path, frame("A"), row, [])
        else:
            write_retry(path, frame("A"), row)
    assert seen["fp"].closed  # closed before it was removed (Windows cannot remove open files)
    del seen["fp"]
    gc.collect()  # the abandoned archive must not write to the closed file when collected
    assert seen["files"] == [".r.xlsx.tmp", "r.xlsx"]
    assert path.read_bytes() == b"the last good file"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_counts_list_every_status():
    assert counts([RowResult(2, "created", "", "")]) == {
        "created": 1, "exists": 0, "failed": 0, "unknown": 0, "invalid": 0, "not_sent": 0,
        "valid": 0, "deleted": 0,
    }  # fmt: skip
