"""Any text, any byte: a cell or an answer the workbooks cannot hold never stops a run.

A cell holding a character a workbook cannot store (most control characters) is a
row problem; every writer (results, retry, summary, corrected sheet) writes any text,
showing what a workbook cannot hold as ``<U+0001>``; names that look the same are the
same name.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from importer.cells import visible
from importer.columns import FIELDS
from importer.problems import Problem
from importer.results import RowResult, retry_path, write_results, write_retry
from importer.web.corrected import write_corrected

from .conftest import ROOT

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
texts = st.text(min_size=1, max_size=40)


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

    corrected = folder / "c.xlsx"
    write_corrected(corrected, data, 1, ["campaign_name", "campaign_description"])
    assert cells(corrected, "campaigns")[1] == [visible(name), visible(other)]


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
    import sys, zipfile
    from pathlib import Path
    import pandas as pd
    from importer.columns import FIELDS
    from importer.results import RowResult, write_results, write_retry
    from importer.web.corrected import write_corrected

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
            write_corrected(folder / "c.xlsx", frame, 1, list(FIELDS))
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
