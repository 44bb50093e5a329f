"""Cells as meant, shared by reading and validation."""

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importer.check.cells import (
    by_value,
    clean_cell,
    clean_header,
    clean_values,
    code_name,
    fold_accents,
    name_key,
    unstorable,
    visible,
)


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


# Every default-ignorable code point the importer removes, one per range end.
IGNORABLE_SAMPLES = [
    "\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180f",
    "\u200b", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060", "\u2066", "\u2069", "\u206f",
    "\u3164", "\ufe00", "\ufe0f", "\ufeff", "\uffa0", "\ufff0", "\ufff8", "\U0001bca0",
    "\U0001bca3", "\U0001d173", "\U0001d17a", "\U000e0000", "\U000e0001", "\U000e0fff",
]  # fmt: skip


@pytest.mark.parametrize("mark", IGNORABLE_SAMPLES)
def test_names_that_look_alike_are_alike(mark):
    assert clean_cell(f"{mark}abc") == clean_cell(f"a{mark}bc") == "abc"
    assert name_key(f"{mark}ABC{mark}") == name_key("abc") == name_key(" Abc ")
    assert clean_header(f"{mark}skill_id") == "skill_id"


def test_the_ignorable_list_is_unicodes_own():
    """Exactly Default_Ignorable_Code_Point: DerivedCoreProperties.txt counts 4,174 code
    points (format characters, variation selectors, fillers and unassigned reserves)."""
    removed = [c for c in map(chr, range(0x110000)) if clean_cell(f"a{c}b") == "ab"]
    assert len(removed) == 4174
    assert {unicodedata.category(c) for c in removed} == {"Cf", "Mn", "Lo", "Cn"}
    assert clean_cell("a\u00a0b") == "a\u00a0b"  # spaces inside a name are kept
    assert clean_cell("a\u200db") == "ab"


def test_characters_a_workbook_cannot_store_are_found_and_shown():
    assert unstorable("Bad\x01Name") == [(4, 1)]
    assert unstorable("a\x00b\x1f\ufffe") == [(2, 0), (4, 0x1F), (5, 0xFFFE)]
    assert unstorable("tab\tline\nreturn\r") == []
    assert unstorable("Bad<U+0001>Name") == [(4, 1)]  # the mark the workbooks write
    assert unstorable("<U+0041> is A") == []
    assert visible("a\x01b\ud800") == "a<U+0001>b<U+D800>"
    assert visible("plain") == "plain"
    assert code_name(0x1F) == "U+001F"


def test_del_and_c1_controls_are_found_and_shown_like_the_others():
    assert unstorable("a\x7fb\x85c\x9f") == [(2, 0x7F), (4, 0x85), (6, 0x9F)]
    assert unstorable("Bad<U+0085>Name") == [(4, 0x85)]
    assert unstorable("\xa0\xa1ñ") == []  # U+00A0 and above are text
    assert visible("a\x85b\x7f") == "a<U+0085>b<U+007F>"
    from importer.record.workbook_style import storable

    assert storable("Bad\x85Name") == "Bad<U+0085>Name"


ODD_CELLS = [" a", "a ", "a\u200b", "e\u0301", "\u0301", "\x1c", "x\x85", "\U0001d173a",
             "ab\u00a0", "\ud800", "María", "\x00", "", "ca\xadda", "\x7f", " ñ", "ñ\xa0",
             "\x0b", "a\tb"]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.text(max_size=8) | st.sampled_from(ODD_CELLS), max_size=6))
def test_clean_column_is_clean_values_whatever_the_cells(cells):
    from importer.check.cells import clean_column, clean_values

    column = np.array(cells, dtype=object)
    assert clean_column(column).tolist() == clean_values(column).tolist()


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF)) | st.text())
def test_a_whole_column_is_found_unstorable_exactly_when_a_cell_is(text):
    from importer.check.cells import has_unstorable

    # Latin-1 text takes a quicker road than the rest: both must agree with unstorable()
    assert has_unstorable(text) == bool(unstorable(text))


def test_clean_column_returns_a_clean_column_as_it_is():
    from importer.check.cells import clean_column

    column = np.array(["María", "José", "3001234567"], dtype=object)
    assert clean_column(column) is column
    assert clean_column(np.array(["María ", "x"], dtype=object)).tolist() == ["María", "x"]
