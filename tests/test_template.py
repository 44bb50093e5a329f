import pytest

from importer.errors import UsageError
from importer.load import load_table
from importer.template import template_cells, write_template

from .conftest import ROOT, run_cli

TEMPLATES = ROOT / "templates"


def test_committed_xlsx_template_matches_the_schema(tmp_path):
    fresh = write_template(tmp_path / "t.xlsx")
    assert template_cells(TEMPLATES / "campaigns-template.xlsx") == template_cells(fresh)


def test_committed_csv_template_matches_the_schema(tmp_path):
    fresh = write_template(tmp_path / "t.csv")
    assert (TEMPLATES / "campaigns-template.csv").read_bytes() == fresh.read_bytes()


def test_xlsx_template_has_dropdowns_text_cells_and_a_column_guide(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(write_template(tmp_path / "t.xlsx"))
    sheet = book["campaigns"]
    lists = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert lists == {
        '"preview,predictive"': "C2:C1001",
        '"yes,no"': "G2:G1001",
        "0": "D2:D1001 E2:E1001",
    }
    assert sheet["F2"].number_format == "@"  # skill_id keeps leading zeros
    guide = [row[0] for row in book["columns"].iter_rows(min_row=2, values_only=True)]
    assert guide[:3] == ["campaign_name", "campaign_description", "type_campaign"]


def test_examples_sheet_validates_cleanly(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    result = run_cli("validate", path, "--sheet", "examples", "--out", tmp_path / "r.xlsx")
    assert result.code == 0, result.out + result.err
    assert "2 valid" in result.out


def test_blank_template_is_refused_as_input_with_a_clear_message(tmp_path):
    from importer.errors import InputError

    with pytest.raises(InputError, match=r"has a header .* but no data rows"):
        load_table(write_template(tmp_path / "t.csv"))


def test_template_command_rejects_other_extensions(tmp_path):
    with pytest.raises(UsageError, match=r"a template is \.xlsx or \.csv"):
        write_template(tmp_path / "t.txt")


def test_template_explains_itself_in_english_and_spanish(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert book.sheetnames == ["campaigns", "columns", "instructions", "examples"]
    steps = list(book["instructions"].iter_rows(values_only=True))
    assert steps[0] == ("English", "Español")
    assert steps[1][1].startswith("Escriba una campaña por fila")
    guide = next(book["columns"].iter_rows(min_row=7, max_row=7, values_only=True))
    assert guide[0] == "skill_id" and "se conservan los ceros" in guide[3]
