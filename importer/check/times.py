"""Working-hour times: parse what people type in a sheet, write what the API wants.

The contract's wire format is disputed (``hhmmss`` on one page, ``YYYYmmddhhiiss`` on
another), so it is a setting; this module normalises every accepted spelling to either.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from importer.i18n import _

#: THE wire formats of start_time/end_time (the choices of ``--time-format``):
#: ``hhmmss`` sends ``080000``, ``datetime`` sends ``20261201080000``.
TIME_FORMATS = ("hhmmss", "datetime")

_MERIDIEM = re.compile(r"\s*([ap])\.?\s*m\.?\s*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([ap])m)?$")
_HOUR_ONLY = re.compile(r"^(\d{1,2})\s*([ap])m$")
#: A bare hour, 0-23: what a number cell holding 8 shows.
_HOUR = re.compile(r"^(\d{1,2})$")
#: 8h, 8 h, 8hs, 8h30, 8 h 30 min: the way hours are written in much of Latin America.
_H_MARK = re.compile(r"^(\d{1,2})\s*h(?:rs|s)?\.?(?:\s*(\d{2})\s*(?:min|m)?\.?)?(?:\s*([ap])m)?$")
#: 8.30 or 8,30 for 08:30. The hour is 1-23: 0.30 is Excel's fraction of a day, and
#: 0,30 would be the same fraction written by a Spanish Excel, so neither is read this way.
_DECIMAL = re.compile(r"^(0?[1-9]|1\d|2[0-3])[.,](\d{2})(?:\s*([ap])m)?$")
#: 8.5 or 8,5: 8:05, 8:30 or eight and a half hours? Refused with that question.
_ONE_DECIMAL = re.compile(r"^(\d{1,2})[.,](\d)$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{2})?$")
_COMPACT3 = re.compile(r"^(\d)(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t](.+))?$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(.+))?$")
_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")
_FRACTION = re.compile(r"^0?\.\d+$|^0$")
#: A negative number, or a negative duration (``-30:00:00``): a date or time cell that
#: holds one shows ##### in Excel, and it is no time of day.
_NEGATIVE = re.compile(r"^-\s*\d")


@dataclass(frozen=True, order=True)
class WorkTime:
    """A parsed time of day, with the date when the cell carried one."""

    date: dt.date | None
    time: dt.time

    def wire(self, time_format: str) -> str:
        """The value as sent: ``080000`` or ``20261201080000``."""
        if time_format not in TIME_FORMATS:
            raise ValueError(f"time_format must be one of {TIME_FORMATS}, not {time_format!r}")
        if time_format == "datetime":
            if self.date is None:
                raise ValueError("no date")
            return self.date.strftime("%Y%m%d") + self.time.strftime("%H%M%S")
        return self.time.strftime("%H%M%S")


class TimeError(ValueError):
    """A cell that is not a usable time; the message is for the operator."""


def _clock(hour: int, minute: int, second: int, meridiem: str | None) -> dt.time:
    if meridiem:
        if not 1 <= hour <= 12:
            raise TimeError(
                _("not a time: the hour must be 1-12 with a.m./p.m.; write 13:00 or 1:00 p.m.")
            )
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeError(_("not a valid time of day; times go from 00:00 to 23:59"))
    return dt.time(hour, minute, second)


def _parse_clock(text: str) -> dt.time:
    text = _MERIDIEM.sub(lambda m: f" {m.group(1)}m", text).strip()
    if m := _CLOCK.match(text):
        return _clock(int(m[1]), int(m[2]), int(m[3] or 0), m[4])
    if m := _HOUR_ONLY.match(text):
        return _clock(int(m[1]), 0, 0, m[2])
    if m := _HOUR.match(text):
        return _clock(int(m[1]), 0, 0, None)
    if m := _H_MARK.match(text):
        return _clock(int(m[1]), int(m[2] or 0), 0, m[3])
    if m := _COMPACT.match(text):
        return _clock(int(m[1]), int(m[2]), int(m[3] or 0), None)
    if m := _COMPACT3.match(text):
        return _clock(int(m[1]), int(m[2]), 0, None)
    if _FRACTION.match(text):
        # An Excel time stored as a number: the fraction of a day.
        seconds = round(float(text) * 86400)
        if seconds >= 86400:
            raise TimeError(_("not a valid time of day; times go from 00:00 to 23:59"))
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    if m := _DECIMAL.match(text):
        return _clock(int(m[1]), int(m[2]), 0, m[3])
    if m := _ONE_DECIMAL.match(text):
        raise TimeError(
            _("not a time: {text} is unclear ({hour}:0{digit}? {hour}:{digit}0?); write the "
              "minutes with two digits, e.g. {hour}:{digit}0").format(
                text=text, hour=m[1], digit=m[2]
            )
        )  # fmt: skip
    raise _NotATime(_("not a time; write it like 08:00 or 08:00:00"))


class _NotATime(TimeError):
    """No accepted form matched at all (rather than a form with an impossible value)."""


def _refuse_lookalikes(text: str) -> None:
    """A time typed with a letter for a digit (``8:3O``) is refused naming that letter."""
    # Imported here: importer.check.words brings pandas along, and --help reads TIME_FORMATS.
    from importer.check.words import LOOKALIKE_DIGITS, describe_lookalike

    fixed = "".join(LOOKALIKE_DIGITS.get(ch, ch) for ch in text)
    if fixed == text:
        return
    try:
        parse(fixed)
    except TimeError:
        return
    pos, ch = next((i, ch) for i, ch in enumerate(text, start=1) if ch in LOOKALIKE_DIGITS)
    raise TimeError(_("not a time: {why}").format(why=describe_lookalike(pos, ch)))


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise TimeError(_("not a valid date; write it like 01/12/2026 or 2026-12-01")) from None


def parse(text: str) -> WorkTime:
    """Parse one cell's text; raise :class:`TimeError` with a plain reason."""
    text = text.strip()
    if _NEGATIVE.match(text):
        raise TimeError(
            _(
                "a negative number, which is no time of day (Excel shows it as #####); "
                "type the time, e.g. 08:00"
            )
        )
    try:
        return _parse(text.casefold())
    except _NotATime:
        _refuse_lookalikes(text)
        raise


def _parse(text: str) -> WorkTime:
    if m := _STAMP.match(text):
        return WorkTime(
            _date(int(m[1]), int(m[2]), int(m[3])), _clock(int(m[4]), int(m[5]), int(m[6]), None)
        )
    for pattern, order in ((_ISO_DATE, (1, 2, 3)), (_DMY_DATE, (3, 2, 1))):
        if m := pattern.match(text):
            day = _date(int(m[order[0]]), int(m[order[1]]), int(m[order[2]]))
            if not m[4]:
                raise TimeError(_("a date without a time; write the time, e.g. 08:00"))
            return WorkTime(day, _parse_clock(m[4]))
    return WorkTime(None, _parse_clock(text))


def shown_moment(moment: dt.datetime | str, zone: dt.tzinfo | None = None) -> str:
    """A moment as a person reads it: in ``zone`` (this computer's time zone when None),
    with its offset from UTC (``2026-12-02 09:31:54 (UTC-05:00)``). Journals keep ISO text:
    one written on a machine kept in UTC, or on another computer, still reads in local
    time; text that is no moment is shown as it is, and a time without offset (an old
    journal's) as written."""
    if isinstance(moment, str):
        text = moment
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    local = moment.astimezone(zone)
    offset = local.strftime("%z") or "+0000"
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"
