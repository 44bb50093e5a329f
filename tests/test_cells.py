"""Cells as meant, shared by reading and validation."""

import numpy as np

from importer.cells import by_value, clean_cell, clean_header, clean_values, fold_accents


def test_cells_lose_invisible_marks_and_take_one_unicode_form():
    assert clean_cell("\u00a0Retencio\u0301n\u200b ") == "Retención"
    assert clean_header("\ufeffskill_id\u00a0") == "skill_id"


def test_a_missing_cell_is_empty_not_its_neighbours_value():
    assert clean_values(np.array([" a ", None, "b"], dtype=object)).tolist() == ["a", "", "b"]


def test_by_value_calls_once_per_distinct_value():
    calls = []
    out = by_value(np.array(["x", "y", "x", "x"], dtype=object), lambda v: calls.append(v) or v)
    assert out.tolist() == ["x", "y", "x", "x"]
    assert calls == ["x", "y"]


def test_fold_accents_drops_case_and_accents():
    assert fold_accents("PREDICTÍVA") == "predictiva"
