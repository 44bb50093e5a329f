import datetime as dt

import pytest

from importer import times


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("08:00", "080000"),
        ("8:00", "080000"),
        ("8:00:00", "080000"),
        ("0800", "080000"),
        ("080000", "080000"),
        ("17:30:15", "173015"),
        ("08:00:00.000", "080000"),
        ("2026-12-01 08:00", "080000"),
        ("2026-12-01T08:00:00", "080000"),
        ("01/12/2026 18:00", "180000"),
        ("20261201080000", "080000"),
        ("8:00 a. m.", "080000"),
        ("6:00 p. m.", "180000"),
        ("6:00 PM", "180000"),
        ("12:00 am", "000000"),
        ("12:30 pm", "123000"),
        ("6 pm", "180000"),
        ("0.3333333333333333", "080000"),
        ("0.75", "180000"),
    ],
)
def test_accepted_spellings_normalise_to_hhmmss(text, wire):
    assert times.parse(text).wire("hhmmss") == wire


def test_datetime_format_carries_the_date():
    assert times.parse("2026-12-01 08:00").wire("datetime") == "20261201080000"
    assert times.parse("01/12/2026 08:00").date == dt.date(2026, 12, 1)  # day first, as in Spanish


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:00", "not a valid time of day"),
        ("8:61", "not a valid time of day"),
        ("13:00 pm", "hour must be 1-12"),
        ("2026-12-01", "a date without a time"),
        ("31/02/2026 08:00", "not a valid date"),
        ("mañana", "write it like 08:00"),
        ("1.5", "write it like 08:00"),
    ],
)
def test_unusable_times_say_why(text, reason):
    with pytest.raises(times.TimeError, match=reason):
        times.parse(text)


def test_time_without_date_cannot_be_sent_as_datetime():
    with pytest.raises(ValueError):
        times.parse("08:00").wire("datetime")


def test_the_wire_formats_are_listed_once_for_the_command_line():
    assert times.TIME_FORMATS == ("hhmmss", "datetime")
    with pytest.raises(ValueError, match="time_format must be one of"):
        times.parse("08:00").wire("hh:mm")


def test_reasons_are_given_in_spanish_when_asked():
    from importer import i18n

    with i18n.using("es"), pytest.raises(times.TimeError, match="las horas van de 00:00 a 23:59"):
        times.parse("25:00")


@pytest.mark.parametrize("text", ["-1", "-0.5", "-30:00:00", "- 2"])
def test_a_negative_number_is_no_time_of_day(text):
    # A negative serial in an Excel time cell shows #####; read as a time it was 00:00.
    with pytest.raises(times.TimeError, match=r"a negative number, which is no time of day"):
        times.parse(text)
