"""CSV rows that do not fit the header: text beyond it is a row problem, empties are not."""

from importer import i18n
from importer.load import load_table
from importer.problems import Rule
from importer.schema import validate

from .conftest import FILES


def _csv(tmp_path, text, name="c.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_row_split_by_an_unquoted_comma_is_a_row_problem_naming_the_counts():
    table = load_table(FILES / "unquoted-comma.csv")
    (problem,) = table.problems
    assert (problem.row, problem.column, problem.rule) == (2, "skill_id", Rule.EXTRA_FIELDS)
    assert problem.message == (
        'this row has 5 fields but the header has 4, so "101" is left over: a cell holds "," '
        'without quotes, which shifts the cells after it. Put text that holds "," in double '
        "quotes, or save the file again from Excel."
    )


def test_the_split_row_is_invalid_and_the_others_are_still_sent():
    table = load_table(FILES / "unquoted-comma.csv")
    checked = validate(table.frame, extra=table.problems)
    assert checked.invalid[2][0].rule == Rule.EXTRA_FIELDS  # the cause comes first
    assert [c.row for c in checked.campaigns] == [3]


def test_a_wide_row_further_down_is_found_too(tmp_path):
    path = _csv(
        tmp_path,
        "campaign_name,campaign_description,skill_id\n"
        "Uno,bien,101\nDos,bien,102\nTres,Cartera 30, 60 y 90 días,103\n",
    )
    table = load_table(path)
    assert [(p.row, p.rule) for p in table.problems] == [(4, Rule.EXTRA_FIELDS)]
    assert 'so "103" is left over' in table.problems[0].message
    assert table.frame.loc[2, "campaign_name"] == "Uno"


def test_empty_trailing_fields_are_harmless():
    table = load_table(FILES / "trailing-empty-fields.csv")
    assert table.problems == []
    assert table.frame["type_campaign"].tolist() == ["preview", "preview"]


def test_short_rows_mean_empty_cells():
    table = load_table(FILES / "short-rows.csv")
    assert table.problems == []
    assert table.frame.loc[2, "campaign_description"] == ""
    assert table.frame.loc[3, "campaign_description"] == "con descripción"


def test_text_under_no_header_is_reported_even_when_excel_padded_the_header(tmp_path):
    path = _csv(tmp_path, "campaign_name,skill_id,,\nUno,101,,\nDos,102,,nota\n")
    table = load_table(path)
    assert [(p.row, p.value) for p in table.problems] == [(3, "102")]
    assert 'this row has 4 fields but the header has 2, so ",nota" is left over' in (
        table.problems[0].message
    )


def test_a_row_holding_only_shifted_text_is_kept_to_show_its_problem(tmp_path):
    path = _csv(tmp_path, "campaign_name,skill_id\nUno,101\n,,suelto\n")
    table = load_table(path)
    assert table.frame.index.tolist() == [2, 3]
    assert [p.row for p in table.problems] == [3]


def test_the_tab_delimiter_is_named_in_words(tmp_path):
    path = _csv(tmp_path, "campaign_name\tskill_id\nUno\t101\textra\n", name="t.txt")
    (problem,) = load_table(path).problems
    assert 'a cell holds "tab" without quotes' in problem.message


def test_the_problem_is_worded_in_spanish_when_asked(tmp_path):
    with i18n.using("es"):
        (problem,) = load_table(FILES / "unquoted-comma.csv").problems
    assert problem.message.startswith("esta fila tiene 5 campos pero el encabezado tiene 4")


SEMICOLON_HEADER = (
    "campaign_name;campaign_description;type_campaign;start_time;end_time;skill_id;enable_edition\n"
)


def test_an_unquoted_delimiter_before_an_empty_last_field_is_a_row_problem(tmp_path):
    # The empty enable_edition makes the shifted row end in ";": only empty fields are left
    # over, but the row has one field more than the header and every other row.
    path = _csv(
        tmp_path,
        SEMICOLON_HEADER
        + "Cobranza Mora;Cartera;predictive;08:00;18:00;101;no\n"
        + "Cobranza Cartera 30; 60 y 90 días;Cartera;predictive;08:00;18:00;101;\n"
        + "Ventas;Nuevas;preview;;;102;\n",
    )
    table = load_table(path)
    assert [(p.row, p.column, p.rule) for p in table.problems] == [
        (3, "enable_edition", Rule.EXTRA_FIELDS),
    ]
    assert table.problems[0].message == (
        'this row has 8 fields, more than the header (7) and the other rows: a cell holds ";" '
        'without quotes, which shifts the cells after it. Put text that holds ";" in double '
        "quotes, or save the file again from Excel."
    )
    checked = validate(table.frame, extra=table.problems)
    assert checked.invalid[3][0].rule == Rule.EXTRA_FIELDS  # the cause comes first
    assert [c.row for c in checked.campaigns] == [2, 4]


def test_a_row_wider_than_the_others_is_reported_in_spanish_too(tmp_path):
    path = _csv(tmp_path, "campaign_name;skill_id\nUno;101\nDos 1; 2;\nTres;103\n")
    with i18n.using("es"):
        (problem,) = load_table(path).problems
    assert problem.row == 3
    assert problem.message.startswith(
        "esta fila tiene 3 campos, más que el encabezado (2) y las demás filas"
    )


def test_empty_fields_every_row_has_are_excel_padding_not_a_problem(tmp_path):
    # Excel pads every record to the widest column ever used, the header row included or not.
    path = _csv(tmp_path, "campaign_name;skill_id\nUno;101;;\nDos;102;;\nTres;103;;\n")
    assert load_table(path).problems == []
