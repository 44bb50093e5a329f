"""Coded values as people write them, in Spanish and English."""

import pytest

from importer.check.words import campaign_type, is_yes_or_no, yes_or_no


@pytest.mark.parametrize(
    ("written", "meant"),
    [("predictiva", "predictive"), (" PREDICTIVA ", "predictive"), ("Predictivo", "predictive"),
     ("Vista  previa", "preview"), ("PREVIEW", "preview"), ("Predictive", "predictive")],
)  # fmt: skip
def test_campaign_types_are_understood_in_spanish(written, meant):
    assert campaign_type(written) == meant


def test_other_type_words_are_left_for_the_check_to_report():
    assert campaign_type("Progresiva") == "progresiva"


@pytest.mark.parametrize(("written", "sent"), [("Sí", "yes"), ("SI", "yes"), ("falso", "no")])
def test_yes_and_no_in_either_language(written, sent):
    assert is_yes_or_no(written)
    assert yes_or_no(written) == sent


def test_other_words_are_not_yes_or_no():
    assert not is_yes_or_no("quizás")


@pytest.mark.parametrize("written", ["x", "X", "✓", "ok", "quizás", "2", "-"])
def test_marks_and_other_words_are_neither_yes_nor_no(written):
    # "x" ticks a box in one sheet and crosses one out in another: reported, never guessed.
    assert not is_yes_or_no(written)


@pytest.mark.parametrize(
    ("written", "sent"),
    [("VERDADERO", "yes"), ("FALSO", "no"), ("y", "yes"), ("N", "no"), ("S", "yes"),
     ("sì", "yes"), ("TRUE", "yes"), ("1", "yes"), ("0", "no")],
)  # fmt: skip
def test_the_documented_yes_and_no_words(written, sent):
    assert is_yes_or_no(written)
    assert yes_or_no(written) == sent


def test_the_word_lists_are_the_only_words_read_as_yes_or_no():
    from importer.check.words import NO_WORDS, YES_WORDS

    assert YES_WORDS == ("yes", "y", "sí", "si", "s", "true", "verdadero", "1")
    assert NO_WORDS == ("no", "n", "false", "falso", "0")
    assert all(yes_or_no(w) == "yes" for w in YES_WORDS)
    assert all(yes_or_no(w) == "no" for w in NO_WORDS)


@pytest.mark.parametrize(
    ("written", "nearest"),
    [("predictva", ("predictiva", "predictive")), ("predictiv", ("predictive", "predictive")),
     ("Predictiba", ("predictiva", "predictive")), ("previw", ("preview", "preview")),
     ("vista prevía", ("vista previa", "preview")), ("manual", None), ("automática", None)],
)  # fmt: skip
def test_a_misspelt_type_has_its_nearest_accepted_spelling(written, nearest):
    from importer.check.words import nearest_type

    assert nearest_type(written) == nearest


@pytest.mark.parametrize(
    ("written", "nearest"),
    [("sii", ("sí", "yes")), ("yse", ("yes", "yes")), ("verdadro", ("verdadero", "yes")),
     ("fasle", ("false", "no")), ("nop", ("no", "no")), ("x", None), ("quizás", None)],
)  # fmt: skip
def test_a_misspelt_yes_or_no_has_its_nearest_word(written, nearest):
    from importer.check.words import nearest_yes_or_no

    assert nearest_yes_or_no(written) == nearest


@pytest.mark.parametrize(
    ("value", "said"),
    [("1O1", '"O" at position 2 is the letter O, not the digit 0'),
     ("1l", '"l" at position 2 is the letter l, not the digit 1'),
     ("12a", '"a" at position 3 is not a digit'),
     ("10 1", "a space at position 3 is not a digit"),
     ("1\u00ad2", "U+00AD at position 2 is not a digit"),
     ("1O1O", '"O" at position 2 and "O" at position 4 are not digits'),
     ("abcde", '"a" at position 1, "b" at position 2, "c" at position 3 and 2 more are not '
      "digits"),
     ("\uff11\uff10", '"\uff11" at position 1 and "\uff10" at position 2 are not digits')],
)  # fmt: skip
def test_the_characters_that_are_not_digits_are_named_with_their_position(value, said):
    from importer.check.words import describe_non_digits

    assert describe_non_digits(value) == said
