"""Stage 2 for records: every record checked with a pandera schema, normalised for the API.

The records' counterpart of :mod:`importer.check.schema`, built the same way: derived columns
first (phones as sent, the record's campaign, recall dates), then one pandera schema
whose checks are vectorised over whole columns, every problem at once, as data
(:class:`~importer.check.problems.Problem`, sheet row numbers, a
:class:`~importer.check.problems.Rule` each). A record with any problem is invalid and never
sent; the others still are.

Which campaign a record goes into: ``campaign_id`` when it is filled in, else
``campaign_name`` compared the way campaign names are (:func:`importer.check.cells.name_key`).
The campaigns records may go into, and their types, are passed in
(:attr:`RecordOptions.campaigns`, made by :func:`known_campaigns` from the campaigns
sheet's valid rows and the operation's campaign list).

The frame may hold only some of :data:`~importer.check.record_fields.FIELDS`: a column that is
not there is empty in every record (a million empty cells are not made for it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from importer.check import times
from importer.check.cells import by_value, has_unstorable, name_key
from importer.check.phones import DEFAULT_COUNTRY, DEFAULT_FORMAT, Phones
from importer.check.problems import Problem, Rule, in_sheet_order, shown
from importer.check.record_fields import (
    BODY_FIELDS,
    DIAL_FIELDS,
    FIELDS,
    OPT_LIMITS,
    PHONE_FIELDS,
)
from importer.check.records import Records
from importer.check.schema import EXCEL_ERRORS, cell_too_long_message, unstorable_message
from importer.check.words import campaign_type, describe_non_digits
from importer.i18n import N_, _, ngettext
from importer.send.policy import MAX_CELL_CHARS

__all__ = [
    "CheckedRecords", "RecordOptions", "campaign_key", "known_campaigns", "validate_records",
]  # fmt: skip


def campaign_key(name: str = "", campaign_id: str = "") -> str:
    """THE key of the campaign a record names: ``id:123`` by its id, else ``name:ventas``
    by its name (as :func:`~importer.check.cells.name_key` has it); "" when it names none."""
    campaign_id = campaign_id.strip()
    if campaign_id:
        return "id:" + campaign_id
    key = name_key(name)
    return "name:" + key if key else ""


def known_campaigns(
    sheet: Iterable[tuple[str, str]] = (), listed: Iterable[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """The campaigns records may go into: campaign key -> ``preview`` or ``predictive``.

    ``sheet`` holds (name, type) of the campaigns sheet's valid rows (not created yet:
    known by name only); ``listed`` the operation's campaign list as wolkvox sends it
    (``campaign_id``, ``campaign_name``, ``type_campaign``), known by both. A name in
    both is the listed campaign: the sheet's row for it is one that already exists.
    """
    found: dict[str, str] = {}
    for name, kind in sheet:
        if key := campaign_key(name=name):
            found[key] = campaign_type(kind)
    for entry in listed:
        kind = campaign_type(str(entry.get("type_campaign") or ""))
        for key in (
            campaign_key(campaign_id=str(entry.get("campaign_id") or "")),
            campaign_key(name=str(entry.get("campaign_name") or "")),
        ):
            if key:
                found[key] = kind
    return found


@dataclass
class RecordOptions:
    """What checking records needs besides the sheet."""

    #: The country phone numbers are checked for (``--country``).
    country: str = DEFAULT_COUNTRY
    #: How phone numbers are sent: one of :data:`importer.check.phones.PHONE_FORMATS`.
    phone_format: str = DEFAULT_FORMAT
    #: campaign key -> type, of the campaigns records may go into (see
    #: :func:`known_campaigns`).
    campaigns: Mapping[str, str] = field(default_factory=dict)
    #: campaign key -> its row in the campaigns sheet, for campaigns whose row is invalid:
    #: the message then points at that row rather than saying no such campaign exists.
    invalid_campaigns: Mapping[str, int] = field(default_factory=dict)
    #: campaign key -> its row in the campaigns sheet, for campaigns whose row the person
    #: left out (the web page): this run does not create them.
    left_out_campaigns: Mapping[str, int] = field(default_factory=dict)
    #: The campaign list is a simulation's new, empty sandbox's (``--simulate``).
    simulated: bool = False
    #: campaign key by name -> its key by id, for the listed campaigns records name by
    #: name: a record naming a campaign by name and another naming it by its id go into
    #: the same campaign, so the same customer_id on both is the same person twice.
    same_campaign: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CheckedRecords:
    """The outcome of checking records: records to send and problems found."""

    records: Records
    problems: list[Problem]
    #: row number -> the problems of that row, for rows that are invalid
    invalid: dict[int, list[Problem]] = field(default_factory=dict)


# --- the checks' words ------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    Rule.EXCEL_ERROR: N_(
        "the cell holds the Excel error {value}; fix the formula or type the value"
    ),
    Rule.CAMPAIGN_REQUIRED: N_(
        "the record names no campaign: fill in campaign_name (or campaign_id)"
    ),
    Rule.PHONE_REQUIRED: N_(
        "the record has no phone number: fill in tel1 (or another phone column)"
    ),
    Rule.EMAIL_FORMAT: N_("not an e-mail address; write it like ana@example.com"),
    Rule.AGENT_NOT_PREVIEW: N_(
        "agent_id is for preview campaigns only, and this record's campaign is predictive: "
        "empty the cell, or load the record into a preview campaign"
    ),
    Rule.RECALL_DATE_FORMAT: N_(
        "recall_date needs a date and a time, e.g. 2026-12-01 10:00 or 01/12/2026 10:00"
    ),
    Rule.CAMPAIGN_TWO_WAYS: N_(
        "other records of this file name the campaign {value} by its campaign_id: name it "
        "one way in every record (its campaign_id, or its name), so that its records are "
        "counted together"
    ),
}

#: A simple e-mail check, on purpose: one ``@``; before it, no spaces nor the characters
#: an address may only hold in quotes, and no dot at either end or twice in a row; after
#: it, labels of letters, digits and inner hyphens, the last one of two or more letters.
#: It catches what people get wrong (``ana.gmail.com``, ``ana@gmail``, ``ana @gmail.com``,
#: ``ana@gmail..com``) and refuses no address that mail servers commonly deliver to.
EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)[^@\s\"(),:;<>\[\]\\]{1,64}(?<!\.)@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"
)
EMAIL_LENGTH = 254


#: :data:`EMAIL` over a column's cells one a line: it never reaches across a line break.
_EMAIL_LINES = re.compile(rf"^(?:{EMAIL.pattern})$", re.MULTILINE)


def _email_ok(value: str) -> bool:
    return value == "" or (len(value) <= EMAIL_LENGTH and EMAIL.fullmatch(value) is not None)


def _emails_ok(cells: pd.Series) -> pd.Series:
    """:func:`_email_ok` over a column, in one pass of the pattern over its text.

    A contact list's addresses are nearly all different, so a call per distinct value is
    a call per cell; the pattern's one pass over the cells joined a line each is not.
    """
    texts = cells.tolist()
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a cell holds a line break
        return pd.Series(by_value(cells, _email_ok, bool), index=cells.index)
    # A line the pattern takes whole is left empty; an empty cell stays empty.
    left = np.array(_EMAIL_LINES.sub("", joined).split("\n"), dtype=object)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return pd.Series((left == "") & (lengths <= EMAIL_LENGTH), index=cells.index)


def _age_ok(value: str) -> bool:
    return value == "" or (value.isascii() and value.isdigit())


def _recall(value: str) -> tuple[str, str]:
    """recall_date as sent (``yyyymmddhhmmss``) and "" -- or "" and why it is no date."""
    if not value:
        return "", ""
    try:
        moment = times.parse(value)
    except times.TimeError as exc:
        return "", str(exc)
    if moment.date is None:
        return "", _("a time without a date; write both, e.g. 2026-12-01 10:00")
    return moment.wire("datetime"), ""


# --- preparation --------------------------------------------------------------------------


def _text(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column's cells; a column the frame does not have is empty."""
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), "", dtype=object)


@dataclass
class _Prepared:
    """The columns the checks look at, beside the frame's own."""

    derived: dict[str, np.ndarray]
    #: phone column -> which cells hold no valid number
    bad_phones: dict[str, np.ndarray]
    #: phone column -> the cells as sent
    wires: dict[str, np.ndarray]
    #: recall_date text -> why it is no date and time
    recall_errors: dict[str, str]
    recall_wire: np.ndarray
    phones: Phones
    #: each record's campaign as one key however the record names it (see
    #: :attr:`RecordOptions.same_campaign`): the repeated customer_id rule's campaign
    pair_keys: np.ndarray


def _prepare(frame: pd.DataFrame, options: RecordOptions) -> _Prepared:
    phones = Phones(options.country, options.phone_format)
    ids = _text(frame, "campaign_id")
    names = _text(frame, "campaign_name")
    name_keys = by_value(names, lambda n: campaign_key(name=n) if type(n) is str else "")
    id_keys = by_value(ids, lambda i: campaign_key(campaign_id=i) if type(i) is str else "")
    keys = np.where(ids != "", id_keys, name_keys).astype(object)
    # a key of no listed campaign has no kind: "" (text even when every campaign is unknown)
    known = dict(options.campaigns)
    kinds = by_value(keys, lambda key: known.get(key, ""))
    wires: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    dial = np.zeros(len(frame), dtype=bool)
    for name in PHONE_FIELDS:
        if name not in frame.columns:
            continue
        wires[name], bad[name] = phones.column(frame[name].to_numpy(dtype=object))
        if name in DIAL_FIELDS:
            dial |= frame[name].to_numpy(dtype=object) != ""
    codes, uniques = pd.factorize(_text(frame, "recall_date"))
    parsed = [_recall(u if type(u) is str else "") for u in uniques.tolist()]
    recall_wire = np.array([w for w, _why in parsed] + [""], dtype=object)[codes]
    recall_errors = {u: why for u, (_w, why) in zip(uniques.tolist(), parsed, strict=True) if why}
    customer = _text(frame, "customer_id")
    # The pair (campaign, customer_id) as one number: duplicated() over integers is a
    # fraction of its cost over a million joined strings.
    pair_keys = keys
    if options.same_campaign:
        pair_keys = pd.Series(keys).replace(dict(options.same_campaign)).to_numpy(dtype=object)
    key_codes = pd.factorize(pair_keys)[0]
    customer_codes = pd.factorize(customer)[0].astype(np.int64)
    pairs = key_codes.astype(np.int64) * (int(customer_codes.max(initial=0)) + 1) + customer_codes
    same = pd.Series(pairs).duplicated(keep=False).to_numpy()
    # A listed campaign named by name here and by its id there: one campaign under two
    # keys would be batched, counted and settled as two, so the named ones are refused.
    two_ways = np.zeros(len(frame), dtype=bool)
    if options.same_campaign:
        by_id = set(keys[ids != ""].tolist())
        two_ways = (ids == "") & pd.Series(keys).map(dict(options.same_campaign)).isin(
            by_id
        ).to_numpy()
    derived = {
        "_campaign": keys,
        "_two_ways": two_ways,
        "_type": kinds,
        "_dial": dial,
        "_duplicate": same & (customer != "") & (keys != ""),
    }
    return _Prepared(derived, bad, wires, recall_errors, recall_wire, phones, pair_keys)


# --- the schema ---------------------------------------------------------------------------


def _check(rule: Rule, fn: Callable[[pd.Series], Any]) -> pa.Check:
    # ignore_na=False: every cell is text, and looking for missing ones in a million
    # rows costs a pass a check
    return pa.Check(fn, name=str(rule), ignore_na=False)


def _holds(fn: Callable[[Any], bool]) -> Callable[[pd.Series], pd.Series]:
    """A pandera check function from a per-value predicate, called once per value."""
    return lambda s: pd.Series(by_value(s, fn, bool), index=s.index)


def _mask(ok: np.ndarray) -> Callable[[pd.Series], pd.Series]:
    """A pandera check function from a verdict worked out beforehand, cell by cell."""
    return lambda s: pd.Series(ok, index=s.index)


def _schema(frame: pd.DataFrame, prepared: _Prepared, options: RecordOptions) -> pa.DataFrameSchema:
    """Each column's checks, in the order their problems are reported."""
    present = [f for f in FIELDS if f in frame.columns]
    columns: dict[str, list[pa.Check]] = {f: [] for f in present}
    lengths: dict[str, np.ndarray] = {}
    for f in present:
        # One pass over a column's text joined up tells the few columns worth the costly
        # checks: a million cells are looked at one by one only where one can fail.
        texts = frame[f].tolist()
        joined = "".join(texts)
        if has_unstorable(joined):
            columns[f].append(_check(Rule.UNSTORABLE_CHARACTER, _holds(_storable)))
        if "#" in joined and frame[f].isin(EXCEL_ERRORS).any():
            columns[f].append(_check(Rule.EXCEL_ERROR, lambda s: ~s.isin(EXCEL_ERRORS)))
        if len(joined) > min(MAX_CELL_CHARS, OPT_LIMITS.get(f, MAX_CELL_CHARS)):
            lengths[f] = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        # a cell no results workbook could hold (in a CSV, usually a quote left open)
        if f in lengths and (lengths[f] > MAX_CELL_CHARS).any():
            columns[f].append(_check(Rule.CELL_TOO_LONG, _mask(lengths[f] <= MAX_CELL_CHARS)))
    derived = prepared.derived
    filled_campaign = derived["_campaign"] != ""
    known = pd.Series(derived["_campaign"]).isin(list(options.campaigns)).to_numpy()
    columns["_campaign"] = [
        _check(Rule.CAMPAIGN_REQUIRED, _mask(filled_campaign)),
        _check(Rule.CAMPAIGN_UNKNOWN, _mask(known | ~filled_campaign)),
    ]
    columns["_dial"] = [_check(Rule.PHONE_REQUIRED, lambda s: s)]
    columns["_duplicate"] = [_check(Rule.DUPLICATE_CUSTOMER, lambda s: ~s)]
    columns["_two_ways"] = [_check(Rule.CAMPAIGN_TWO_WAYS, lambda s: ~s)]
    for name, bad in prepared.bad_phones.items():
        columns[name].append(_check(Rule.PHONE_NUMBER, _mask(~bad)))
    for name, limit in OPT_LIMITS.items():
        if name in lengths and (lengths[name] > limit).any():
            columns[name].append(_check(Rule.OPT_TOO_LONG, _mask(lengths[name] <= limit)))
    if "recall_date" in columns:
        errors = prepared.recall_errors
        columns["recall_date"].append(
            _check(Rule.RECALL_DATE_FORMAT, lambda s: ~s.isin(list(errors)))
        )
    if "email" in columns:
        columns["email"].append(_check(Rule.EMAIL_FORMAT, _emails_ok))
    if "age" in columns:
        columns["age"].append(_check(Rule.AGE_DIGITS, _holds(_age_ok)))
    if "agent_id" in columns:
        preview_or_empty = (derived["_type"] != "predictive") | (_text(frame, "agent_id") == "")
        columns["agent_id"].append(_check(Rule.AGENT_NOT_PREVIEW, _mask(preview_or_empty)))
    return pa.DataFrameSchema(
        {name: pa.Column(checks=c, nullable=True) for name, c in columns.items() if c},
        strict=False,
        coerce=False,
    )


def _storable(value: str) -> bool:
    return not has_unstorable(value)


# --- results ------------------------------------------------------------------------------


def validate_records(
    frame: pd.DataFrame,
    options: RecordOptions | None = None,
    extra: Iterable[Problem] = (),
    excluded: Collection[int] = (),
) -> CheckedRecords:
    """Check every record of a loaded frame; return the records to send and all problems.

    ``frame`` holds text cells under :data:`~importer.check.record_fields.FIELDS` names (any
    of them), indexed by sheet row number. ``extra`` are problems found while reading the
    file: their rows are invalid too, and they are listed with the others in sheet order.
    ``excluded``: rows left out by the person (the web page), checked but never among the
    records to send, and taking no part in the duplicate customer_id rule.
    """
    options = options or RecordOptions()
    prepared = _prepare(frame, options)
    if excluded:
        _leave_out(frame, prepared, excluded)
    data = frame.assign(**prepared.derived)
    schema = _schema(frame, prepared, options)
    try:
        # inplace: the frame is only read (coerce=False), and a copy of a million rows costs
        schema.validate(data, lazy=True, inplace=True)
        cases = None
    except SchemaErrors as err:
        cases = err.failure_cases
    explain = _Explainer(frame, prepared, options)
    found = _problems(cases, frame, explain) if cases is not None else []
    problems, invalid = in_sheet_order(extra, found, FIELDS)
    not_sent = {**invalid, **{r: [] for r in excluded}} if excluded else invalid
    return CheckedRecords(_records(frame, prepared, not_sent), problems, invalid)


def _leave_out(frame: pd.DataFrame, prepared: _Prepared, excluded: Collection[int]) -> None:
    """The duplicate rule again without the rows left out (only the rows it marked can
    change: the pairs are compared among them alone)."""
    same = prepared.derived["_duplicate"]
    out = frame.index.isin(list(excluded))
    if not (same & out).any():
        return
    kept = np.flatnonzero(same & ~out)
    pairs = prepared.pair_keys[kept] + "\x1f" + _text(frame, "customer_id")[kept]
    again = np.zeros(len(frame), dtype=bool)
    again[kept] = pd.Series(pairs).duplicated(keep=False).to_numpy()
    prepared.derived["_duplicate"] = again


#: Where a check on a derived column is reported: the spreadsheet column it is about.
_REPORTED_ON = {"_dial": "tel1", "_duplicate": "customer_id", "_two_ways": "campaign_name"}
_RULE_IDS = frozenset(Rule)


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, explain: _Explainer) -> list[Problem]:
    """Pandera's failure cases as plain problems: one per cell and rule."""
    rows = pd.to_numeric(cases["index"], errors="coerce")
    # where each failing row is in the frame: looked up for those rows only
    positions = frame.index.get_indexer(pd.Index(rows.fillna(-1).astype(np.int64)))
    cells = {c: frame[c].to_numpy(dtype=object) for c in frame.columns if c in FIELDS}
    ids = _text(frame, "campaign_id")
    found: dict[tuple[int, str], dict[str, str]] = {}
    checks, columns = cases["check"].tolist(), cases["column"].tolist()
    for check, column, row, at in zip(checks, columns, rows.tolist(), positions, strict=True):
        if pd.isna(row) or at < 0:
            continue
        row = int(row)
        column = str(column)
        if column == "_campaign":  # reported where the record names its campaign
            column = "campaign_id" if ids[at] != "" else "campaign_name"
        column = _REPORTED_ON.get(column, column)
        value = cells[column][at] if column in cells else ""
        found.setdefault((row, column), {}).setdefault(str(check), str(value))
    out = []
    for (row, column), rules in found.items():
        # A cell holding an Excel error gets that one message, not every check it fails.
        if Rule.EXCEL_ERROR in rules:
            rules = {Rule.EXCEL_ERROR: rules[Rule.EXCEL_ERROR]}
        for check, value in rules.items():
            rule = Rule(check) if check in _RULE_IDS else check
            out.append(Problem(row, column, value, explain(check, column, value, row), rule))
    return out


#: How many other rows a repeated customer_id's message lists.
SHOWN_SAME_ROWS = 5


class _Explainer:
    """Each problem in words, in the current language; a value is put in words once."""

    def __init__(self, frame: pd.DataFrame, prepared: _Prepared, options: RecordOptions):
        self._frame = frame
        self._prepared = prepared
        self._options = options
        self._said: dict[tuple[str, str, str], str] = {}
        self._same: dict[str, list[int]] | None = None

    def __call__(self, rule: str, column: str, value: str, row: int) -> str:
        if rule == Rule.DUPLICATE_CUSTOMER:
            return self._duplicate(row)
        key = (rule, column, value)
        if key not in self._said:
            self._said[key] = self._message(rule, column, value)
        return self._said[key]

    def _message(self, rule: str, column: str, value: str) -> str:
        if rule == Rule.UNSTORABLE_CHARACTER:
            return unstorable_message(value)
        if rule == Rule.CELL_TOO_LONG:
            return cell_too_long_message(value)
        if rule == Rule.PHONE_NUMBER:
            return self._prepared.phones.problem(value)
        if rule == Rule.OPT_TOO_LONG:
            return _(
                "{column} has {length} characters; wolkvox takes at most {limit}. Shorten it."
            ).format(column=column, length=len(value), limit=OPT_LIMITS[column])
        if rule == Rule.RECALL_DATE_FORMAT:
            why = self._prepared.recall_errors.get(value, "")
            return _("recall_date: {why}").format(why=why) if why else _(MESSAGES[rule])
        if rule == Rule.AGE_DIGITS:
            return _("age must be digits only: {why}").format(why=describe_non_digits(value))
        if rule == Rule.CAMPAIGN_UNKNOWN:
            return self._unknown_campaign(column, value)
        template = MESSAGES.get(rule)
        if template is None:
            return _("failed the check {rule}").format(rule=rule)
        return _(template).format(value=shown(value))

    def _unknown_campaign(self, column: str, value: str) -> str:
        if column == "campaign_id" and self._options.simulated:
            key = campaign_key(campaign_id=value)
            text = _(
                "no campaign with campaign_id {value} in this simulation: each --simulate "
                "starts an empty sandbox, so the campaign ids of another simulation are not "
                "there. Simulate the campaigns sheet and its records together, or run without "
                "--simulate against wolkvox"
            )
        elif column == "campaign_id":
            key = campaign_key(campaign_id=value)
            text = _(
                "no campaign with campaign_id {value} in the operation's campaign list; check "
                "the id in wolkvox manager"
            )
        else:
            key = campaign_key(name=value)
            text = _(
                "no campaign named {value} in the campaigns sheet or in wolkvox; write the "
                "name as the campaign has it, or its campaign_id"
            )
        row = self._options.left_out_campaigns.get(key)
        if row is not None:
            return _(
                "the campaign {value} is on row {row} of the campaigns sheet, which is left "
                "out of this run: take that row back in, or leave this record out too"
            ).format(value=shown(value), row=row)
        row = self._options.invalid_campaigns.get(key)
        if row is not None:
            return _(
                "the campaign {value} is on row {row} of the campaigns sheet, which has "
                "problems: fix that row first"
            ).format(value=shown(value), row=row)
        return text.format(value=shown(value))

    def _duplicate(self, row: int) -> str:
        if self._same is None:
            self._same = _rows_by_duplicate(self._frame, self._prepared)
        group = self._same.get(_duplicate_key(self._frame, self._prepared, row), [])
        others = [str(r) for r in group[: SHOWN_SAME_ROWS + 1] if r != row][:SHOWN_SAME_ROWS]
        count = len(group) - 1
        listed = ", ".join(others) + (", …" if count > SHOWN_SAME_ROWS else "")
        return ngettext(
            "same customer_id as row {rows} in the same campaign: the person would be "
            "dialled twice. Keep one of the rows.",
            "same customer_id as rows {rows} in the same campaign: the person would be "
            "dialled twice. Keep one of the rows.",
            count,
        ).format(rows=listed)


def _duplicate_key(frame: pd.DataFrame, prepared: _Prepared, row: int) -> str:
    at = frame.index.get_loc(row)
    return f"{prepared.pair_keys[at]}\x1f{_text(frame, 'customer_id')[at]}"


def _rows_by_duplicate(frame: pd.DataFrame, prepared: _Prepared) -> dict[str, list[int]]:
    """Each repeated (campaign, customer_id) -> the rows it is on, in sheet order."""
    repeated = prepared.derived["_duplicate"]
    keys = prepared.pair_keys[repeated] + "\x1f" + _text(frame, "customer_id")[repeated]
    rows: dict[str, list[int]] = {}
    for row, key in zip(frame.index[repeated].tolist(), keys.tolist(), strict=True):
        rows.setdefault(key, []).append(int(row))
    return rows


def _records(
    frame: pd.DataFrame, prepared: _Prepared, invalid: Mapping[int, list[Problem]]
) -> Records:
    """The valid records, their values as sent, column by column."""
    keep = ~frame.index.isin(list(invalid))
    rows = frame.index[keep].tolist()
    count = len(rows)
    empty = [""] * count
    columns = []
    for name in BODY_FIELDS:
        if name in prepared.wires:
            values = prepared.wires[name][keep].tolist()
        elif name == "recall_date" and name in frame.columns:
            values = prepared.recall_wire[keep].tolist()
        elif name in frame.columns:
            values = frame[name].to_numpy(dtype=object)[keep].tolist()
        else:
            values = empty
        columns.append(values)
    derived = prepared.derived
    return Records(
        rows, derived["_campaign"][keep].tolist(), derived["_type"][keep].tolist(), columns
    )
