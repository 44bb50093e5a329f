"""Stage 2: validate every row with a pandera schema and normalise it for the API.

All problems are reported at once, as data (:class:`~importer.check.problems.Problem`), each
under its rule. A row with any problem is invalid and is never sent; the other rows
still are. Problems found while reading the file come in as ``extra`` and count the same.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from importer.check import times
from importer.check.campaigns import Campaign, Campaigns
from importer.check.cells import by_value, code_name, has_unstorable, name_key, unstorable
from importer.check.columns import BODY_FIELDS, FIELDS
from importer.check.problems import Problem, Rule, describe, in_sheet_order, shown
from importer.check.words import (
    CAMPAIGN_TYPES,
    NO_WORDS,
    TYPE_WORDS,
    YES_WORDS,
    campaign_type,
    describe_non_digits,
    is_yes_or_no,
    nearest_type,
    nearest_yes_or_no,
    yes_or_no,
)
from importer.i18n import N_, _, ngettext
from importer.read.layout import original_rows
from importer.send.policy import MAX_CELL_CHARS, MAX_NAME_LENGTH

__all__ = [
    "Campaign", "Campaigns", "Checked", "Options", "Problem", "Rule",
    "build_schema", "campaign_type", "describe", "name_key", "validate",
]  # fmt: skip

EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


@dataclass
class Options:
    """What validation needs besides the sheet."""

    #: Type for rows whose type_campaign is empty (``--type``).
    default_type: str | None = None
    #: Wire format of start_time/end_time: one of :data:`importer.check.times.TIME_FORMATS`.
    time_format: str = "hhmmss"
    #: enable_edition sent for empty cells.
    enable_edition_default: str = "no"
    #: Known skills (id -> name), when the operation's skill list was given.
    skills: dict[str, str] | None = None
    #: The longest campaign_name accepted (see :data:`importer.send.policy.MAX_NAME_LENGTH`).
    max_name_length: int = MAX_NAME_LENGTH


@dataclass
class Checked:
    """The outcome of validation: campaigns to send and problems found."""

    campaigns: Sequence[Campaign]
    problems: list[Problem]
    #: row number -> the problems of that row, for rows that are invalid
    invalid: dict[int, list[Problem]] = field(default_factory=dict)


# --- preparation: derived columns the checks look at ----------------------------------


def _prepare(frame: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, dict[str, str]]:
    """The fields plus derived columns; and each unreadable time -> why, in words."""
    # The frame's text is already clean (see importer.read.table): only derived columns are added.
    clean = frame.loc[:, list(FIELDS)].copy()
    kind = by_value(clean["type_campaign"], campaign_type)
    if options.default_type:
        kind = np.where(kind == "", options.default_type, kind)
    clean["type_campaign"] = kind
    clean["_name_key"] = by_value(clean["campaign_name"], name_key)
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


# --- the checks -----------------------------------------------------------------------

#: Each rule's message, in words that say what to do; translated when shown.
MESSAGES: dict[str, str] = {
    Rule.EXCEL_ERROR: N_(
        "the cell holds the Excel error {value}; fix the formula or type the value"
    ),
    Rule.NAME_REQUIRED: N_("campaign_name is empty; every campaign needs a name"),
    Rule.NAME_TOO_LONG: N_(
        "campaign_name has {length} characters, more than the {limit} accepted: a server "
        "that cut it short would hold a name the importer cannot find again. Shorten it."
    ),
    Rule.DUPLICATE_NAME: N_(
        "this campaign_name appears more than once in the file; names must be unique"
    ),
    Rule.TYPE_REQUIRED: N_(
        "type_campaign is empty; write preview or predictive, or run with --type"
    ),
    Rule.TYPE_VALUE: N_("type_campaign must be preview or predictive"),
    Rule.SKILL_REQUIRED: N_("skill_id is empty; every campaign needs a skill"),
    Rule.SKILL_DIGITS: N_("skill_id must be digits only, e.g. 101"),
    Rule.SKILL_EXISTS: N_("skill_id is not one of the operation's skills"),
    Rule.EDITION_VALUE: N_("enable_edition must be yes or no"),
    Rule.START_TIME_FORMAT: N_("not a time; write it like 08:00 or 08:00:00"),
    Rule.END_TIME_FORMAT: N_("not a time; write it like 08:00 or 08:00:00"),
    Rule.START_TIME_DATE: N_(
        "start_time needs a date as well (e.g. 2026-12-01 08:00) because the time "
        "format is 'datetime'"
    ),
    Rule.END_TIME_DATE: N_(
        "end_time needs a date as well (e.g. 2026-12-01 08:00) because the time "
        "format is 'datetime'"
    ),
    Rule.START_REQUIRED: N_("start_time is required for predictive campaigns"),
    Rule.END_REQUIRED: N_("end_time is required for predictive campaigns"),
    Rule.END_AFTER_START: N_("end_time must be after start_time"),
}


def _check(rule: Rule, fn: Callable[..., Any], **kwargs: Any) -> pa.Check:
    return pa.Check(fn, name=str(rule), **kwargs)


def _holds(fn: Callable[[Any], bool]) -> Callable[[pd.Series], pd.Series]:
    """A pandera check function from a per-value predicate."""
    return lambda s: pd.Series(by_value(s, fn, bool), index=s.index)


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _digits_or_empty(value: str) -> bool:
    return value == "" or _digits(value)


def _yes_no_or_empty(value: str) -> bool:
    return value == "" or is_yes_or_no(value)


def _has_date(value: times.WorkTime | None) -> bool:
    return value is None or value.date is not None


def _not_empty(s: pd.Series) -> pd.Series:
    return s.ne("")


def _no_excel_error(s: pd.Series) -> pd.Series:
    return ~s.isin(EXCEL_ERRORS)


def _unique_or_empty(s: pd.Series) -> pd.Series:
    return s.eq("") | ~s.duplicated(keep=False)


def _known_type_or_empty(s: pd.Series) -> pd.Series:
    return s.eq("") | s.isin(CAMPAIGN_TYPES)


def _column(checks: list[pa.Check]) -> pa.Column:
    # Cells are text, never null: nullable=True spares pandera a null scan per column.
    return pa.Column(checks=checks, nullable=True)


def _storable(value: str) -> bool:
    return not has_unstorable(value)


def _column_checks(options: Options, time_errors: dict[str, str]) -> dict[str, list[pa.Check]]:
    """Each column's own checks, in the order their problems are reported."""
    limit = options.max_name_length

    def time_ok(s: pd.Series) -> pd.Series:
        # An Excel error is the Excel-error check's to report, not this one's.
        return s.eq("") | s.isin(EXCEL_ERRORS) | ~s.isin(time_errors)

    skill_checks = [
        _check(Rule.SKILL_REQUIRED, _not_empty),
        _check(Rule.SKILL_DIGITS, _holds(_digits_or_empty)),
    ]
    if options.skills is not None:
        known = options.skills
        skill_checks.append(
            _check(Rule.SKILL_EXISTS, lambda s: s.isin(known) | ~_holds(_digits)(s))
        )
    checks = {
        "campaign_name": [
            _check(Rule.NAME_REQUIRED, _not_empty),
            _check(Rule.NAME_TOO_LONG, _holds(lambda v: len(v) <= limit)),
        ],
        "_name_key": [_check(Rule.DUPLICATE_NAME, _unique_or_empty)],
        "type_campaign": [
            _check(Rule.TYPE_REQUIRED, _not_empty),
            _check(Rule.TYPE_VALUE, _known_type_or_empty),
        ],
        "skill_id": skill_checks,
        "enable_edition": [_check(Rule.EDITION_VALUE, _holds(_yes_no_or_empty))],
        "start_time": [_check(Rule.START_TIME_FORMAT, time_ok)],
        "end_time": [_check(Rule.END_TIME_FORMAT, time_ok)],
    }
    if options.time_format == "datetime":
        checks["_start_time"] = [_check(Rule.START_TIME_DATE, _holds(_has_date))]
        checks["_end_time"] = [_check(Rule.END_TIME_DATE, _holds(_has_date))]
    return checks


def _missing_for_predictive(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~(df["type_campaign"].eq("predictive") & df[column].eq(""))


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


#: The whole-row checks, and the spreadsheet column each reports against.
ROW_CHECKS: tuple[tuple[Rule, str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    (Rule.START_REQUIRED, "start_time", _missing_for_predictive("start_time")),
    (Rule.END_REQUIRED, "end_time", _missing_for_predictive("end_time")),
    (Rule.END_AFTER_START, "end_time", _end_after_start),
)
_ROW_CHECK_COLUMN = {str(rule): column for rule, column, _fn in ROW_CHECKS}

#: The columns the whole-row checks read. They get a frame of their own, since pandera
#: scans the whole frame it was given after each whole-row check.
ROW_CHECK_COLUMNS = ["type_campaign", "start_time", "end_time", "_start_time", "_end_time"]


def build_schema(
    options: Options,
    time_errors: dict[str, str],
    excel_columns: Iterable[str] = FIELDS,
    unstorable_columns: Iterable[str] = FIELDS,
    long_columns: Iterable[str] = (),
) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """The pandera schemas of a prepared frame: per column, and whole-row checks.

    In each column the check for characters a workbook cannot store comes first, then
    the Excel-error check, then the column's own checks. The first two are only
    attached to the columns that need them (``unstorable_columns``, ``excel_columns``):
    elsewhere they cannot fail, and they would cost a pass each. So is the check of
    cells longer than a spreadsheet cell (``long_columns``).
    """
    with_excel_check = set(excel_columns)
    with_storable_check = set(unstorable_columns)
    with_length_check = set(long_columns)
    own = _column_checks(options, time_errors)
    columns: dict[str, pa.Column] = {}
    for name in dict.fromkeys([*FIELDS, *own]):
        checks = []
        if name in with_storable_check:
            checks.append(_check(Rule.UNSTORABLE_CHARACTER, _holds(_storable)))
        if name in with_length_check:
            checks.append(_check(Rule.CELL_TOO_LONG, _holds(lambda v: len(v) <= MAX_CELL_CHARS)))
        if name in with_excel_check:
            checks.append(_check(Rule.EXCEL_ERROR, _no_excel_error))
        checks += own.get(name, [])
        if checks:
            columns[name] = _column(checks)
    per_row = [_check(rule, fn) for rule, _column_name, fn in ROW_CHECKS]
    return (
        pa.DataFrameSchema(columns, strict=False, coerce=False),
        pa.DataFrameSchema(checks=per_row, strict=False, coerce=False),
    )


# --- results --------------------------------------------------------------------------


def validate(
    frame: pd.DataFrame,
    options: Options | None = None,
    extra: Iterable[Problem] = (),
    excluded: Collection[int] = (),
) -> Checked:
    """Check every row of a loaded frame; return campaigns to send and all problems.

    ``extra`` are problems found while reading the file (``Table.problems``): their rows
    are invalid too, and they are listed with the others in sheet order. ``excluded``
    are rows the person left out: they are never sent, so they take no part in the
    file-wide duplicate-name rule (the row they duplicated can be sent).
    """
    options = options or Options()
    clean, time_errors = _prepare(frame, options)
    if excluded:
        # an empty key is never a duplicate: a row left out holds no name in the file
        clean.loc[clean.index.isin(list(excluded)), "_name_key"] = ""
    excel_columns = [f for f in FIELDS if clean[f].isin(EXCEL_ERRORS).any()]
    # One search over a column's text joined up finds the few columns worth a check.
    odd_columns = [f for f in FIELDS if has_unstorable("".join(clean[f].tolist()))]
    # campaign_name has a limit of its own, far below; its check says so.
    long_columns = [
        f
        for f in FIELDS
        if f != "campaign_name" and max(map(len, clean[f].tolist()), default=0) > MAX_CELL_CHARS
    ]
    per_column, per_row = build_schema(
        options, time_errors, excel_columns, odd_columns, long_columns
    )
    cases = []
    for schema, data in ((per_column, clean), (per_row, clean[ROW_CHECK_COLUMNS])):
        try:
            schema.validate(data, lazy=True, inplace=True)  # only read: no copy
        except SchemaErrors as err:
            cases.append(err.failure_cases)

    same_names = _rows_by_duplicated_name(clean["_name_key"])
    # a retry file's rows are named by the row the person knows: the first sheet's
    first_rows = original_rows(frame)

    said: dict[tuple[str, str], str] = {}

    def explain(rule: str, value: str, row: int) -> str:
        if rule == Rule.DUPLICATE_NAME:
            key = name_key(value)
            rows = same_names.get(key, [])
            if row in rows[: SHOWN_SAME_NAME_ROWS + 1]:
                return _duplicate_message(row, rows, first_rows)
            # Its other rows all list the same first few rows: one message for them all.
            if (rule, key) not in said:
                said[rule, key] = _duplicate_message(row, rows, first_rows)
            return said[rule, key]
        # Sheets repeat the same few wrong values: each is put in words once.
        if (rule, value) not in said:
            said[rule, value] = _message(rule, value, options, time_errors)
        return said[rule, value]

    found = _problems(pd.concat(cases), frame, explain) if cases else []
    problems, invalid = in_sheet_order(extra, found, FIELDS)
    valid = clean[~clean.index.isin(list(invalid))]
    return Checked(_campaigns(valid, options), problems, invalid)


def _rows_by_duplicated_name(keys: pd.Series) -> dict[str, list[int]]:
    """Each name that appears more than once -> the rows it appears on, in sheet order."""
    repeated = keys[keys.duplicated(keep=False) & keys.ne("")]
    rows: dict[str, list[int]] = {}
    for row, key in zip(repeated.index.tolist(), repeated.tolist(), strict=True):
        rows.setdefault(key, []).append(int(row))
    return rows


#: How many other rows a duplicate name's message lists.
SHOWN_SAME_NAME_ROWS = 5


def _duplicate_message(row: int, rows: list[int], names: Mapping[int, int]) -> str:
    """Which rows hold the same name as ``row``: a person fixes one by looking at the other.

    ``names`` names a row by another number (a retry file's row by the first sheet's).
    """
    # Only the first few rows are looked at: a name repeated on every row of a big
    # sheet must not cost a pass over the whole group for each of its rows.
    count = len(rows) - 1  # ``rows`` holds ``row`` itself
    others = [str(names.get(r, r)) for r in rows[: SHOWN_SAME_NAME_ROWS + 1] if r != row]
    others = others[:SHOWN_SAME_NAME_ROWS]
    shown = ", ".join(others) + ", …" if count > SHOWN_SAME_NAME_ROWS else _listed(others)
    return ngettext(
        "same campaign_name as row {rows}; names must be unique within the file",
        "same campaign_name as rows {rows}; names must be unique within the file",
        count,
    ).format(rows=shown)


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``, in the current language."""
    if len(items) < 2:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def _suggestion(spelling: str, meaning: str) -> str:
    """An accepted spelling, with the value it stands for when that is another word."""
    return spelling if spelling == meaning else f"{spelling} ({meaning})"


def _fixed_value_message(rule: str, value: str) -> str:
    """A value outside a fixed set: the accepted ones, and the nearest one if it is close."""
    if rule == Rule.TYPE_VALUE:
        near = nearest_type(value)
        if near:
            return _(
                "type_campaign must be preview or predictive; did you mean {suggestion}?"
            ).format(suggestion=_suggestion(*near))
        others = [w for w in TYPE_WORDS if w not in CAMPAIGN_TYPES]
        return _("type_campaign must be preview or predictive ({others} are read too)").format(
            others=_listed(others)
        )
    near = nearest_yes_or_no(value)
    accepted = _("yes: {yes}; no: {no}; empty means no").format(
        yes=", ".join(YES_WORDS), no=", ".join(NO_WORDS)
    )
    if near:
        return _(
            "enable_edition must be yes or no; did you mean {suggestion}? ({accepted})"
        ).format(suggestion=_suggestion(*near), accepted=accepted)
    return _("enable_edition must be yes or no ({accepted})").format(accepted=accepted)


def cell_too_long_message(value: str) -> str:
    """Why a cell longer than a spreadsheet cell is a problem (campaigns and records)."""
    return _(
        "the cell holds {length} characters, more than a spreadsheet cell can hold "
        "({limit}): in a CSV, usually a quote left open. Shorten the cell, or check that "
        "the file was saved from Excel as CSV."
    ).format(length=f"{len(value):,}", limit=f"{MAX_CELL_CHARS:,}")


def _message(rule: str, value: str, options: Options, time_errors: dict[str, str]) -> str:
    """The problem in words, in the current language."""
    skills = options.skills
    if rule == Rule.UNSTORABLE_CHARACTER:
        return unstorable_message(value)
    if rule == Rule.CELL_TOO_LONG:
        return cell_too_long_message(value)
    if rule == Rule.NAME_TOO_LONG:
        return _(MESSAGES[rule]).format(length=len(value), limit=options.max_name_length)
    if rule in (Rule.START_TIME_FORMAT, Rule.END_TIME_FORMAT) and value in time_errors:
        return time_errors[value]  # times.parse said why, already translated
    if rule == Rule.SKILL_DIGITS and value:
        return _("skill_id must be digits only: {why}").format(why=describe_non_digits(value))
    if rule in (Rule.TYPE_VALUE, Rule.EDITION_VALUE) and value:
        return _fixed_value_message(rule, value)
    if rule == Rule.SKILL_EXISTS and skills:
        hint = _nearest_skills(value, skills)
        if hint:
            return _(
                "skill_id is not one of the operation's skills; nearest known: {skills}"
            ).format(skills=hint)
    template = MESSAGES.get(rule)
    if template is None:
        return _("failed the check {rule}").format(rule=rule)
    return _(template).format(value=shown(value))


def unstorable_message(value: str) -> str:
    """What is wrong with a cell holding characters a workbook cannot store.

    The same words for the character and for the ``<U+0001>`` the workbooks write in
    its place, so a retry file read back says what the review said.
    """
    found = unstorable(value)
    if not found:
        return describe(Rule.UNSTORABLE_CHARACTER)
    position, code = found[0]
    if 0x7F <= code <= 0x9F:  # a workbook holds it, but it is as invisible and as risky
        message = _(
            "the cell holds {char} at position {position}, an invisible control character "
            "that wolkvox may not receive intact (the workbooks show it as <{char}>). "
            "Delete it: type the text again."
        ).format(char=code_name(code), position=position)
    else:
        message = _(
            "the cell holds {char} at position {position}, an invisible character that a "
            "workbook cannot store (the workbooks show it as <{char}>) and wolkvox may not "
            "receive intact. Delete it: type the text again."
        ).format(char=code_name(code), position=position)
    if len(found) > 1:
        more = ngettext(
            "{count} more such character in the cell.",
            "{count} more such characters in the cell.",
            len(found) - 1,
        ).format(count=len(found) - 1)
        message = f"{message} {more}"
    return message


def _nearest_skills(value: str, skills: dict[str, str]) -> str:
    """Up to three known skills near ``value``, with their names: ``102 (Ventas), 101``."""
    known = sorted(s for s in skills if s.isdigit())
    if value.isdigit():  # ids are numbers: nearest by value, as ops think of them
        near = sorted(known, key=lambda s: (abs(int(s) - int(value)), s))[:3]
    else:
        near = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    return ", ".join(f"{s} ({skills[s]})" if skills[s] else s for s in near)


_RULE_IDS = frozenset(Rule)


def _problems(
    cases: pd.DataFrame, frame: pd.DataFrame, explain: Callable[[str, str, int], str]
) -> list[Problem]:
    """Pandera's failure cases as plain problems: one per cell and rule."""
    position = dict(zip(frame.index.tolist(), range(len(frame)), strict=True))
    cells = {c: frame[c].to_numpy(dtype=object) for c in FIELDS}
    found: dict[tuple[int, str], dict[str, str]] = {}
    for check, column, row in zip(cases["check"], cases["column"], cases["index"], strict=True):
        if row is None or (isinstance(row, float) and pd.isna(row)):
            continue
        row = int(row)
        column = str(_ROW_CHECK_COLUMN.get(check, column))
        if column.startswith("_"):  # a derived column: report on the cell it came from
            column = {"_name_key": "campaign_name"}.get(column, column[1:])
        rules = found.setdefault((row, column), {})
        rules.setdefault(check, str(cells[column][position[row]]))
    out = []
    for (row, column), rules in found.items():
        # A cell holding an Excel error gets that one message, not every check it fails.
        if Rule.EXCEL_ERROR in rules:
            rules = {Rule.EXCEL_ERROR: rules[Rule.EXCEL_ERROR]}
        for check, value in rules.items():
            rule = Rule(check) if check in _RULE_IDS else check
            out.append(Problem(row, column, value, explain(check, value, row), rule))
    return out


def _campaigns(valid: pd.DataFrame, options: Options) -> Campaigns:
    fmt = options.time_format
    default = options.enable_edition_default

    def edition(value: str) -> str:
        return default if value == "" else yes_or_no(value)

    def wire(t: times.WorkTime | None) -> str:
        return "" if t is None else t.wire(fmt)

    body = {f: valid[f].to_numpy(dtype=object) for f in BODY_FIELDS}
    body["start_time"] = by_value(valid["_start_time"], wire)
    body["end_time"] = by_value(valid["_end_time"], wire)
    body["enable_edition"] = by_value(valid["enable_edition"], edition)
    columns = [body[f].tolist() for f in BODY_FIELDS]
    return Campaigns(valid.index.tolist(), valid["type_campaign"].tolist(), columns)
