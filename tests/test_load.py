import re

import pytest

from importer.errors import InputError
from importer.read.load import load_table

from .conftest import FILES


def names(table):
    return table.frame["campaign_name"].tolist()


def test_clean_csv_keeps_text_and_row_numbers():
    table = load_table(FILES / "clean.csv")
    assert table.frame.index.tolist() == [2, 3]
    assert table.frame.loc[3, "skill_id"] == "0042"
    assert table.frame.loc[2, "start_time"] == "08:00"
    assert table.frame.loc[3, "campaign_description"] == ""  # absent column means empty


@pytest.mark.parametrize(
    ("file", "encoding", "delimiter"),
    [
        ("semicolon-cp1252.csv", "cp1252", ";"),
        ("utf8-bom.csv", "utf-8-sig", ","),
        ("utf16-tab.txt", "utf-16", "tab"),
        ("sep-line.csv", "utf-8", "|"),
    ],
)
def test_encodings_and_delimiters_are_detected(file, encoding, delimiter):
    table = load_table(FILES / file)
    assert table.source == f'CSV ({encoding}, "{delimiter}")'
    assert names(table)[0] in {"Cobranza enero", "Atención", "A, B y C"}


def test_cp1252_accents_survive():
    assert names(load_table(FILES / "semicolon-cp1252.csv")) == ["Cobranza enero", "Retención"]


def test_sep_line_is_not_counted_as_a_row():
    assert load_table(FILES / "sep-line.csv").frame.index.tolist() == [2]


def test_trailing_empty_columns_and_blank_rows_are_ignored():
    table = load_table(FILES / "trailing-empty-columns.csv")
    assert table.frame.index.tolist() == [2, 4]
    assert names(table) == ["Uno", "Dos"]


def test_quoted_newline_stays_in_one_row():
    table = load_table(FILES / "quoted-newline.csv")
    assert table.frame.loc[2, "campaign_description"] == "línea uno\nlínea dos"
    assert table.frame.index.tolist() == [2, 3]


def test_title_rows_above_the_header_keep_sheet_row_numbers():
    table = load_table(FILES / "title-rows.xlsx")
    assert table.frame.index.tolist() == [4]
    assert table.frame.loc[4, "skill_id"] == "101"


def test_excel_cells_become_the_text_excel_shows():
    frame = load_table(FILES / "excel-cells.xlsx").frame
    assert frame.loc[2, "skill_id"] == "101"
    assert frame.loc[2, "start_time"] == "08:00:00"
    assert frame.loc[2, "end_time"] == "2026-12-01 18:30:00"
    assert frame.loc[2, "enable_edition"] == "TRUE"
    assert frame.loc[2, "opt1"] == "123456789012345"  # no scientific notation
    assert frame.loc[3, "opt1"] == "1.5"


def test_sheet_named_like_campaigns_is_preferred_and_reported():
    table = load_table(FILES / "two-sheets.xlsx")
    assert names(table) == ["En hoja 2"]
    assert table.source == 'sheet "Campañas"'
    assert 'read sheet "Campañas" (use --sheet to pick another)' in table.warnings


def test_unknown_sheet_lists_the_sheets():
    with pytest.raises(
        InputError, match=r"has no sheet named 'x'. Its sheets are: notas, Campañas"
    ):
        load_table(FILES / "two-sheets.xlsx", sheet="x")


def test_extra_columns_are_ignored_with_a_warning():
    table = load_table(FILES / "extra-column.csv")
    assert table.warnings == ["ignored columns not used by wolkvox: notas"]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("empty.csv", "empty.csv is empty. Fill in at least one campaign"),
        ("header-only.csv", "has a header (row 1) but no data rows"),
        ("no-skill-column.csv", "has no skill_id column"),
        ("misspelt-column.csv", 'unknown column "campain_name" (did you mean campaign_name?)'),
        ("csv-named.xlsx", "is named .xlsx but holds plain text"),
        ("truncated.xlsx", "looks damaged or truncated"),
        ("no-header.csv", "has no header row with the expected column names"),
        ("missing.csv", "no such file"),
    ],
)
def test_unusable_files_raise_a_clear_input_error(file, message):
    with pytest.raises(InputError, match=re.escape(message)):
        load_table(FILES / file)


def test_wrong_encoding_override_is_reported():
    with pytest.raises(InputError, match="is not valid utf-8"):
        load_table(FILES / "semicolon-cp1252.csv", encoding="utf-8")


def test_delimiter_override_wins():
    table = load_table(FILES / "sep-line.csv", delimiter="|")
    assert names(table) == ["A, B y C"]
