"""Every file of tests/files/ with its asserted outcome: the values sent, or the message.

How each file was made is in tests/files/README.md.
"""

import pytest

from importer.check.schema import validate
from importer.read.load import load_table

from .conftest import FILES, run_cli

# file -> {row: {field: value sent}} for files that import cleanly
SENT = {
    "clean.csv": {2: {"start_time": "080000", "end_time": "180000", "skill_id": "101"},
                  3: {"campaign_name": "Retención", "skill_id": "0042", "start_time": ""}},
    "semicolon-cp1252.csv": {2: {"campaign_name": "Cobranza enero"},
                             3: {"campaign_name": "Retención", "skill_id": "0042"}},
    "utf8-bom.csv": {2: {"campaign_name": "Atención"}},
    "utf16-tab.txt": {2: {"campaign_name": "Atención", "skill_id": "101"}},
    "sep-line.csv": {2: {"campaign_name": "A, B y C"}},
    "trailing-empty-columns.csv": {2: {"campaign_name": "Uno"}, 4: {"campaign_name": "Dos"}},
    "quoted-newline.csv": {2: {"campaign_description": "línea uno\nlínea dos"},
                           3: {"campaign_name": "Siguiente"}},
    "extra-column.csv": {2: {"campaign_name": "A"}},
    "ampm-spanish.csv": {2: {"start_time": "080000", "end_time": "133000"},
                         3: {"start_time": "140000", "end_time": "210000"}},
    "invisible-spaces.csv": {2: {"campaign_name": "Cobranza diciembre", "skill_id": "101"}},
    "google-sheets.csv": {2: {"campaign_name": 'Ventas "premium"',
                              "campaign_description": "Con, comas"}},
    "pipe-delimited.csv": {2: {"campaign_name": "A"}},
    "latin1-nbsp.csv": {2: {"campaign_name": "Acción"}},
    "title-rows.xlsx": {4: {"campaign_name": "Título arriba", "skill_id": "101"}},
    "excel-cells.xlsx": {
        2: {"skill_id": "101", "start_time": "080000", "end_time": "183000",
            "enable_edition": "yes", "opt1": "123456789012345"},
        3: {"start_time": "080000", "end_time": "180000", "enable_edition": "no", "opt1": "1.5"},
    },
    "two-sheets.xlsx": {2: {"campaign_name": "En hoja 2"}},
    "hidden-first-sheet.xlsx": {2: {"campaign_name": "Visible"}},
    "zero-padded-skill.xlsx": {2: {"skill_id": "42"}},
    "spanish-headers.csv": {2: {"campaign_name": "Cobro", "start_time": "080000",
                                "skill_id": "101", "enable_edition": "yes", "opt1": "lote 1"},
                            3: {"campaign_name": "Cobro 2"}},
    "trailing-empty-fields.csv": {2: {"campaign_name": "Uno", "skill_id": "101"},
                                  3: {"campaign_name": "Dos", "skill_id": "102"}},
    "short-rows.csv": {2: {"campaign_name": "Corta", "campaign_description": ""},
                       3: {"campaign_description": "con descripción"}},
    **{
        f"libreoffice.{ext}": {
            2: {"campaign_name": "Oficina uno", "start_time": "080000", "end_time": "180000",
                "skill_id": "0042", "enable_edition": "yes"},
            3: {"campaign_name": "Oficina dos", "start_time": "", "enable_edition": "no"},
        }
        for ext in ("ods", "xls", "xlsx", "xlsm")
    },
}  # fmt: skip

# file -> (exit code of `validate`, text its output must hold)
REFUSED = {
    "empty.csv": (2, "empty.csv is empty. Fill in at least one campaign under the header row."),
    "header-only.csv": (2, "header-only.csv has a header (row 1) but no data rows."),
    "no-skill-column.csv": (2, "no-skill-column.csv has no skill_id column (the header is row 1"),
    "misspelt-column.csv": (2, 'unknown column "campain_name" (did you mean campaign_name?)'),
    "csv-named.xlsx": (2, "csv-named.xlsx is named .xlsx but holds plain text (a CSV file?)."),
    "no-header.csv": (2, "no-header.csv has no header row with the expected column names"),
    "truncated.xlsx": (2, "truncated.xlsx could not be opened as a workbook: it looks damaged"),
    "encrypted.xlsx": (2, "encrypted.xlsx is protected with a password."),
    "binary-garbage.csv": (2, "binary-garbage.csv: the text encoding could not be recognised. "
                              'Save it from Excel as "CSV UTF-8"'),
    "nfc-duplicates.csv": (1, "row 3, campaign_name 'Retención': same campaign_name as row 2; "
                              "names must be unique within the file"),
    "excel-errors.xlsx": (1, "row 2, skill_id '#N/A': the cell holds the Excel error #N/A; "
                             "fix the formula or type the value"),
    "date-only.xlsx": (1, "row 2, start_time '2026-12-01': a date without a time; write the "
                          "time, e.g. 08:00"),
}  # fmt: skip


# file -> (row, text of its problem) for files whose rows are refused while reading
READ_PROBLEMS = {
    "unquoted-comma.csv": (2, "row 2, skill_id 'preview': this row has 5 fields but the header "
                              'has 4, so "101" is left over: a cell holds "," without quotes'),
}  # fmt: skip


def test_the_corpus_has_at_least_thirty_files_and_each_has_an_outcome():
    files = {p.name for p in FILES.iterdir() if p.suffix not in {".py", ".md"}}
    assert len(files) >= 30
    assert files == set(SENT) | set(REFUSED) | set(READ_PROBLEMS)


@pytest.mark.parametrize("name", sorted(SENT))
def test_files_that_import_send_these_values(name):
    table = load_table(FILES / name)
    checked = validate(table.frame, extra=table.problems)
    assert checked.problems == []
    bodies = {c.row: c.body for c in checked.campaigns}
    for row, expected in SENT[name].items():
        assert {k: bodies[row][k] for k in expected} == expected


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_files_that_are_refused_say_why(name, tmp_path):
    code, message = REFUSED[name]
    result = run_cli("validate", FILES / name, "--out", tmp_path / "r.xlsx")
    assert result.code == code
    assert message in result.out + result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("name", sorted(READ_PROBLEMS))
def test_rows_refused_while_reading_say_why_and_the_rest_is_sent(name):
    row, message = READ_PROBLEMS[name]
    table = load_table(FILES / name)
    checked = validate(table.frame, extra=table.problems)
    assert row in checked.invalid
    assert str(checked.invalid[row][0]).startswith(message)
    assert row not in [c.row for c in checked.campaigns]
    assert checked.campaigns


def test_spanish_type_word_is_sent_as_the_api_type():
    checked = validate(load_table(FILES / "spanish-headers.csv").frame)
    assert [c.type_campaign for c in checked.campaigns] == ["predictive", "predictive"]


def test_spanish_headers_are_matched_and_reported():
    table = load_table(FILES / "spanish-headers.csv")
    assert table.aliases["start_time"] == "Hora inicio"
    assert table.aliases["skill_id"] == "ID skill"
    assert any(
        w.startswith('matched columns: "Nombre de la campaña" = campaign_name')
        for w in table.warnings
    )


def test_both_spellings_of_a_name_count_as_one():
    checked = validate(load_table(FILES / "nfc-duplicates.csv").frame)
    assert [p.row for p in checked.problems] == [2, 3]


def test_skill_id_that_lost_its_zeros_to_a_number_format_is_warned_about():
    table = load_table(FILES / "zero-padded-skill.xlsx")
    assert table.warnings == [
        'row 2: skill_id 42 is a number shown as 0042 by its cell format "0000"; 42 is what '
        "will be sent. If the skill is 0042, format the column as text and type it with its "
        "zeros."
    ]
