"""Stage 2: validate every row with a pandera schema and normalise it for the API.

All problems are reported at once, as data: (row, column, value, message). A row
with any problem is invalid and is never sent; the other rows still are.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from importer import times
from importer.columns import BODY_FIELDS, FIELDS
from importer.load import by_value

CAMPAIGN_TYPES = ("preview", "predictive")
YES = frozenset({"yes", "y", "si", "sí", "s", "true", "verdadero", "1", "x"})
NO = frozenset({"no", "n", "false", "falso", "0"})
EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


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
    #: the body's values, in :data:`~importer.columns.BODY_FIELDS` order
    values: tuple[str, ...]

    @classmethod
    def from_body(cls, row: int, type_campaign: str, body: dict[str, str]) -> Campaign:
        return cls(row, type_campaign, tuple(body.get(f, "") for f in BODY_FIELDS))

    @property
    def body(self) -> dict[str, str]:
        """The request body: every documented key, every value a string."""
        return dict(zip(BODY_FIELDS, self.values, strict=True))

    @property
    def name(self) -> str:
        return self.values[_NAME]

    def body_json(self) -> str:
        """The exact request body, as sent."""
        return json.dumps(self.body, ensure_ascii=False)


_NAME = BODY_FIELDS.index("campaign_name")


class Campaigns(Sequence[Campaign]):
    """The valid rows, column by column; each :class:`Campaign` is made when asked for.

    A 100,000-row sheet would otherwise make 100,000 objects up front, most of them only
    to be sent one by one minutes later.
    """

    def __init__(self, rows: list[int], kinds: list[str], columns: list[list[str]]) -> None:
        self._rows = rows
        self._kinds = kinds
        self._columns = columns

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Campaign: ...
    @overload
    def __getitem__(self, index: slice) -> list[Campaign]: ...
    def __getitem__(self, index: int | slice) -> Campaign | list[Campaign]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        values = tuple(column[index] for column in self._columns)
        return Campaign(self._rows[index], self._kinds[index], values)

    def __iter__(self) -> Iterator[Campaign]:
        for row, kind, values in zip(
            self._rows, self._kinds, zip(*self._columns, strict=True), strict=True
        ):
            yield Campaign(row, kind, values)

    def __repr__(self) -> str:
        return f"<{len(self)} campaigns>"


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

    campaigns: Sequence[Campaign]
    problems: list[Problem]
    #: row number -> the problems of that row, for rows that are invalid
    invalid: dict[int, list[Problem]] = field(default_factory=dict)


def name_key(name: str) -> str:
    """How campaign names are compared: NFC, trimmed, case-insensitive."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def _holds(fn: Callable[[Any], bool]) -> Callable[[pd.Series], pd.Series]:
    """A pandera check function from a per-value predicate."""
    return lambda s: pd.Series(by_value(s, fn, bool), index=s.index)


# --- preparation: derived columns the checks look at ----------------------------------


def _prepare(frame: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, dict[str, str]]:
    # The frame's text is already clean (see load.Table): only derived columns are added.
    clean = frame.loc[:, list(FIELDS)].copy()
    kind = by_value(clean["type_campaign"], str.lower)
    if options.default_type:
        kind = np.where(kind == "", options.default_type, kind)
    clean["type_campaign"] = kind
    clean["_name_key"] = by_value(clean["campaign_name"], str.casefold)
    time_errors: dict[str, str] = {}

    def parse(value: str) -> times.WorkTime | None:
        if not value:
            return None
        try:
            return times.parse(value)
        except times.TimeError as exc:
            time_errors[value] = str(exc)
            return None

    for col in ("start_time", "end_time"):
        clean["_" + col] = by_value(clean[col], parse)
    return clean, time_errors


# --- the schema -----------------------------------------------------------------------

#: check name -> message builder (value -> plain words)
MESSAGES: dict[str, Callable[[str], str]] = {}


def _check(name: str, message: str | Callable[[str], str], fn, **kwargs) -> pa.Check:
    MESSAGES[name] = message if callable(message) else (lambda _v, m=message: m)
    return pa.Check(fn, name=name, **kwargs)


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _digits_or_empty(value: str) -> bool:
    return value == "" or _digits(value)


def _column(checks: pa.Check | list[pa.Check]) -> pa.Column:
    # Cells are text, never null: nullable=True spares pandera a null scan per column.
    return pa.Column(checks=checks, nullable=True)


def _not_empty(s: pd.Series) -> pd.Series:
    return s.ne("")


def _no_excel_error(s: pd.Series) -> pd.Series:
    return ~s.isin(EXCEL_ERRORS)


def build_schema(
    options: Options, time_errors: dict[str, str], excel_columns: Iterable[str] = FIELDS
) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """The pandera schemas of a prepared frame: per column, and whole-row checks.

    The Excel-error check is only attached to ``excel_columns``, the columns that hold
    an error value at all: elsewhere it cannot fail, and it would cost a pass each.
    """
    excel = _check(
        "excel_error",
        lambda v: f"the cell holds the Excel error {v}; fix the formula or type the value",
        _no_excel_error,
    )
    columns: dict[str, pa.Column] = {f: _column(checks=[excel]) for f in FIELDS}

    columns["campaign_name"] = _column(
        checks=[
            excel,
            _check(
                "name_required", "campaign_name is empty; every campaign needs a name", _not_empty
            ),
        ]
    )
    columns["_name_key"] = _column(
        checks=_check(
            "duplicate_name",
            "this campaign_name appears more than once in the file; names must be unique",
            lambda s: s.eq("") | ~s.duplicated(keep=False),
        )
    )
    columns["type_campaign"] = _column(
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
            _holds(_digits_or_empty),
        ),
    ]
    if options.skills is not None:
        skill_checks.append(_skill_exists_check(options.skills))
    columns["skill_id"] = _column(checks=skill_checks)
    columns["enable_edition"] = _column(
        checks=[
            excel,
            _check(
                "edition_value",
                "enable_edition must be yes or no",
                _holds(lambda v: v == "" or v.casefold() in YES | NO),
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
                    _holds(lambda t: t is None or t.date is not None),
                ),
            )
            columns["_" + col] = _column(checks=checks[-1:])
            checks = checks[:-1]
        columns[col] = _column(checks=checks)

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
    keep = set(excel_columns)
    for name, column in columns.items():
        if name not in keep:
            column.checks = [c for c in column.checks if c.name != "excel_error"]
    return pa.DataFrameSchema(columns, strict=False, coerce=False), pa.DataFrameSchema(
        checks=wide, strict=False, coerce=False
    )


#: The columns the whole-row checks read. They get a frame of their own, since pandera
#: scans the whole frame it was given after each whole-row check.
ROW_CHECK_COLUMNS = ["type_campaign", "start_time", "end_time", "_start_time", "_end_time"]


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
        "skill_exists",
        message,
        lambda s: s.isin(skills) | ~_holds(_digits)(s),
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
    excel_columns = [f for f in FIELDS if clean[f].isin(EXCEL_ERRORS).any()]
    per_column, per_row = build_schema(options, time_errors, excel_columns)
    cases = []
    for schema, data in ((per_column, clean), (per_row, clean[ROW_CHECK_COLUMNS])):
        try:
            schema.validate(data, lazy=True)
        except SchemaErrors as err:
            cases.append(err.failure_cases)
    problems = _problems(pd.concat(cases), frame) if cases else []
    invalid: dict[int, list[Problem]] = {}
    for p in problems:
        invalid.setdefault(p.row, []).append(p)
    valid = clean[~clean.index.isin(list(invalid))]
    return Checked(_campaigns(valid, options), problems, invalid)


def _problems(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    """Pandera's failure cases as plain problems: one per cell and check, in sheet order."""
    position = dict(zip(frame.index.tolist(), range(len(frame)), strict=True))
    cells = {c: frame[c].to_numpy(dtype=object) for c in FIELDS}
    seen: set[tuple[int, str, str]] = set()
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for check, column, row in zip(cases["check"], cases["column"], cases["index"], strict=True):
        if row is None or (isinstance(row, float) and pd.isna(row)):
            continue
        row = int(row)
        column = str(_WIDE_COLUMN.get(check, column))
        if column.startswith("_"):
            column = {"_name_key": "campaign_name"}.get(column, column[1:])
        if (row, column, check) in seen:
            continue
        seen.add((row, column, check))
        found.setdefault((row, column), []).append((check, str(cells[column][position[row]])))
    out = []
    for (row, column), checks in found.items():
        # A cell holding an Excel error gets that one message, not every check it fails.
        if any(check == "excel_error" for check, _ in checks):
            checks = [c for c in checks if c[0] == "excel_error"]
        for check, value in checks:
            make = MESSAGES.get(check, lambda _v, c=check: f"failed the check {c}")
            out.append(Problem(row, column, value, make(value)))
    order = {f: i for i, f in enumerate(FIELDS)}
    out.sort(key=lambda p: (p.row, order.get(p.column, 99)))
    return out


def _campaigns(valid: pd.DataFrame, options: Options) -> Campaigns:
    fmt = options.time_format
    default = options.enable_edition_default

    def edition(value: str) -> str:
        return default if value == "" else ("yes" if value.casefold() in YES else "no")

    def wire(t: times.WorkTime | None) -> str:
        return "" if t is None else t.wire(fmt)

    body = {f: valid[f].to_numpy(dtype=object) for f in BODY_FIELDS}
    body["start_time"] = by_value(valid["_start_time"], wire)
    body["end_time"] = by_value(valid["_end_time"], wire)
    body["enable_edition"] = by_value(valid["enable_edition"], edition)
    columns = [body[f].tolist() for f in BODY_FIELDS]
    return Campaigns(valid.index.tolist(), valid["type_campaign"].tolist(), columns)
