"""``run --check-quota``: the token's calls left today against the calls a run needs.

wolkvox allows a licence 1,000 calls a day and tells how many are used through
``information.php?api=token_info``, which itself uses one of them: the check is made
only when a person asks, and says so. Nothing is created; no file is written. What a run
needs (its rows, its batches of records and starts) is counted by the caller:
:func:`importer.job.calls_planned` for the command line, the review for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from importer.errors import UsageError
from importer.i18n import _, ngettext
from importer.send.client import WolkvoxClient
from importer.send.lock import TokenLock
from importer.send.policy import check_policy

if TYPE_CHECKING:
    from importer.job import Settings


@dataclass(frozen=True)
class Quota:
    """The token's day as ``token_info`` tells it, and what the run needs."""

    #: calls the token may make today, and has made (the check included); None if not told
    limit: int | None
    used: int | None
    #: rows the run would send, and the calls it needs for them
    rows: int
    needed: int
    #: whether the skills list is read before the run (one call)
    reads_skills: bool
    #: the calls of the records: their batches, and the starts asked for
    records_calls: int = 0

    @property
    def left(self) -> int | None:
        """Calls left today, or None when token_info did not tell."""
        if self.limit is None or self.used is None:
            return None
        return max(0, self.limit - self.used)

    @property
    def enough(self) -> bool | None:
        """Whether the calls left cover the run; None when that cannot be told."""
        return None if self.left is None else self.left >= self.needed

    def lines(self) -> list[str]:
        """What the person reads, in their language."""
        if self.left is None:
            first = _(
                "wolkvox did not say how many calls the token has left today (this check used "
                "one call)"
            )
        else:
            first = _(
                "calls left today: {left} of {limit} ({used} used, this check included: reading "
                "token_info uses one call)"
            ).format(left=self.left, limit=self.limit, used=self.used)
        reads = (
            _("the skills list and the campaign list, read once each")
            if self.reads_skills
            else _("the campaign list, read once")
        )
        if self.records_calls:
            need = ngettext(
                "this run needs {needed} calls: {rows} row to send, {records} for the records "
                "(their batches, and the starts asked for) and {reads} (one more read of the "
                "campaign list if an answer is unclear)",
                "this run needs {needed} calls: {rows} rows to send, {records} for the records "
                "(their batches, and the starts asked for) and {reads} (one more read of the "
                "campaign list if an answer is unclear)",
                self.rows,
            )
        else:
            need = ngettext(
                "this run needs {needed} calls: {rows} row to send and {reads} (one more read "
                "of the campaign list if an answer is unclear)",
                "this run needs {needed} calls: {rows} rows to send and {reads} (one more read "
                "of the campaign list if an answer is unclear)",
                self.rows,
            )
        need = need.format(
            needed=self.needed, rows=self.rows, records=self.records_calls, reads=reads
        )
        lines = [first, need]
        if self.enough is True:
            lines.append(_("enough for today; nothing was sent."))
        elif self.enough is False:
            short = self.needed - (self.left or 0)
            text = _(
                "not enough for today: {short} calls short. The run would stop at TOKEN LIMIT "
                "EXCEEDED and the rest would wait in the retry file for another day; nothing was "
                "sent."
            )
            lines.append(text.format(short=short))
        return lines


def _number(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def check_quota(
    settings: Settings, token: str | None, *, rows: int, records_calls: int = 0,
    session: requests.Session | None = None,
) -> Quota:  # fmt: skip
    """Read ``token_info`` (one call) and set it against a run of ``rows`` rows and
    ``records_calls`` calls for its records; nothing is sent and nothing written."""
    if not token:
        raise UsageError(_("no token: set WOLKVOX_TOKEN or pass --token-file PATH."))
    if not settings.base_url:
        raise UsageError(_("no server: pass --server (e.g. --server 0032) or --base-url."))
    check_policy(settings.base_url, settings.timeout, settings.policy)
    reads_skills = bool(settings.live_skills and settings.validation.skills is None)
    return read_quota(
        settings.base_url, token, rows=rows, needed=rows + records_calls + 1 + int(reads_skills),
        reads_skills=reads_skills, records_calls=records_calls, timeout=settings.timeout,
        session=session,
    )  # fmt: skip


def read_quota(
    base_url: str, token: str, *, rows: int, needed: int, reads_skills: bool = False,
    records_calls: int = 0, timeout: float, session: requests.Session | None = None,
) -> Quota:  # fmt: skip
    """Read ``token_info`` once (one call, on the token lock) and set it against the
    ``needed`` calls of a run of ``rows`` rows. Raises :class:`ListRefused` when wolkvox
    refuses it the way any call would be (a wrong token), :class:`ApiStopped` else."""
    with TokenLock(token):
        client = WolkvoxClient(base_url, token, session=session, timeout=timeout)
        try:
            info = client.token_info()
        finally:
            client.session.close()
    return Quota(
        limit=_number(info.get("token_limit")), used=_number(info.get("token_use_today")),
        rows=rows, needed=needed, reads_skills=reads_skills, records_calls=records_calls,
    )  # fmt: skip
