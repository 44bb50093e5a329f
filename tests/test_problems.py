"""A problem reads the same everywhere, in the reader's language, and its rule has a name."""

from importer import i18n
from importer.check.problems import SHOWN_CHARS, Problem, Rule, describe, shown


def test_a_problem_reads_row_column_value_and_message():
    problem = Problem(
        5, "skill_id", "abc", "skill_id must be digits only, e.g. 101", "skill_digits"
    )
    assert str(problem) == "row 5, skill_id 'abc': skill_id must be digits only, e.g. 101"
    assert str(Problem(6, "campaign_name", "", "empty")) == "row 6, campaign_name: empty"


def test_a_problem_reads_in_spanish():
    with i18n.using("es"):
        assert str(Problem(5, "skill_id", "abc", "x")) == "fila 5, skill_id 'abc': x"


def test_rules_are_their_stable_ids():
    assert Rule.SKILL_DIGITS == "skill_digits"
    assert Problem(1, "skill_id", "", "m", Rule.EXTRA_FIELDS).rule == "extra_fields"


def test_every_rule_has_a_description_in_both_languages():
    for rule in Rule:
        assert describe(rule) != rule
        with i18n.using("es"):
            assert describe(rule) != rule
    assert describe("skill_digits") == "skill_id must be digits only"
    with i18n.using("es"):
        assert describe("skill_digits") == "skill_id debe tener solo dígitos"
    assert describe("no_such_rule") == "no_such_rule"


def test_a_long_value_is_shortened_in_the_message():
    huge = str(10**300)
    text = str(Problem(5, "start_time", huge, "not a time"))
    assert text == f"row 5, start_time '{huge[:59]}…': not a time"
    assert shown("x" * 60) == "x" * 60
    assert len(shown("x" * 61)) == SHOWN_CHARS


def test_a_value_with_an_unstorable_character_is_shown_visibly():
    assert str(Problem(2, "campaign_name", "Bad\x01Name", "m")) == (
        "row 2, campaign_name 'Bad<U+0001>Name': m"
    )
