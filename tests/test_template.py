import pytest

from importer import i18n
from importer.check.columns import DESCRIPTIONS, DESCRIPTIONS_ES
from importer.errors import UsageError
from importer.read.load import load_table
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
    with i18n.using("es"), pytest.raises(UsageError, match=r"una plantilla es \.xlsx o \.csv"):
        write_template(tmp_path / "t.txt")


def test_dropdowns_explain_themselves_in_both_languages_and_let_spanish_words_through(tmp_path):
    from openpyxl import load_workbook

    sheet = load_workbook(write_template(tmp_path / "t.xlsx"))["campaigns"]
    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    kind = rules["C2:C1001"]
    assert kind.showInputMessage and kind.showErrorMessage
    english, spanish = kind.prompt.split("\n")
    assert english.startswith("preview or predictive") and "predictiva" in english
    assert spanish.startswith("preview o predictive (también predictiva)")
    assert "Elija preview o predictive" in kind.error
    # predictiva, sí, true... are read by the importer: Excel warns rather than refuses them
    assert kind.errorStyle == "warning" and rules["G2:G1001"].errorStyle == "warning"
    assert "sí/no" in rules["G2:G1001"].prompt
    for dv in rules.values():  # Excel's limits, or it refuses to open the file
        assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
        assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 255


def test_every_header_cell_carries_its_meaning_in_both_languages(tmp_path):
    from openpyxl import load_workbook

    sheet = load_workbook(write_template(tmp_path / "t.xlsx"))["campaigns"]
    for cell in sheet[1]:
        assert cell.comment.text == f"{DESCRIPTIONS[cell.value]}\n\n{DESCRIPTIONS_ES[cell.value]}"


def test_template_explains_itself_in_english_and_spanish(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert book.sheetnames == ["campaigns", "columns", "instructions", "examples"]
    steps = list(book["instructions"].iter_rows(values_only=True))
    assert steps[0] == ("English", "Español")
    assert steps[1][1].startswith("Escriba una campaña por fila")
    guide = list(book["columns"].iter_rows(values_only=True))
    assert guide[0] == ("column / columna", "required / obligatoria", "meaning", "significado")
    assert guide[6][:2] == ("skill_id", "yes / sí") and "se conservan los ceros" in guide[6][3]
    assert guide[7][1] == "no / no"
    assert all(english and spanish and english != spanish for english, spanish in steps[1:])
    assert any("roja" in spanish and "red" in english for english, spanish in steps[1:])


def test_a_template_in_a_missing_folder_is_a_clear_usage_error(tmp_path):
    missing = tmp_path / "nodir"
    result = run_cli("template", missing / "t.xlsx")
    assert result.code == 2
    assert result.err == (
        f"wolkvox-import: error: the folder {missing} does not exist; create it first, or name "
        "a file in another folder.\n"
    )
    with i18n.using("es"), pytest.raises(UsageError, match=r"la carpeta .* no existe"):
        write_template(missing / "t.csv")


@pytest.mark.parametrize("name", ["t.xlsx", "t.csv"])
def test_a_template_that_cannot_be_written_is_a_clear_usage_error(tmp_path, monkeypatch, name):
    import builtins

    from importer import template

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(template, "_write_xlsx", refused)
    monkeypatch.setattr(builtins, "open", refused)
    result = run_cli("template", tmp_path / name)
    assert result.code == 2
    assert result.err == (
        f"wolkvox-import: error: cannot write {tmp_path / name} (Permission denied); name a "
        "file in a folder you can write to.\n"
    )


def test_an_existing_file_is_kept_unless_force_is_given(tmp_path):
    mine = tmp_path / "mine.xlsx"
    mine.write_bytes(b"the person's own sheet")
    result = run_cli("template", mine)
    assert result.code == 2
    assert result.err == (
        f"wolkvox-import: error: {mine} already exists and was left as it is; name a new file, "
        "or add --force to replace it with a blank template.\n"
    )
    assert mine.read_bytes() == b"the person's own sheet"
    spanish = run_cli("--lang", "es", "template", mine)
    assert spanish.code == 2 and "ya existe y se dejó como estaba" in spanish.err
    assert mine.read_bytes() == b"the person's own sheet"
    forced = run_cli("template", mine, "--force")
    assert forced.code == 0, forced.err
    assert mine.read_bytes().startswith(b"PK")
