"""The codes a run speaks in: row statuses and the reasons a run ends.

They are stable identifiers, written as they are into the results, the retry file
and the journal, in every language; :func:`label` gives the words beside them.
"""

from __future__ import annotations

from enum import StrEnum

from importer import i18n
from importer.i18n import N_, _, ngettext


class Status(StrEnum):
    """What became of one input row."""

    CREATED = "created"  #: wolkvox answered 201 (or the campaign list confirms it)
    EXISTS = "exists"  #: a campaign of that name existed already; not sent
    FAILED = "failed"  #: wolkvox refused the row; nothing was created
    UNKNOWN = "unknown"  #: sent, but the outcome could not be established
    INVALID = "invalid"  #: broke a rule of the sheet; never sent
    NOT_SENT = "not_sent"  #: the run stopped before this row
    VALID = "valid"  #: dry run only: the row would be sent
    DELETED = "deleted"  #: created by the run, then deleted by ``wolkvox-import undo``
    EXCLUDED = "excluded"  #: left out on the page by the person; never sent


#: Rows certainly not created, hence safe to send again: they go to the retry file.
RETRY_STATUSES = frozenset({Status.FAILED, Status.INVALID, Status.NOT_SENT})
#: Rows that need nothing more (a row left out was left out on purpose).
SUCCESS_STATUSES = frozenset(
    {Status.CREATED, Status.EXISTS, Status.VALID, Status.DELETED, Status.EXCLUDED}
)

_LABELS = {
    Status.CREATED: N_("created"),
    Status.EXISTS: N_("already existed"),
    Status.FAILED: N_("failed"),
    Status.UNKNOWN: N_("unclear: check in wolkvox"),
    Status.INVALID: N_("invalid"),
    Status.NOT_SENT: N_("not sent"),
    Status.VALID: N_("valid"),
    Status.DELETED: N_("deleted (undone)"),
    Status.EXCLUDED: N_("left out"),
}

#: Why an excluded row was not sent, as its results say.
EXCLUDED_REASON = N_("left out on the page: not sent")
#: The same for a record, which is loaded rather than sent (and masculine in Spanish).
RECORD_EXCLUDED_REASON = N_("left out on the page: not loaded")


def label(status: Status | str) -> str:
    """The words for a status code, in the current language."""
    return _(_LABELS[Status(status)])


def counted(status: Status | str, n: int) -> str:
    """``3 created``: a count and its status, in English by the code (an English word), in
    another language by its words, singular or plural to agree with ``n``."""
    if i18n.current() == i18n.DEFAULT:
        return f"{n} {status}"
    words = {
        Status.CREATED: ngettext("{n} created", "{n} created", n),
        Status.EXISTS: ngettext("{n} already existed", "{n} already existed", n),
        Status.FAILED: ngettext("{n} failed", "{n} failed", n),
        Status.UNKNOWN: ngettext(
            "{n} unclear: check it in wolkvox", "{n} unclear: check them in wolkvox", n
        ),
        Status.INVALID: ngettext("{n} invalid", "{n} invalid", n),
        Status.NOT_SENT: ngettext("{n} not sent", "{n} not sent", n),
        Status.VALID: ngettext("{n} valid", "{n} valid", n),
        Status.DELETED: ngettext("{n} deleted (undone)", "{n} deleted (undone)", n),
        Status.EXCLUDED: ngettext("{n} left out", "{n} left out", n),
    }
    return words[Status(status)].format(n=n)


class RecordStatus(StrEnum):
    """What became of one record (a row of the records sheet)."""

    ADDED = "added"  #: its batch was added (HTTP 201, or the campaign's count confirms it)
    FAILED = "failed"  #: wolkvox refused its batch; nothing of it was added
    UNKNOWN = "unknown"  #: its batch was sent, and whether it was added cannot be told
    INVALID = "invalid"  #: broke a rule of the records sheet; never sent
    NOT_SENT = "not_sent"  #: not sent (the run stopped, or its campaign was not there)
    VALID = "valid"  #: dry run only: the record would be sent
    #: its batch was sent, then its campaign was deleted by ``wolkvox-import undo``
    DELETED = "deleted"
    EXCLUDED = "excluded"  #: left out on the page by the person; never sent


#: Records certainly not added, hence safe to send again: they go to the records' retry file.
RECORD_RETRY_STATUSES = frozenset(
    {RecordStatus.FAILED, RecordStatus.INVALID, RecordStatus.NOT_SENT}
)
#: Records that need nothing more.
RECORD_SUCCESS_STATUSES = frozenset(
    {RecordStatus.ADDED, RecordStatus.VALID, RecordStatus.DELETED, RecordStatus.EXCLUDED}
)

#: Words of their own: a record is not a row of campaigns (and, in Spanish, not feminine).
_RECORD_LABELS = {
    RecordStatus.ADDED: N_("added"),
    RecordStatus.FAILED: N_("record refused"),
    RecordStatus.UNKNOWN: N_("record unclear: check in wolkvox"),
    RecordStatus.INVALID: N_("record invalid"),
    RecordStatus.NOT_SENT: N_("record not sent"),
    RecordStatus.VALID: N_("record valid"),
    RecordStatus.DELETED: N_("record deleted with its campaign (undone)"),
    RecordStatus.EXCLUDED: N_("record left out"),
}


def record_label(status: RecordStatus | str) -> str:
    """The words for a record's status code, in the current language."""
    return _(_RECORD_LABELS[RecordStatus(status)])


def counted_records(status: RecordStatus | str, n: int) -> str:
    """``3 added``: :func:`counted` for records (whose words, in Spanish, are masculine)."""
    if i18n.current() == i18n.DEFAULT:
        return f"{n} {status}"
    words = {
        RecordStatus.ADDED: ngettext("{n} record added", "{n} records added", n),
        RecordStatus.FAILED: ngettext("{n} record refused", "{n} records refused", n),
        RecordStatus.UNKNOWN: ngettext(
            "{n} record unclear: check it in wolkvox",
            "{n} records unclear: check them in wolkvox",
            n,
        ),
        RecordStatus.INVALID: ngettext("{n} record invalid", "{n} records invalid", n),
        RecordStatus.NOT_SENT: ngettext("{n} record not sent", "{n} records not sent", n),
        RecordStatus.VALID: ngettext("{n} record valid", "{n} records valid", n),
        RecordStatus.EXCLUDED: ngettext("{n} record left out", "{n} records left out", n),
    }
    return words[RecordStatus(status)].format(n=n)


#: What a campaign's start came to: ``started``, or a record status of its call.
_START_LABELS = {
    "started": N_("started"),
    RecordStatus.FAILED: N_("not started: wolkvox refused the start"),
    RecordStatus.UNKNOWN: N_("start unclear: check in wolkvox"),
    RecordStatus.NOT_SENT: N_("not started"),
}


def start_label(status: str) -> str:
    """A start's outcome as a person reads it: the code in English, words otherwise."""
    if i18n.current() == i18n.DEFAULT or status not in _START_LABELS:
        return status
    return _(_START_LABELS[status])


class Ended(StrEnum):
    """Why sending ended: ``done``, or the reason it stopped early."""

    DONE = "done"
    INTERRUPTED = "interrupted"  #: Ctrl-C, SIGTERM, the page's Stop button
    QUOTA = "quota"  #: TOKEN LIMIT EXCEEDED
    TOKEN = "token"  #: the token was refused
    API = "api"  #: wrong address or API name
    UNREACHABLE = "unreachable"  #: nothing reached the server (refused, DNS, TLS, proxy)
    BUSY = "busy"  #: the token stayed busy past --retry-for
    MAINTENANCE = "maintenance"  #: the server stayed unavailable past --retry-for
    LIST = "list"  #: the campaign list could not be read before sending
    MAX_FAILURES = "max_failures"  #: --max-failures rows failed in a row
    MAX_UNKNOWN = "max_unknown"  #: --max-unknown unclear outcomes in a row


#: Ends that are the API's doing (exit 3) rather than the rows' or the operator's.
API_STOPS = frozenset(
    {
        Ended.QUOTA,
        Ended.TOKEN,
        Ended.API,
        Ended.UNREACHABLE,
        Ended.BUSY,
        Ended.MAINTENANCE,
        Ended.LIST,
        Ended.MAX_UNKNOWN,
    }
)
