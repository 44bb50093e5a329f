import json

import pandas as pd
import pytest

from importer import i18n
from importer.check.columns import BODY_FIELDS, FIELDS
from importer.check.schema import Options, validate


def frame(*rows: dict[str, str], first_row: int = 2) -> pd.DataFrame:
    data = [[r.get(f, "") for f in FIELDS] for r in rows]
    index = pd.RangeIndex(first_row, first_row + len(rows), name="row")
    return pd.DataFrame(data, columns=list(FIELDS), index=index, dtype=object)


def good(name="Ventas", **extra):
    return {"campaign_name": name, "type_campaign": "preview", "skill_id": "101", **extra}


def messages(checked):
    return [(p.row, p.column, p.message) for p in checked.problems]


def test_valid_row_becomes_a_full_string_body():
    checked = validate(frame(good("Ventas", skill_id="0042", opt3="x")))
    assert checked.problems == []
    (campaign,) = checked.campaigns
    assert list(campaign.body) == list(BODY_FIELDS)
    assert all(isinstance(v, str) for v in campaign.body.values())
    assert campaign.body["campaign_name"] == "Ventas"
    assert campaign.body["skill_id"] == "0042"
    assert campaign.body["opt3"] == "x"
    assert campaign.body["enable_edition"] == "no"  # the documented default
    assert json.loads(campaign.body_json()) == campaign.body


def test_every_problem_is_reported_at_once_with_sheet_rows():
    checked = validate(frame(
        good("A", skill_id="12a"),
        good("", type_campaign="x"),
        good("C", enable_edition="maybe"),
        first_row=5,
    ))  # fmt: skip
    assert messages(checked) == [
        (5, "skill_id", 'skill_id must be digits only: "a" at position 3 is not a digit'),
        (6, "campaign_name", "campaign_name is empty; every campaign needs a name"),
        (6, "type_campaign", "type_campaign must be preview or predictive (vista previa, "
         "predictiva and predictivo are read too)"),
        (7, "enable_edition", "enable_edition must be yes or no (yes: yes, y, sí, si, s, true, "
         "verdadero, 1; no: no, n, false, falso, 0; empty means no)"),
    ]  # fmt: skip
    assert len(checked.campaigns) == 0


def test_invalid_rows_do_not_stop_valid_ones():
    checked = validate(frame(good("A"), good("B", skill_id=""), good("C")))
    assert [c.row for c in checked.campaigns] == [2, 4]
    assert list(checked.invalid) == [3]


def test_duplicate_names_are_an_error_on_each_duplicate_whatever_the_case():
    checked = validate(frame(good("Retención"), good("B"), good("RETENCIÓN")))
    assert [(p.row, p.column) for p in checked.problems] == [
        (2, "campaign_name"), (4, "campaign_name"),
    ]  # fmt: skip
    assert checked.problems[0].message == (
        "same campaign_name as row 4; names must be unique within the file"
    )


def test_type_is_case_insensitive_and_defaults_from_the_option():
    rows = frame(good("A", type_campaign="Preview"), good("B", type_campaign=""))
    assert messages(validate(rows))[0][2] == (
        "type_campaign is empty; write preview or predictive, or run with --type"
    )
    checked = validate(rows, Options(default_type="preview"))
    assert [c.type_campaign for c in checked.campaigns] == ["preview", "preview"]


@pytest.mark.parametrize(
    ("cell", "sent"),
    [("Sí", "yes"), ("TRUE", "yes"), ("1", "yes"), ("no", "no"), ("FALSE", "no"), ("0", "no")],
)
def test_enable_edition_spellings(cell, sent):
    (campaign,) = validate(frame(good(enable_edition=cell))).campaigns
    assert campaign.body["enable_edition"] == sent


def test_predictive_rows_need_both_times():
    checked = validate(frame(good(type_campaign="predictive", start_time="08:00")))
    assert messages(checked) == [
        (2, "end_time", "end_time is required for predictive campaigns"),
    ]


def test_times_are_normalised_to_the_wire_format():
    row = good(type_campaign="predictive", start_time="8:00 a. m.", end_time="2026-12-01 18:00")
    (campaign,) = validate(frame(row)).campaigns
    assert (campaign.body["start_time"], campaign.body["end_time"]) == ("080000", "180000")


def test_datetime_wire_format_needs_dates():
    row = good(
        type_campaign="predictive", start_time="2026-12-01 08:00", end_time="2026-12-01 18:00"
    )
    (campaign,) = validate(frame(row), Options(time_format="datetime")).campaigns
    assert campaign.body["start_time"] == "20261201080000"
    checked = validate(frame(good(start_time="08:00")), Options(time_format="datetime"))
    assert "needs a date as well" in checked.problems[0].message


def test_end_must_be_after_start():
    checked = validate(frame(good(start_time="18:00", end_time="08:00")))
    assert messages(checked) == [(2, "end_time", "end_time must be after start_time")]


def test_bad_time_message_names_the_value():
    checked = validate(frame(good(start_time="25:00")))
    assert str(checked.problems[0]) == (
        "row 2, start_time '25:00': not a valid time of day; times go from 00:00 to 23:59"
    )


def test_excel_error_cells_get_one_message():
    checked = validate(frame(good(skill_id="#N/A")))
    assert messages(checked) == [
        (2, "skill_id", "the cell holds the Excel error #N/A; fix the formula or type the value"),
    ]


def test_known_skills_reject_unknown_ids_with_nearest_suggestions():
    skills = {"101": "Cobranza", "102": "Ventas", "205": ""}
    checked = validate(frame(good(skill_id="103")), Options(skills=skills))
    assert checked.problems[0].message == (
        "skill_id is not one of the operation's skills; nearest known: 102 (Ventas), "
        "101 (Cobranza), 205"
    )


@pytest.mark.parametrize(
    ("cell", "sent"),
    [("predictiva", "predictive"), ("PREDICTIVA", "predictive"), ("Predictíva", "predictive"),
     ("vista previa", "preview"), ("Vista Previa", "preview"), ("Preview", "preview")],
)  # fmt: skip
def test_spanish_type_words_mean_the_api_types(cell, sent):
    row = good(type_campaign=cell, start_time="08:00", end_time="18:00")
    (campaign,) = validate(frame(row)).campaigns
    assert campaign.type_campaign == sent


def test_a_spanish_predictive_row_needs_its_times_too():
    checked = validate(frame(good(type_campaign="Predictiva")))
    assert [p.rule for p in checked.problems] == ["start_required", "end_required"]


def test_problems_carry_their_rule():
    checked = validate(frame(good("A", skill_id="12a"), good("A")))
    assert [(p.row, p.rule) for p in checked.problems] == [
        (2, "duplicate_name"), (2, "skill_digits"), (3, "duplicate_name"),
    ]  # fmt: skip


def test_names_written_in_two_unicode_forms_are_the_same_name():
    # The same name, precomposed and decomposed, as a frame built without the loader has it.
    checked = validate(frame(good("Retenci\u00f3n"), good("RETENCIO\u0301N ")))
    assert [(p.row, p.rule) for p in checked.problems] == [
        (2, "duplicate_name"), (3, "duplicate_name"),
    ]  # fmt: skip


def test_name_key_is_nfc_trimmed_and_case_folded():
    from importer.check.schema import name_key

    assert name_key(" Retencio\u0301n ") == name_key("RETENCIÓN") == "retención"


def test_problems_found_while_reading_make_their_rows_invalid_and_come_first():
    from importer.check.problems import Problem

    shifted = Problem(3, "skill_id", "x", "this row has 5 fields", "extra_fields")
    checked = validate(frame(good("A"), good("B", skill_id="x")), extra=[shifted])
    assert [c.row for c in checked.campaigns] == [2]
    assert checked.invalid[3][0] is shifted
    assert [p.rule for p in checked.problems] == ["extra_fields", "skill_digits"]


def test_messages_are_in_the_language_of_the_moment_they_are_made():
    from importer import i18n

    rows = frame(good(skill_id="12a", start_time="25:00"))
    with i18n.using("es"):
        spanish = messages(validate(rows))
    assert spanish == [
        (2, "start_time", "no es una hora del día válida; las horas van de 00:00 a 23:59"),
        (2, "skill_id", 'skill_id debe tener solo dígitos: "a" en la posición 3 no es un dígito'),
    ]
    assert messages(validate(rows))[1][2] == (
        'skill_id must be digits only: "a" at position 3 is not a digit'
    )


def test_describe_names_a_rule_for_counting():
    from importer.check.schema import describe

    assert describe("duplicate_name") == "campaign_name appears more than once"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe"])
@pytest.mark.parametrize("column", ["campaign_name", "campaign_description", "skill_id", "opt12"])
def test_a_character_a_workbook_cannot_store_is_a_row_problem(char, column):
    value = f"Bad{char}Name" if column != "skill_id" else f"10{char}1"
    checked = validate(frame(good("A"), good("B", **{column: value})))
    assert [c.row for c in checked.campaigns] == [2]  # the row is not sent
    (problem, *others) = checked.invalid[3]
    code = f"U+{ord(char):04X}"
    position = 4 if column != "skill_id" else 3
    assert (problem.column, problem.rule) == (column, "unstorable_character")
    assert problem.message == (
        f"the cell holds {code} at position {position}, an invisible character that a workbook "
        f"cannot store (the workbooks show it as <{code}>) and wolkvox may not receive intact. "
        "Delete it: type the text again."
    )
    assert [p.rule for p in others] == (["skill_digits"] if column == "skill_id" else [])


@pytest.mark.parametrize("char", ["\x7f", "\x80", "\x85", "\x9f"])
@pytest.mark.parametrize("column", ["campaign_name", "campaign_description", "opt12"])
def test_del_and_c1_control_characters_are_a_row_problem_too(char, column):
    checked = validate(frame(good("A"), good("B", **{column: f"Bad{char}Name"})))
    assert [c.row for c in checked.campaigns] == [2]  # the row is not sent
    (problem,) = checked.invalid[3]
    code = f"U+{ord(char):04X}"
    assert (problem.column, problem.rule) == (column, "unstorable_character")
    assert problem.message == (
        f"the cell holds {code} at position 4, an invisible control character that wolkvox "
        f"may not receive intact (the workbooks show it as <{code}>). "
        "Delete it: type the text again."
    )
    with i18n.using("es"):
        (spanish,) = validate(frame(good("B", **{column: f"Bad{char}Name"}))).problems
    assert spanish.message.startswith(f"la celda tiene {code} en la posición 4, un carácter")
    # the mark a workbook shows for it, read back from a retry file, keeps the problem
    (marked,) = validate(frame(good("B", **{column: f"Bad<{code}>Name"}))).problems
    assert marked.message == problem.message


@pytest.mark.parametrize("column", ["campaign_description", "opt12", "skill_id"])
def test_a_cell_longer_than_a_spreadsheet_cell_is_a_row_problem(column):
    checked = validate(frame(good("A"), good("B", **{column: "x" * 32_768})))
    assert [c.row for c in checked.campaigns] == [2]
    problem = next(p for p in checked.invalid[3] if p.rule == "cell_too_long")
    assert problem.column == column
    assert problem.message == (
        "the cell holds 32,768 characters, more than a spreadsheet cell can hold (32,767): in "
        "a CSV, usually a quote left open. Shorten the cell, or check that the file was saved "
        "from Excel as CSV."
    )
    fits = validate(frame(good("A", campaign_description="x" * 32_767)))
    assert not fits.problems


def test_the_mark_written_for_such_a_character_keeps_the_problem_and_its_words():
    raw = validate(frame(good("Bad\x01Na\x02me")))
    marked = validate(frame(good("Bad<U+0001>Na<U+0002>me")))
    assert [p.message for p in raw.problems] == [p.message for p in marked.problems]
    assert raw.problems[0].message.endswith(
        "Delete it: type the text again. 1 more such character in the cell."
    )
    assert not marked.campaigns
    with i18n.using("es"):
        (spanish,) = validate(frame(good("Bad\x01Name"))).problems
    assert spanish.message.startswith("la celda tiene U+0001 en la posición 4")


@pytest.mark.parametrize("mark", ["\u200f", "\u200e", "\u202b", "\u2066", "\u00ad", "\ufe0f"])
def test_names_that_differ_only_by_an_invisible_mark_are_duplicates(mark):
    # As a frame built without the loader (a server's list, the page) has them.
    checked = validate(frame(good("abc"), good(f"{mark}abc"), good(f"ab{mark}c")))
    assert [(p.row, p.rule) for p in checked.problems] == [
        (2, "duplicate_name"), (3, "duplicate_name"), (4, "duplicate_name"),
    ]  # fmt: skip


def test_a_name_longer_than_the_limit_is_refused():
    from importer.send.policy import MAX_NAME_LENGTH

    assert MAX_NAME_LENGTH == 100
    checked = validate(frame(good("n" * 100), good("ñ" * 101)))
    assert [c.row for c in checked.campaigns] == [2]
    (problem,) = checked.problems
    assert (problem.row, problem.rule) == (3, "name_too_long")
    assert problem.message == (
        "campaign_name has 101 characters, more than the 100 accepted: a server that cut it "
        "short would hold a name the importer cannot find again. Shorten it."
    )
    assert len(str(problem)) < 250  # the value is shortened in the message
    assert validate(frame(good("n" * 30)), Options(max_name_length=20)).problems[0].rule == (
        "name_too_long"
    )


def test_a_huge_number_in_a_time_cell_is_shortened_in_the_message():
    checked = validate(frame(good(start_time=str(10**300))))
    (problem,) = checked.problems
    assert problem.value == str(10**300)  # the cell keeps its value
    assert str(problem) == (
        f"row 2, start_time '{str(10**300)[:59]}…': not a time; write it like 08:00 or 08:00:00"
    )


def test_a_negative_number_in_a_time_cell_is_a_problem_not_midnight():
    checked = validate(frame(good(type_campaign="predictive", start_time="-1", end_time="18:00")))
    assert not checked.campaigns
    assert messages(checked) == [(2, "start_time", (
        "a negative number, which is no time of day (Excel shows it as #####); type the "
        "time, e.g. 08:00"
    ))]  # fmt: skip


def test_a_letter_o_in_a_skill_id_is_named_with_its_position():
    checked = validate(frame(good(skill_id="1O1")))
    assert messages(checked) == [
        (2, "skill_id", 'skill_id must be digits only: "O" at position 2 is the letter O, not '
         "the digit 0"),
    ]  # fmt: skip
    from importer import i18n

    with i18n.using("es"):
        assert messages(validate(frame(good(skill_id="1O1"))))[0][2] == (
            'skill_id debe tener solo dígitos: "O" en la posición 2 es la letra O, no el dígito 0'
        )


def test_a_duplicate_name_says_which_rows_hold_the_same_name():
    checked = validate(frame(good("Ventas"), good("B"), good("ventas "), good("VENTAS")))
    by_row = {p.row: p.message for p in checked.problems}
    assert by_row == {
        2: "same campaign_name as rows 4 and 5; names must be unique within the file",
        4: "same campaign_name as rows 2 and 5; names must be unique within the file",
        5: "same campaign_name as rows 2 and 4; names must be unique within the file",
    }
    from importer import i18n

    with i18n.using("es"):
        spanish = validate(frame(good("Ventas"), good("Ventas"), first_row=6)).problems
    assert [p.message for p in spanish] == [
        "el mismo campaign_name que la fila 7; los nombres no se pueden repetir en el archivo",
        "el mismo campaign_name que la fila 6; los nombres no se pueden repetir en el archivo",
    ]


def test_many_duplicates_list_the_first_few_rows():
    checked = validate(frame(*(good("Ventas") for _ in range(8))))
    assert checked.problems[0].message == (
        "same campaign_name as rows 3, 4, 5, 6, 7, …; names must be unique within the file"
    )


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [("type_campaign", "predictva",
      "type_campaign must be preview or predictive; did you mean predictiva (predictive)?"),
     ("type_campaign", "previw", "type_campaign must be preview or predictive; did you mean "
      "preview?"),
     ("enable_edition", "sii", "enable_edition must be yes or no; did you mean sí (yes)? (yes: "
      "yes, y, sí, si, s, true, verdadero, 1; no: no, n, false, falso, 0; empty means no)")],
)  # fmt: skip
def test_misspelt_fixed_values_get_a_did_you_mean(column, cell, message):
    row = good(start_time="08:00", end_time="18:00", **{column: cell})
    assert messages(validate(frame(row))) == [(2, column, message)]


def test_did_you_mean_is_spanish_when_asked():
    from importer import i18n

    with i18n.using("es"):
        found = messages(validate(frame(good(type_campaign="predictiba"),
                                        good("B", enable_edition="x"))))  # fmt: skip
    assert found == [
        (2, "type_campaign", "type_campaign debe ser preview o predictive; ¿quiso decir "
         "predictiva (predictive)?"),
        (3, "enable_edition", "enable_edition debe ser yes o no (sí: yes, y, sí, si, s, true, "
         "verdadero, 1; no: no, n, false, falso, 0; vacío equivale a no)"),
    ]  # fmt: skip


@pytest.mark.parametrize("cell", ["x", "X", "✓", "ok"])
def test_a_mark_in_enable_edition_is_a_problem_not_a_yes(cell):
    checked = validate(frame(good(enable_edition=cell)))
    assert [(p.column, p.rule) for p in checked.problems] == [("enable_edition", "edition_value")]
    assert len(checked.campaigns) == 0


@pytest.mark.parametrize(("cell", "sent"), [("verdadero", "yes"), ("FALSO", "no"), ("s", "yes")])
def test_spreadsheet_booleans_in_spanish_still_mean_yes_and_no(cell, sent):
    (campaign,) = validate(frame(good(enable_edition=cell))).campaigns
    assert campaign.body["enable_edition"] == sent


@pytest.mark.parametrize(("cell", "sent"), [("8", "080000"), ("8h", "080000"), ("8.30", "083000")])
def test_bare_hours_and_decimal_times_are_sent(cell, sent):
    row = good(type_campaign="predictive", start_time=cell, end_time="18h")
    (campaign,) = validate(frame(row)).campaigns
    assert (campaign.body["start_time"], campaign.body["end_time"]) == (sent, "180000")
