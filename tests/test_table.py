"""The table knows where it came from, notes what it guessed, and follows a column mapping."""

import re

import pytest

from importer.check.problems import Problem, Rule
from importer.errors import InputError
from importer.read.load import load_table

from .conftest import FILES


def _csv(tmp_path, text):
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_table_says_how_it_was_read():
    table = load_table(FILES / "semicolon-cp1252.csv")
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert (table.sheets, table.sheet, table.header_row) == ([], None, 1)
    assert table.header == ["campaign_name", "skill_id", "type_campaign"]


def test_a_workbook_table_lists_its_visible_sheets_and_the_one_read():
    table = load_table(FILES / "two-sheets.xlsx")
    assert (table.sheets, table.sheet) == (["notas", "Campañas"], "Campañas")
    assert (table.encoding, table.delimiter) == (None, None)
    hidden = load_table(FILES / "hidden-first-sheet.xlsx")
    assert (hidden.sheets, hidden.sheet) == (["Hoja2"], "Hoja2")


def test_header_row_below_title_rows_is_its_sheet_row():
    table = load_table(FILES / "title-rows.xlsx")
    assert table.header_row == 3
    assert table.header == ["campaign_name", "skill_id", "type_campaign"]


def test_header_as_written_is_cleaned_of_invisible_spaces():
    assert load_table(FILES / "invisible-spaces.csv").header == [
        "campaign_name", "skill_id", "type_campaign",
    ]  # fmt: skip


def test_a_skill_id_that_lost_its_zeros_is_a_note_on_its_cell():
    (note,) = load_table(FILES / "zero-padded-skill.xlsx").notes
    assert (note.row, note.column, note.value, note.rule) == (
        2, "skill_id", "42", Rule.SKILL_ZERO_PADDED,
    )  # fmt: skip
    assert note.message.startswith("skill_id 42 is a number shown as 0042 by its cell format")


def test_matched_spanish_headers_are_notes_on_the_header_row():
    notes = load_table(FILES / "spanish-headers.csv").notes
    assert {(n.row, n.column, n.rule) for n in notes} >= {
        (1, "start_time", Rule.HEADER_ALIAS), (1, "skill_id", Rule.HEADER_ALIAS),
    }  # fmt: skip
    (start,) = [n for n in notes if n.column == "start_time"]
    assert start == Problem(
        1, "start_time", "Hora inicio", 'the column "Hora inicio" is read as start_time',
        Rule.HEADER_ALIAS,
    )  # fmt: skip


def test_a_header_that_differs_only_in_case_is_no_note(tmp_path):
    table = load_table(_csv(tmp_path, "Campaign_Name,SKILL_ID\nUno,101\n"))
    assert table.notes == []


def test_a_mapping_places_a_misspelt_column(tmp_path):
    table = load_table(FILES / "misspelt-column.csv", mapping={"campain_name": "campaign_name"})
    assert table.frame["campaign_name"].tolist() == ["A"]
    assert table.aliases == {"campaign_name": "campain_name"}
    assert table.notes == []  # chosen, not guessed


def test_a_column_mapped_to_none_is_ignored_not_reported_as_unknown(tmp_path):
    path = _csv(tmp_path, "campaign_name,skill_id,campain_nam\nUno,101,x\n")
    with pytest.raises(InputError, match="unknown column"):
        load_table(path)
    table = load_table(path, mapping={"campain_nam": None})
    assert "campain_nam" not in table.frame.columns
    assert table.warnings == ["ignored columns not used by wolkvox: campain_nam"]


def test_a_mapped_column_becomes_its_fields_column(tmp_path):
    path = _csv(tmp_path, "campaign_name,Nombre corto,skill_id\nLargo,Corto,101\n")
    table = load_table(path, mapping={"Nombre corto": "campaign_name"})
    assert table.frame.loc[2, "campaign_name"] == "Corto"
    assert "ignored columns not used by wolkvox: campaign_name" in table.warnings


def test_a_mapping_settles_two_columns_claiming_one_field(tmp_path):
    path = _csv(tmp_path, "Nombre,Campaña,skill_id\nA,B,101\n")
    with pytest.raises(InputError, match="more than one column for the same field"):
        load_table(path)
    table = load_table(path, mapping={"Campaña": "campaign_name"})
    assert table.frame.loc[2, "campaign_name"] == "B"


def test_a_header_of_mapped_names_only_is_found(tmp_path):
    path = _csv(tmp_path, "Titulo\nNombre X,Código\nUno,101\n")
    table = load_table(path, mapping={"Nombre X": "campaign_name", "Código": "skill_id"})
    assert table.header_row == 2
    assert table.frame.loc[3].loc[["campaign_name", "skill_id"]].tolist() == ["Uno", "101"]


def test_a_mapping_onto_an_unknown_field_is_refused(tmp_path):
    path = _csv(tmp_path, "campaign_name,skill_id,x\nUno,101,y\n")
    with pytest.raises(
        InputError,
        match=re.escape("the column mapping names 'nombre', which is not a column the importer "
                        "knows. Use one of: campaign_name, "),
    ):  # fmt: skip
        load_table(path, mapping={"x": "nombre"})
