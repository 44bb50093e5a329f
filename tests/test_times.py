import datetime as dt

import pytest

from importer.check import times


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
        ("1.5", r"1\.5 is unclear \(1:05\? 1:50\?\); write the minutes with two digits"),
        ("0,30", "write it like 08:00"),  # Excel's fraction of a day, Spanish-style: unclear
        ("24", "not a valid time of day"),
        ("8h70", "not a valid time of day"),
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


@pytest.mark.parametrize(
    ("text", "wire"),
    [("8", "080000"), ("08", "080000"), ("0", "000000"), ("23", "230000"),
     ("8h", "080000"), ("8 h", "080000"), ("8H", "080000"), ("8hs", "080000"),
     ("8h30", "083000"), ("8 h 30", "083000"), ("8h30m", "083000"), ("18h05 min", "180500"),
     ("8.30", "083000"), ("8,30", "083000"), ("08.30", "083000"), ("20.00", "200000"),
     ("8.30 pm", "203000"), ("2,30 p. m.", "143000"), ("8h pm", "200000")],
)  # fmt: skip
def test_bare_hours_and_the_hour_mark_and_decimal_separators_are_times(text, wire):
    assert times.parse(text).wire("hhmmss") == wire


def test_a_fraction_of_a_day_keeps_its_meaning_next_to_the_decimal_forms():
    # "0.30" is what Excel shows for 07:12 in a number-formatted cell; only 1-23 before
    # the separator is an hour.
    assert times.parse("0.30").wire("hhmmss") == "071200"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("8:3O", '"O" at position 4 is the letter O, not the digit 0'),
     ("O8:00", '"O" at position 1 is the letter O, not the digit 0'),
     ("1l:00", '"l" at position 2 is the letter l, not the digit 1'),
     ("2026-12-01 8:3O", '"O" at position 15 is the letter O, not the digit 0')],
)  # fmt: skip
def test_a_letter_typed_for_a_digit_is_named_with_its_position(text, reason):
    with pytest.raises(times.TimeError) as caught:
        times.parse(text)
    assert str(caught.value) == f"not a time: {reason}"


def test_unclear_and_misspelt_times_are_explained_in_spanish_too():
    from importer import i18n

    with i18n.using("es"):
        with pytest.raises(times.TimeError) as unclear:
            times.parse("8.5")
        with pytest.raises(times.TimeError) as letter:
            times.parse("8:3O")
    assert str(unclear.value) == (
        "no es una hora: 8.5 no es clara (¿8:05? ¿8:50?); escriba los minutos con dos "
        "cifras, p. ej. 8:50"
    )
    assert str(letter.value) == 'no es una hora: "O" en la posición 4 es la letra O, no el dígito 0'


def test_a_moment_is_shown_in_local_time_with_its_offset():
    import datetime as dt

    from importer.check.times import shown_moment

    moment = dt.datetime(2026, 12, 2, 2, 31, 54, tzinfo=dt.UTC)
    local = moment.astimezone()
    offset = local.strftime("%z")
    expected = f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"
    assert shown_moment(moment) == shown_moment(moment.isoformat()) == expected
    assert shown_moment("") == ""
