"""The skills file: ids and names under Spanish or English headers."""

import re

import pytest

from importer.check.skills import load_skills
from importer.errors import InputError


def test_skills_are_read_under_spanish_headers(tmp_path):
    path = tmp_path / "skills.csv"
    path.write_text("ID skill;Nombre\n101;Cobranza\n0042;Ventas\n", encoding="utf-8")
    assert load_skills(path) == {"101": "Cobranza", "0042": "Ventas"}


def test_a_skills_file_with_no_ids_says_what_to_fill_in(tmp_path):
    path = tmp_path / "skills.csv"
    path.write_text("skill_id,skill_name\n,Cobranza\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=re.escape("lists no skills under its skill_id column. Fill in")
    ):
        load_skills(path)
