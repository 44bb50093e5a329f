"""Row problems as data: what is wrong, in which cell, and under which rule.

A problem never stops a run by itself: the row it sits on is invalid and not sent,
the other rows still are. Problems come from reading the file (a CSV row wider than
its header) and from validation (a skill id that is not digits); the results
workbook marks each on its cell and counts them by rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from importer.check.cells import visible
from importer.i18n import N_, _

#: How much of a cell's value a message quotes: a 300-digit number or a pasted page
#: would drown the message (the results' cells keep the whole value).
SHOWN_CHARS = 60


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """``value`` as a message quotes it: at most ``limit`` characters, cut with an
    ellipsis, and characters a workbook cannot store written as ``<U+0001>``.

    Every problem message that quotes a cell goes through here.
    """
    value = visible(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


class Rule(StrEnum):
    """The stable id of each check; equal to its string, never translated."""

    # found while reading the file
    EXTRA_FIELDS = "extra_fields"
    # validation, per cell
    EXCEL_ERROR = "excel_error"
    UNSTORABLE_CHARACTER = "unstorable_character"
    CELL_TOO_LONG = "cell_too_long"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    DUPLICATE_NAME = "duplicate_name"
    TYPE_REQUIRED = "type_required"
    TYPE_VALUE = "type_value"
    SKILL_REQUIRED = "skill_required"
    SKILL_DIGITS = "skill_digits"
    SKILL_EXISTS = "skill_exists"
    EDITION_VALUE = "edition_value"
    START_TIME_FORMAT = "start_time_format"
    END_TIME_FORMAT = "end_time_format"
    START_TIME_DATE = "start_time_date"
    END_TIME_DATE = "end_time_date"
    # validation, across a row
    START_REQUIRED = "start_required"
    END_REQUIRED = "end_required"
    END_AFTER_START = "end_after_start"
    # records (add_record), per cell
    CAMPAIGN_REQUIRED = "campaign_required"
    CAMPAIGN_UNKNOWN = "campaign_unknown"
    PHONE_NUMBER = "phone_number"
    PHONE_REQUIRED = "phone_required"
    OPT_TOO_LONG = "opt_too_long"
    RECALL_DATE_FORMAT = "recall_date_format"
    EMAIL_FORMAT = "email_format"
    AGE_DIGITS = "age_digits"
    AGENT_NOT_PREVIEW = "agent_not_preview"
    DUPLICATE_CUSTOMER = "duplicate_customer"
    CAMPAIGN_TWO_WAYS = "campaign_two_ways"
    # notes: worth a look, the row is still sent
    SKILL_ZERO_PADDED = "skill_zero_padded"
    HEADER_ALIAS = "header_alias"


#: Each rule's short description, for counting problems by rule.
#: The rules of records (``add_record``); the others are the campaigns' rules.
RECORD_RULES = frozenset({
    Rule.CAMPAIGN_REQUIRED, Rule.CAMPAIGN_UNKNOWN, Rule.PHONE_NUMBER, Rule.PHONE_REQUIRED,
    Rule.OPT_TOO_LONG, Rule.RECALL_DATE_FORMAT, Rule.EMAIL_FORMAT, Rule.AGE_DIGITS,
    Rule.AGENT_NOT_PREVIEW, Rule.DUPLICATE_CUSTOMER, Rule.CAMPAIGN_TWO_WAYS,
})  # fmt: skip

DESCRIPTIONS: dict[str, str] = {
    Rule.EXTRA_FIELDS: N_("the row has more fields than the header"),
    Rule.EXCEL_ERROR: N_("the cell holds an Excel error"),
    Rule.UNSTORABLE_CHARACTER: N_("the cell holds a character a workbook cannot store"),
    Rule.CELL_TOO_LONG: N_("the cell is longer than a spreadsheet cell can be"),
    Rule.NAME_REQUIRED: N_("campaign_name is empty"),
    Rule.NAME_TOO_LONG: N_("campaign_name is too long"),
    Rule.DUPLICATE_NAME: N_("campaign_name appears more than once"),
    Rule.TYPE_REQUIRED: N_("type_campaign is empty"),
    Rule.TYPE_VALUE: N_("type_campaign must be preview or predictive"),
    Rule.SKILL_REQUIRED: N_("skill_id is empty"),
    Rule.SKILL_DIGITS: N_("skill_id must be digits only"),
    Rule.SKILL_EXISTS: N_("skill_id is not one of the operation's skills"),
    Rule.EDITION_VALUE: N_("enable_edition must be yes or no"),
    Rule.START_TIME_FORMAT: N_("start_time is not a valid time"),
    Rule.END_TIME_FORMAT: N_("end_time is not a valid time"),
    Rule.START_TIME_DATE: N_("start_time has no date"),
    Rule.END_TIME_DATE: N_("end_time has no date"),
    Rule.START_REQUIRED: N_("start_time is missing on a predictive campaign"),
    Rule.END_REQUIRED: N_("end_time is missing on a predictive campaign"),
    Rule.END_AFTER_START: N_("end_time is not after start_time"),
    Rule.CAMPAIGN_REQUIRED: N_("the record names no campaign"),
    Rule.CAMPAIGN_UNKNOWN: N_("the record's campaign is not one records can go into"),
    Rule.PHONE_NUMBER: N_("not a phone number of the country"),
    Rule.PHONE_REQUIRED: N_("the record has no phone number"),
    Rule.OPT_TOO_LONG: N_("an opt field is longer than wolkvox takes"),
    Rule.RECALL_DATE_FORMAT: N_("recall_date is not a date and time"),
    Rule.EMAIL_FORMAT: N_("email is not an e-mail address"),
    Rule.AGE_DIGITS: N_("age must be digits only"),
    Rule.AGENT_NOT_PREVIEW: N_("agent_id is filled in on a record for a predictive campaign"),
    Rule.DUPLICATE_CUSTOMER: N_("customer_id appears more than once in a campaign"),
    Rule.CAMPAIGN_TWO_WAYS: N_(
        "a campaign is named by its id on some records, by its name on others"
    ),
    Rule.SKILL_ZERO_PADDED: N_("skill_id lost its leading zeros to a number format"),
    Rule.HEADER_ALIAS: N_("column header matched to a field"),
}


def describe(rule: str) -> str:
    """A rule's short description in the current language (the rule id if unknown)."""
    text = DESCRIPTIONS.get(rule)
    return _(text) if text else str(rule)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row) of the sheet.

    ``row`` is the spreadsheet row number, ``column`` a field name (``skill_id``),
    ``message`` is already in the reader's language, ``rule`` a :class:`Rule` id.
    """

    row: int
    column: str
    value: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        if self.value:
            return _("row {row}, {column} {value}: {message}").format(
                row=self.row,
                column=self.column,
                value=repr(shown(self.value)),
                message=self.message,
            )
        return _("row {row}, {column}: {message}").format(
            row=self.row, column=self.column, message=self.message
        )


def in_sheet_order(
    read: Iterable[Problem], found: Iterable[Problem], fields: Sequence[str]
) -> tuple[list[Problem], dict[int, list[Problem]]]:
    """The problems found while reading and while checking, in sheet order, and by row.

    On a row, a problem from reading comes first: it is often the cause of the others (a
    CSV row shifted by an unquoted delimiter); then the columns in ``fields`` order.
    """
    order = {f: i for i, f in enumerate(fields)}
    ranked = [(0, p) for p in read] + [(1, p) for p in found]
    ranked.sort(key=lambda rp: (rp[1].row, rp[0], order.get(rp[1].column, 99)))
    problems = [p for _rank, p in ranked]
    invalid: dict[int, list[Problem]] = {}
    for p in problems:
        invalid.setdefault(p.row, []).append(p)
    return problems, invalid
