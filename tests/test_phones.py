"""Phone numbers: cleaned, checked for the country with phonenumbers, sent as text."""

import datetime as dt

import numpy as np
import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from importer import i18n
from importer.check.phones import Phones, check_country, check_format, clean
from importer.errors import UsageError
from importer.read.workbook import cell_text

REGIONS = ("CO", "MX", "PE", "EC", "CL", "AR", "ES", "US", "GB", "IT")


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("3001234567", "3001234567"),
        ("300 123 4567", "3001234567"),
        ("300-123-4567", "3001234567"),
        ("300.123.4567", "3001234567"),
        ("(300) 123 4567", "3001234567"),
        ("[300] 123\u00a04567", "3001234567"),
        ("300 \u2013 123 \u2013 4567", "3001234567"),
        ("+57 300 123 4567", "3001234567"),
        ("+57 (300) 123-4567", "3001234567"),
        ("573001234567", "3001234567"),
        ("0057 300 123 4567", "3001234567"),
        ("601 234 5678", "6012345678"),  # a Bogotá landline
        ("3001234567.0", "3001234567"),  # a decimal column written out by a program
        ("", ""),
    ],
)
def test_what_people_type_is_sent_as_national_digits(typed, sent):
    phones = Phones()
    assert phones.wire(typed) == sent
    assert phones.problem(typed) == ""


def test_the_wire_format_is_a_setting():
    assert Phones("CO", "e164").wire("300 123 4567") == "573001234567"
    assert Phones("CO", "national").wire("+57 300 123 4567") == "3001234567"
    assert Phones("MX", "e164").wire("55 1234 5678") == "525512345678"


def test_an_excel_number_cell_is_its_digits_never_a_float():
    # calamine hands a number cell over as a float: it is shown the way Excel shows it.
    assert cell_text(3001234567.0) == "3001234567"
    assert Phones().wire(cell_text(3001234567.0)) == "3001234567"


def test_a_number_cell_of_a_real_workbook_arrives_as_text(tmp_path):
    from openpyxl import Workbook

    from importer.read.files import read_sheet

    book = Workbook()
    sheet = book.active
    sheet.append(["campaign_name", "tel1", "recall_date"])
    sheet.append(["Ventas", 3001234567, dt.datetime(2026, 12, 1, 10, 30)])
    path = tmp_path / "records.xlsx"
    book.save(path)
    read = read_sheet(path, score=lambda cells: len([c for c in cells if c]))
    assert read.body.iloc[0].tolist() == ["Ventas", "3001234567", "2026-12-01 10:30:00"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("300123456", "9 digits are not the length of a phone number of CO (8, 10 or 11 "
         "digits, e.g. 3211234567); check for a missing or extra digit"),
        ("5999999999", "5999999999 is not a phone number in use in CO (no operator has that "
         "range); check the digits, e.g. 3211234567"),
        ("+1 202 555 0101", "+1 202 555 0101 is a number of country code +1 (US), not of CO: "
         "the records are checked as numbers of CO (--country)"),
        ("3,00123E+09", "3,00123E+09 is a number in scientific notation: Excel saved it that "
         "way and its last digits are lost. Format the column as text (or as a number "
         "without decimals) in the original sheet, and save or export it again."),
        ("3OO 123 4567", 'not a phone number: "O" at position 2 and "O" at position 3 are '
         "not digits"),
        ("300 123 4567 ext 2", 'not a phone number: "e" at position 14, "x" at position 15 '
         'and "t" at position 16 are not digits'),
        ("300 123 4567 / 310 765 4321", "the cell holds 2 phone numbers; put each in a phone "
         "column of its own (tel1, tel2, ...)"),
        ("N/A", 'not a phone number: "N" at position 1, "/" at position 2 and "A" at '
         "position 3 are not digits"),
        ("--", "not a phone number; write its digits, e.g. 3211234567"),
    ],
)  # fmt: skip
def test_a_number_that_cannot_exist_says_why(typed, said):
    phones = Phones()
    assert phones.wire(typed) == ""
    assert phones.problem(typed) == said


def test_messages_are_in_spanish_too():
    phones = Phones()
    english = phones.problem("300123456")
    with i18n.using("es"):
        spanish = phones.problem("300123456")
        assert spanish == (
            "9 dígitos no son la longitud de un número de teléfono de CO (8, 10 u 11 "
            "dígitos, p. ej. 3211234567); revise si falta o sobra un dígito"
        )
        assert phones.problem("3,00123E+09").startswith("3,00123E+09 es un número en notación")
    assert phones.problem("300123456") == english  # each language said once, kept apart


def test_letters_are_never_read_as_digits():
    # phonenumbers itself turns 1-800-FLOWERS into digits; a phone column must not.
    assert Phones("US").wire("1-800-FLOWERS") == ""
    assert Phones("US").wire("1-800-356-9377") == "8003569377"


def test_the_country_and_format_are_checked():
    assert check_country(" co ") == "CO"
    with pytest.raises(UsageError, match=r"--country must be a two-letter country code"):
        check_country("Colombia")
    with pytest.raises(UsageError, match=r"--phone-format must be one of national, e164"):
        check_format("international")
    with i18n.using("es"), pytest.raises(UsageError, match=r"--country debe ser"):
        Phones("XX")


def test_a_column_is_the_cells_one_by_one():
    values = np.array(
        ["300 123 4567", "", "123", "300 123 4567", "+57 310 765 4321", "abc", "3001234567.0"],
        dtype=object,
    )
    wires, bad = Phones().column(values)
    assert wires.tolist() == ["3001234567", "", "", "3001234567", "3107654321", "", "3001234567"]
    assert bad.tolist() == [False, False, True, False, False, True, False]


def test_clean_drops_separators_and_a_decimal_zero_only():
    assert clean(" +57 (300) 123-45.67 ") == "+573001234567"
    assert clean("3001234567.00") == "3001234567"
    assert clean("3001234567.5") == "30012345675"  # not a decimal zero: its digits stay


# --- properties -----------------------------------------------------------------------

PHONE_TEXT = st.text(
    alphabet=st.sampled_from("0123456789 +-.()/\u00a0Oo e\n٣"), max_size=20
) | st.text(max_size=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(PHONE_TEXT, st.sampled_from(REGIONS), st.sampled_from(("national", "e164")))
def test_any_text_never_raises_and_a_column_agrees_with_the_cells(text, region, fmt):
    phones = Phones(region, fmt)
    wire = phones.wire(text)
    assert isinstance(wire, str)
    assert wire == "" or (wire.isascii() and wire.isdigit())
    assert isinstance(phones.problem(text), str)
    assert (phones.problem(text) != "") == (text.strip() != "" and wire == "")
    wires, bad = phones.column(np.array([text, "3001234567", text], dtype=object))
    assert wires[0] == wires[2] == wire
    assert bool(bad[0]) == (text.strip() != "" and wire == "")


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=1, max_size=14), st.sampled_from(REGIONS))
def test_the_fast_path_decides_as_phonenumbers_does(digits, region):
    phones = Phones(region)
    for text in (digits, "+" + digits):
        expected = phones._slow(text)  # phonenumbers.parse and is_valid_number_for_region
        assert phones.national(text) == expected
        assert phones.column(np.array([text], dtype=object))[0][0] == (expected or "") or (
            phones.phone_format != "national"
        )


def _valid_numbers(region: str):
    """Numbers valid in ``region``: its example numbers with other last digits."""
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    examples = [phonenumbers.example_number_for_type(region, k) for k in kinds]
    bases = [phonenumbers.national_significant_number(e) for e in examples if e is not None]
    return st.tuples(st.sampled_from(bases), st.text(alphabet="0123456789", max_size=4))


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.data(), st.sampled_from(REGIONS))
def test_a_valid_number_round_trips_however_it_is_written(data, region):
    base, tail = data.draw(_valid_numbers(region))
    national = base[: len(base) - len(tail)] + tail
    number = phonenumbers.parse(national, region)
    assume(phonenumbers.is_valid_number_for_region(number, region))
    national = phonenumbers.national_significant_number(number)
    phones = Phones(region)
    code = phonenumbers.country_code_for_region(region)
    formats = (phonenumbers.PhoneNumberFormat.NATIONAL,
               phonenumbers.PhoneNumberFormat.INTERNATIONAL,
               phonenumbers.PhoneNumberFormat.E164)  # fmt: skip
    for fmt in formats:
        written = phonenumbers.format_number(number, fmt)
        assert phones.wire(written) == national, written
        assert Phones(region, "e164").wire(written) == f"{code}{national}", written
    assert phones.wire(national) == national
