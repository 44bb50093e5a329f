"""Coded values as people write them, in Spanish and English."""

import pytest

from importer.words import campaign_type, is_yes_or_no, yes_or_no


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
