from importer.columns import fold, header_score, match_header


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
