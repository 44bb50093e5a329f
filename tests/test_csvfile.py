"""CSV rows that do not fit the header: text beyond it is a row problem, empties are not."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from importer import i18n
from importer.check.problems import Rule
from importer.check.schema import validate
from importer.read.load import load_table

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


# Encoding: UTF-8 (a byte-order mark or not), UTF-16 with its mark, else Windows-1252.

_SPANISH = list(
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,;0123456789áéíóúüñÁÉÍÓÚÜÑ¿¡ºª€"
)


def test_a_spanish_windows_file_a_detector_took_for_cp850_reads_as_written(tmp_path):
    # A charset detector read these very bytes as cp850: "se±or Mu±oz, ma±ana".
    text = "campaign_name,campaign_description,type_campaign,skill_id\r\n"
    text += "Cobro señor Muñoz,Llamar mañana,preview,101\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("cp1252"))
    table = load_table(path)
    assert table.source == 'CSV (cp1252, ",")'
    assert table.frame.loc[2, "campaign_name"] == "Cobro señor Muñoz"
    assert table.frame.loc[2, "campaign_description"] == "Llamar mañana"


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(_SPANISH), min_size=1, max_size=40))
def test_spanish_text_saved_as_cp1252_reads_back_as_it_was(text):
    from importer.read.csvfile import decode

    data = text.encode("cp1252")
    try:
        data.decode("utf-8")
        assume(False)  # bytes that happen to be valid UTF-8 too are read as UTF-8
    except UnicodeDecodeError:
        pass
    assert decode(data, "c.csv") == (text, "cp1252")


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_are_refused_in_words(data):
    from importer.errors import InputError
    from importer.read.csvfile import decode

    try:
        text, used = decode(data, "c.csv")
    except InputError as refused:  # only a file holding NUL: binary, or UTF-16 without its mark
        assert b"\x00" in data
        assert "the text encoding could not be recognised" in str(refused)
        return
    assert isinstance(text, str)
    if used == "cp1252":
        assert len(text) == len(data)  # one character per byte, none lost or replaced


def test_the_five_bytes_cp1252_leaves_undefined_read_as_latin1_and_mark_their_cell(tmp_path):
    from importer.read.csvfile import decode

    assert decode(b"a\x81\x8d\x8f\x90\x9d\xf1", "c.csv") == (
        "a\x81\x8d\x8f\x90\x9d\u00f1",
        "cp1252",
    )
    assert decode(b"a\x81", "c.csv", "cp1252") == ("a\x81", "cp1252")  # named, the same
    text = (
        b"campaign_name;type_campaign;skill_id\r\nCobro\x81 Ene;preview;101\r\nOtra;preview;101\r\n"
    )
    path = tmp_path / "c.csv"
    path.write_bytes(text)
    table = load_table(path)
    checked = validate(table.frame, extra=table.problems)
    assert [c.row for c in checked.campaigns] == [3]
    (problem,) = checked.problems
    assert (problem.row, problem.rule) == (2, Rule.UNSTORABLE_CHARACTER)
    assert problem.message.startswith("the cell holds U+0081 at position 6, an invisible control")


# A quote left open, and cells longer than the csv module reads by default.


def test_a_quote_that_is_never_closed_names_its_row_and_what_to_do(tmp_path):
    import pytest

    from importer.errors import InputError

    text = (
        "campaign_name,type_campaign,skill_id\r\nUno,preview,101\r\n"
        'Dos,"preview,101\r\nTres,preview,101\r\nCuatro,preview,101\r\n'
    )
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as refused:
        load_table(path)
    assert str(refused.value) == (
        'c.csv: a quote (") opens a cell in row 3 and is never closed, so every row after it '
        "would be read into that one cell. Close the quote in that cell (or delete it), or "
        "check that the file was saved from Excel as CSV."
    )
    with i18n.using("es"), pytest.raises(InputError) as spanish:
        load_table(path)
    assert str(spanish.value).startswith(
        'c.csv: unas comillas (") abren una celda en la fila 3 y nunca se cierran'
    )


def test_a_quote_left_open_after_a_quoted_line_break_counts_rows_as_records(tmp_path):
    import pytest

    from importer.errors import InputError

    text = (
        'campaign_name,campaign_description,type_campaign,skill_id\nUno,"dos\nlíneas",preview,101\n'
        'Dos,"sin cerrar,preview,101\nTres,x,preview,101\n'
    )
    with pytest.raises(InputError, match="opens a cell in row 3 and is never closed"):
        load_table(_csv(tmp_path, text))


def test_quotes_inside_a_cell_and_doubled_quotes_are_not_an_open_quote(tmp_path):
    text = (
        "campaign_name,campaign_description,type_campaign,skill_id\n"
        'Uno,"dice ""hola""",preview,101\nDos,5" pantalla,preview,101\n'
    )
    table = load_table(_csv(tmp_path, text))
    assert table.frame.loc[2, "campaign_description"] == 'dice "hola"'
    assert table.frame.loc[3, "campaign_description"] == '5" pantalla'


def test_a_cell_of_4_mb_is_read_and_refused_as_a_cell_not_with_the_csv_modules_words(tmp_path):
    import csv

    csv.field_size_limit(131_072)  # the module's default, as a new process has it
    long = "x" * 4_000_000
    text = f'campaign_name,type_campaign,skill_id\nUno,preview,101\n"{long}",preview,101\n'
    table = load_table(_csv(tmp_path, text))
    checked = validate(table.frame, extra=table.problems)
    assert [c.row for c in checked.campaigns] == [2]
    (problem,) = checked.problems
    assert (problem.row, problem.rule) == (3, Rule.NAME_TOO_LONG)
    assert "4000000 characters" in problem.message


def test_a_4_mb_description_is_refused_as_longer_than_any_spreadsheet_cell(tmp_path):
    text = "campaign_name,campaign_description,type_campaign,skill_id\n"
    text += f"Uno,{'x' * 4_000_000},preview,101\nDos,corta,preview,101\n"
    table = load_table(_csv(tmp_path, text))
    checked = validate(table.frame, extra=table.problems)
    assert [c.row for c in checked.campaigns] == [3]  # never sent
    (problem,) = checked.problems
    assert (problem.row, problem.column, problem.rule) == (
        2,
        "campaign_description",
        Rule.CELL_TOO_LONG,
    )
    assert problem.message.startswith(
        "the cell holds 4,000,000 characters, more than a spreadsheet"
    )
    with i18n.using("es"):
        (spanish,) = validate(table.frame, extra=table.problems).problems
    assert spanish.message.startswith("la celda tiene 4,000,000 caracteres")


def test_a_utf8_mark_followed_by_other_bytes_is_refused_naming_the_line(tmp_path):
    import pytest

    from importer.errors import InputError

    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfcampaign_name,type_campaign,skill_id\nCaf\xe9,preview,101\n")
    with pytest.raises(InputError) as refused:
        load_table(path)
    assert str(refused.value) == (
        "x.csv starts with the UTF-8 mark but is not UTF-8 text at line 2. Open it in Excel "
        'and save it again as "CSV UTF-8".'
    )
    with i18n.using("es"), pytest.raises(InputError) as refused:
        load_table(path)
    assert str(refused.value).startswith("x.csv empieza con la marca de UTF-8 pero no es texto")


def test_a_utf16_file_cut_short_is_refused_naming_the_line(tmp_path):
    import pytest

    from importer.errors import InputError

    path = tmp_path / "x.csv"
    path.write_bytes("campaign_name,type_campaign,skill_id\n".encode("utf-16") + b"\x00")
    with pytest.raises(InputError) as refused:
        load_table(path)
    assert str(refused.value) == (
        "x.csv starts with the UTF-16 mark but is not UTF-16 text at line 2. Open it in Excel "
        'and save it again as "CSV UTF-8".'
    )
