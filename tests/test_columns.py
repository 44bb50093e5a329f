import pytest

from importer.check.columns import fold, header_score, match_header


def test_header_matching_ignores_case_spaces_and_accents():
    match = match_header([" Campaign_Name ", "SKILL_ID", "Descripción", "hora_inicio"])
    assert match.positions == {
        "campaign_name": 0, "skill_id": 1, "campaign_description": 2, "start_time": 3,
    }  # fmt: skip
    assert match.aliases["start_time"] == "hora_inicio"


def test_spanish_aliases_are_recognised():
    match = match_header(["Nombre de la campaña", "id_skill", "tipo_campaña", "Opción 3"])
    assert set(match.positions) == {"campaign_name", "skill_id", "type_campaign", "opt3"}


def test_misspelt_known_column_is_flagged_with_a_guess():
    match = match_header(["campain_name", "skil_id", "notas"])
    assert match.misspelt == [("campain_name", "campaign_name"), ("skil_id", "skill_id")]
    assert match.ignored == ["notas"]


def test_two_columns_for_one_field_are_reported():
    match = match_header(["campaign_name", "Nombre", "skill_id"])
    assert match.duplicated == [("campaign_name", ["campaign_name", "Nombre"])]


def test_fold_drops_invisible_spaces():
    assert fold("\u00a0skill\u200b_id ") == "skillid"


def test_header_score_counts_distinct_known_fields():
    assert header_score(["campaign_name", "skill_id", "x"]) == 2
    assert header_score(["Campañas de diciembre"]) == 0


def test_a_mapping_places_columns_before_names_and_aliases():
    match = match_header(
        ["campaign_name", "Nombre corto", "skil_id", "notas"],
        {"Nombre corto": "campaign_name", "skil_id": "skill_id", "notas": None},
    )
    assert match.positions == {"campaign_name": 1, "skill_id": 2}
    assert match.mapped == {"campaign_name": "Nombre corto", "skill_id": "skil_id"}
    assert (match.misspelt, match.duplicated) == ([], [])
    assert match.ignored == ["campaign_name", "notas"]


def test_two_columns_mapped_onto_one_field_are_reported():
    match = match_header(["a", "b"], {"a": "skill_id", "b": "skill_id"})
    assert match.duplicated == [("skill_id", ["a", "b"])]


def test_column_descriptions_follow_the_language():
    from importer import i18n
    from importer.check.columns import description

    assert description("skill_id").startswith("Required.")
    with i18n.using("es"):
        assert description("skill_id").startswith("Obligatorio.")


def test_start_and_end_headers_are_written_the_same_ways():
    from importer.check.columns import ALIASES

    assert match_header(["Hora Inicial", "Hora Final"]).positions == {
        "start_time": 0, "end_time": 1,
    }  # fmt: skip
    starts = {fold(a).replace("inicial", "final").replace("inicio", "fin").replace("start", "end")
              for a in ALIASES["start_time"]}  # fmt: skip
    assert starts == {fold(a) for a in ALIASES["end_time"]}


@pytest.mark.parametrize(
    ("header", "field"),
    [("Hora inicio", "start_time"), ("Hora de inicio", "start_time"),
     ("HORA INICIAL", "start_time"), ("Horario de inicio", "start_time"),
     ("Start time", "start_time"), ("Hora fin", "end_time"),
     ("Hora de fin", "end_time"), ("hora_final", "end_time"), ("Horario de fin", "end_time"),
     ("End time", "end_time")],
)  # fmt: skip
def test_working_hour_headers_in_spanish_and_english(header, field):
    assert match_header([header]).positions == {field: 0}


def test_punctuation_around_a_header_is_ignored():
    match = match_header(["¿Nombre?", "¡Skill!", "¿Editable?", "(Descripción):"])
    assert match.positions == {
        "campaign_name": 0, "skill_id": 1, "enable_edition": 2, "campaign_description": 3,
    }  # fmt: skip


def test_a_header_with_a_fields_own_name_in_brackets_at_its_end_is_that_field():
    assert match_header(["Mi columna (skill_id)"]).positions == {"skill_id": 0}
    assert match_header(["Nombre", "Tipo", "Mi columna (skill_id)"]).positions == {
        "campaign_name": 0, "type_campaign": 1, "skill_id": 2,
    }  # fmt: skip
    # only a field's own name: an alias or another word in brackets names nothing
    assert match_header(["Mi columna (skill)"]).positions == {}
    assert "skill_id" not in match_header(["Mi columna (skill_id) extra"]).positions
    assert match_header(["Nombre (2)", "Nombre"]).positions == {"campaign_name": 1}
