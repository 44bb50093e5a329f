"""Stage 2: validate every row with a pandera schema and normalise it for the API.

All problems are reported at once, as data: (row, column, value, message). A row
with any problem is invalid and is never sent; the other rows still are.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from importer import times
from importer.columns import BODY_FIELDS, FIELDS

CAMPAIGN_TYPES = ("preview", "predictive")
YES = frozenset({"yes", "y", "si", "sí", "s", "true", "verdadero", "1", "x"})
NO = frozenset({"no", "n", "false", "falso", "0"})
EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)
#: Invisible characters people paste along with names; removed with the spaces.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row) of the sheet."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = f" {self.value!r}" if self.value else ""
        return f"row {self.row}, {self.column}{shown}: {self.message}"


@dataclass(frozen=True)
class Campaign:
    """A valid row, ready to send."""

    row: int
    type_campaign: str
    body: dict[str, str]

    @property
    def name(self) -> str:
        return self.body["campaign_name"]

    def body_json(self) -> str:
        """The exact request body, as sent."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Options:
    """What validation needs besides the sheet."""

    #: Type for rows whose type_campaign is empty (``--type``).
    default_type: str | None = None
    #: Wire format of start_time/end_time: ``hhmmss`` or ``datetime``.
    time_format: str = "hhmmss"
    #: enable_edition sent for empty cells.
    enable_edition_default: str = "no"
    #: Known skills (id -> name), when the operation's skill list was given.
    skills: dict[str, str] | None = None


@dataclass
class Checked:
    """The outcome of validation: campaigns to send and problems found."""

    campaigns: list[Campaign]
    problems: list[Problem]
    #: row number -> the problems of that row, for rows that are invalid
    invalid: dict[int, list[Problem]] = field(default_factory=dict)


def name_key(name: str) -> str:
    """How campaign names are compared: NFC, trimmed, case-insensitive."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def clean_text(series: pd.Series) -> pd.Series:
    """Trim spaces (incl. non-breaking), drop zero-width marks, normalise to NFC."""
    s = series.astype(object).fillna("").astype(str)
    s = s.str.translate(_INVISIBLE).str.strip()
    return s.str.normalize("NFC")


# --- preparation: derived columns the checks look at ----------------------------------


def _prepare(frame: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, dict[str, str]]:
    clean = pd.DataFrame({f: clean_text(frame[f]) for f in FIELDS}, index=frame.index)
    clean["type_campaign"] = clean["type_campaign"].str.lower()
    if options.default_type:
        clean.loc[clean["type_campaign"].eq(""), "type_campaign"] = options.default_type
    clean["_name_key"] = clean["campaign_name"].str.casefold()
    time_errors: dict[str, str] = {}
    for col in ("start_time", "end_time"):
        clean["_" + col] = _parse_times(clean[col], time_errors)
    return clean, time_errors


def _parse_times(series: pd.Series, errors: dict[str, str]) -> pd.Series:
    """Parse each distinct value once (sheets repeat the same few hours)."""
    parsed: dict[str, object] = {"": None}
    for value in series.unique():
        if value in parsed:
            continue
        try:
            parsed[value] = times.parse(value)
        except times.TimeError as exc:
            parsed[value] = None
            errors[value] = str(exc)
    return series.map(parsed)


# --- the schema -----------------------------------------------------------------------

#: check name -> message builder (value -> plain words)
MESSAGES: dict[str, Callable[[str], str]] = {}


def _check(name: str, message: str | Callable[[str], str], fn, **kwargs) -> pa.Check:
    MESSAGES[name] = message if callable(message) else (lambda _v, m=message: m)
    return pa.Check(fn, name=name, **kwargs)


def _not_empty(s: pd.Series) -> pd.Series:
    return s.ne("")


def _no_excel_error(s: pd.Series) -> pd.Series:
    return ~s.isin(EXCEL_ERRORS)


def build_schema(options: Options, time_errors: dict[str, str]) -> pa.DataFrameSchema:
    """The pandera schema of a prepared frame (see :func:`validate`)."""
    excel = _check(
        "excel_error",
        lambda v: f"the cell holds the Excel error {v}; fix the formula or type the value",
        _no_excel_error,
    )
    columns: dict[str, pa.Column] = {f: pa.Column(checks=[excel]) for f in FIELDS}

    columns["campaign_name"] = pa.Column(
        checks=[
            excel,
            _check(
                "name_required", "campaign_name is empty; every campaign needs a name", _not_empty
            ),
        ]
    )
    columns["_name_key"] = pa.Column(
        checks=_check(
            "duplicate_name",
            "this campaign_name appears more than once in the file; names must be unique",
            lambda s: s.eq("") | ~s.duplicated(keep=False),
        )
    )
    columns["type_campaign"] = pa.Column(
        checks=[
            excel,
            _check(
                "type_required",
                "type_campaign is empty; write preview or predictive, or run with --type",
                _not_empty,
            ),
            _check(
                "type_value",
                "type_campaign must be preview or predictive",
                lambda s: s.eq("") | s.isin(CAMPAIGN_TYPES),
            ),
        ]
    )
    skill_checks = [
        excel,
        _check("skill_required", "skill_id is empty; every campaign needs a skill", _not_empty),
        _check(
            "skill_digits",
            "skill_id must be digits only, e.g. 101",
            lambda s: s.eq("") | s.str.fullmatch(r"[0-9]+"),
        ),
    ]
    if options.skills is not None:
        skill_checks.append(_skill_exists_check(options.skills))
    columns["skill_id"] = pa.Column(checks=skill_checks)
    columns["enable_edition"] = pa.Column(
        checks=[
            excel,
            _check(
                "edition_value",
                "enable_edition must be yes or no",
                lambda s: s.eq("") | s.str.casefold().isin(YES | NO),
            ),
        ]
    )
    for col in ("start_time", "end_time"):
        checks = [
            excel,
            _check(
                f"{col}_format",
                lambda v: time_errors.get(v, "not a time"),
                lambda s: s.eq("") | s.isin(EXCEL_ERRORS) | ~s.isin(time_errors),
            ),
        ]
        if options.time_format == "datetime":
            checks.append(
                _check(
                    f"{col}_date",
                    f"{col} needs a date as well (e.g. 2026-12-01 08:00) because the "
                    f"time format is 'datetime'",
                    lambda s: s.map(lambda t: t is None or t.date is not None).astype(bool),
                ),
            )
            columns["_" + col] = pa.Column(checks=checks[-1:])
            checks = checks[:-1]
        columns[col] = pa.Column(checks=checks)

    wide = [
        _check(
            "start_required",
            "start_time is required for predictive campaigns",
            lambda df: ~(df["type_campaign"].eq("predictive") & df["start_time"].eq("")),
        ),
        _check(
            "end_required",
            "end_time is required for predictive campaigns",
            lambda df: ~(df["type_campaign"].eq("predictive") & df["end_time"].eq("")),
        ),
        _check("end_after_start", "end_time must be after start_time", _end_after_start),
    ]
    return pa.DataFrameSchema(columns, checks=wide, strict=False, coerce=False)


def _end_after_start(df: pd.DataFrame) -> pd.Series:
    def ok(start: times.WorkTime | None, end: times.WorkTime | None) -> bool:
        if start is None or end is None:
            return True
        if start.date is not None and end.date is not None:
            return (end.date, end.time) > (start.date, start.time)
        return end.time > start.time

    return pd.Series(
        [ok(s, e) for s, e in zip(df["_start_time"], df["_end_time"], strict=True)],
        index=df.index,
        dtype=bool,
    )


def _skill_exists_check(skills: dict[str, str]) -> pa.Check:
    known = sorted(s for s in skills if s.isdigit())

    def message(value: str) -> str:
        if value.isdigit():  # ids are numbers: nearest by value, as ops think of them
            near = sorted(known, key=lambda s: (abs(int(s) - int(value)), s))[:3]
        else:
            near = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
        hint = ", ".join(f"{s} ({skills[s]})" if skills[s] else s for s in near)
        return "skill_id is not one of the operation's skills" + (
            f"; nearest known: {hint}" if hint else ""
        )

    return _check(
        "skill_exists", message, lambda s: s.eq("") | ~s.str.fullmatch(r"[0-9]+") | s.isin(skills)
    )


# --- results --------------------------------------------------------------------------

#: Which spreadsheet column a wide (whole-row) check reports against.
_WIDE_COLUMN = {
    "start_required": "start_time",
    "end_required": "end_time",
    "end_after_start": "end_time",
}


def validate(frame: pd.DataFrame, options: Options | None = None) -> Checked:
    """Check every row of a loaded frame; return campaigns to send and all problems."""
    options = options or Options()
    clean, time_errors = _prepare(frame, options)
    schema = build_schema(options, time_errors)
    problems: list[Problem] = []
    try:
        schema.validate(clean, lazy=True)
    except SchemaErrors as err:
        problems = _problems(err.failure_cases, frame)
    invalid: dict[int, list[Problem]] = {}
    for p in problems:
        invalid.setdefault(p.row, []).append(p)
    valid = clean[~clean.index.isin(list(invalid))]
    return Checked(_campaigns(valid, options), problems, invalid)


def _problems(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    seen: set[tuple[int, str, str]] = set()
    out: list[Problem] = []
    for check, column, row in zip(cases["check"], cases["column"], cases["index"], strict=True):
        if row is None or (isinstance(row, float) and pd.isna(row)):
            continue
        row = int(row)
        column = _WIDE_COLUMN.get(check, column)
        if isinstance(column, str) and column.startswith("_"):
            column = {"_name_key": "campaign_name"}.get(column, column[1:])
        key = (row, str(column), str(check))
        if key in seen:
            continue
        seen.add(key)
        raw = frame.at[row, column] if column in frame.columns else ""
        value = "" if raw is None else str(raw).strip()
        make = MESSAGES.get(str(check), lambda _v, c=check: f"failed the check {c}")
        out.append(Problem(row, str(column), value, make(value)))
    # A cell holding an Excel error gets that one message, not every check it then fails.
    excel = [p.message == MESSAGES["excel_error"](p.value) for p in out]
    errors = {(p.row, p.column) for p, is_excel in zip(out, excel, strict=True) if is_excel}
    out = [
        p
        for p, is_excel in zip(out, excel, strict=True)
        if is_excel or (p.row, p.column) not in errors
    ]
    out.sort(key=lambda p: (p.row, FIELDS.index(p.column) if p.column in FIELDS else 99))
    return out


def _campaigns(valid: pd.DataFrame, options: Options) -> list[Campaign]:
    fmt = options.time_format
    edition = (
        valid["enable_edition"]
        .str.casefold()
        .map(lambda v: options.enable_edition_default if v == "" else ("yes" if v in YES else "no"))
    )
    start = valid["_start_time"].map(lambda t: "" if t is None else t.wire(fmt))
    end = valid["_end_time"].map(lambda t: "" if t is None else t.wire(fmt))
    body_columns = {f: valid[f] for f in BODY_FIELDS}
    body_columns.update(start_time=start, end_time=end, enable_edition=edition)
    records = zip(*(body_columns[f] for f in BODY_FIELDS), strict=True)
    return [
        Campaign(int(row), kind, dict(zip(BODY_FIELDS, values, strict=True)))
        for row, kind, values in zip(valid.index, valid["type_campaign"], records, strict=True)
    ]


def describe(problems: Iterable[Problem]) -> list[str]:
    """Problems as lines of text, in sheet order."""
    return [str(p) for p in problems]
