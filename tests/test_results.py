import pandas as pd
from openpyxl import load_workbook

from importer.columns import FIELDS
from importer.results import RowResult, counts, retry_path, write_results, write_retry

from .conftest import read_results


def frame(*names):
    data = [[n if f == "campaign_name" else "" for f in FIELDS] for n in names]
    return pd.DataFrame(
        data, columns=list(FIELDS), index=pd.RangeIndex(2, 2 + len(names), name="row"), dtype=object
    )


def test_formula_like_values_are_stored_as_text(tmp_path):
    names = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"]
    path = tmp_path / "r.xlsx"
    rows = [RowResult(2 + i, "created", str(i), n) for i, n in enumerate(names)]
    write_results(path, frame(*names), rows, [("input", "=cmd")])
    sheet = load_workbook(path)["results"]
    for i, name in enumerate(names, start=2):
        assert sheet.cell(row=i, column=5).value == name
        assert sheet.cell(row=i, column=5).data_type == "s"
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
    assert [c.value for c in sheet[1]][:5] == [
        "row",
        "status",
        "id_campaign",
        "message",
        "campaign_name",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:W3"
    rules = [r.formula[0] for rng in sheet.conditional_formatting for r in rng.rules]
    assert '$B2="created"' in rules and '$B2="failed"' in rules
    assert sheet.column_dimensions["D"].width == 60
    assert [list(r) for r in book["summary"].iter_rows(values_only=True)] == [["rows", "2"]]


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("old")
    write_results(path, frame("A"), [RowResult(2, "created", "1", "ok")], [])
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
    assert read_results(path)[0]["status"] == "created"


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


def test_counts_list_every_status():
    assert counts([RowResult(2, "created", "", "")]) == {
        "created": 1, "exists": 0, "failed": 0, "unknown": 0, "invalid": 0, "not_sent": 0,
        "valid": 0,
    }  # fmt: skip
