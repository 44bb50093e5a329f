"""Stage 3: send valid rows strictly one at a time, journaling around every request.

The guarantees live here:

* one request at a time: the next row leaves only after the previous answer has
  been classified and journaled (there is no thread, pool or async anywhere);
* an ``attempt`` line is on disk before a request leaves, so no crash can make the
  importer forget it may have created a campaign;
* only answers that prove nothing was created (busy token, maintenance) are retried
  for the same row; an unclear outcome is ``unknown`` and is never sent again
  automatically, only checked against the campaign list (:func:`settle`).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from importer.check.schema import Campaign, name_key
from importer.errors import ApiStopped
from importer.i18n import _
from importer.send.client import Answer, Kind, ListRefused, WolkvoxClient
from importer.send.journal import Journal
from importer.send.policy import Policy
from importer.status import Ended, Status

__all__ = [
    "Clock", "Policy", "Sender", "Settled", "StopFlag", "index_by_name", "read_list", "settle",
    "skip_existing",
]  # fmt: skip

#: name key -> ids of the campaigns of that name, as the campaign list shows them.
Listing = dict[str, list[str]]
_T = TypeVar("_T")


class StopFlag:
    """Set from a signal handler (or the web page's Stop) to stop after the current request."""

    def __init__(self) -> None:
        self.requested = False

    def set(self) -> None:
        self.requested = True

    def __bool__(self) -> bool:
        return self.requested


@dataclass
class Clock:
    """Time as the sender sees it; tests pass fakes."""

    now: Callable[[], float]
    sleep: Callable[[float], None]
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, seconds: float, stop: StopFlag) -> bool:
        """Sleep in short steps so that Ctrl-C is honoured; False if interrupted."""
        end = self.now() + seconds
        while (left := end - self.now()) > 0:
            if stop:
                return False
            self.sleep(min(left, 0.5))
        return not stop


class Sender:
    """Sends campaigns through a client, recording everything in a journal."""

    def __init__(
        self,
        client: WolkvoxClient,
        journal: Journal,
        clock: Clock,
        *,
        policy: Policy | None = None,
        stop: StopFlag | None = None,
        on_send: Callable[[int, str], None] = lambda row, name: None,
        on_row: Callable[[int, str], None] = lambda row, status: None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.clock = clock
        self.policy = policy or Policy()
        self.stop = stop if stop is not None else StopFlag()
        self.on_send = on_send
        self.on_row = on_row

        #: Failed and unclear answers in a row, across every kind of call.
        self.in_a_row = {Status.FAILED: 0, Status.UNKNOWN: 0}

    def send(self, campaigns: Iterable[Campaign]) -> Ended:
        """Send each campaign in turn. Return why sending ended: ``done`` or a stop reason."""
        in_a_row = self.in_a_row
        for campaign in campaigns:
            if self.stop:
                self.journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
                return Ended.INTERRUPTED
            answer = self._send_one(campaign)
            if answer.kind in (Kind.STOP, Kind.RETRY):
                # Both mean this row was certainly not created: it can go again later.
                self.journal.outcome(
                    campaign.row,
                    Status.NOT_SENT,
                    message=_("not sent: {why}").format(why=answer.message),
                )
                self.on_row(campaign.row, Status.NOT_SENT)
                message = _("not sent: the run stopped ({why})").format(why=answer.message)
                self.journal.stop(answer.reason, message)
                return Ended(answer.reason)
            self.journal.outcome(campaign.row, answer.kind, answer.id_campaign, answer.message)
            self.on_row(campaign.row, answer.kind)
            for status in in_a_row:
                in_a_row[status] = in_a_row[status] + 1 if answer.kind == status else 0
            ended = self._too_many(in_a_row)
            if ended is not None:
                return ended
        return Ended.DONE

    def _too_many(self, in_a_row: Mapping[Status, int]) -> Ended | None:
        """Stop after too many failures, or too many unclear outcomes, in a row."""
        failures = self.policy.max_failures
        if failures is not None and in_a_row[Status.FAILED] >= failures:
            message = _("not sent: the run stopped after {n} failed rows in a row")
            self.journal.stop(Ended.MAX_FAILURES, message.format(n=failures))
            return Ended.MAX_FAILURES
        if in_a_row[Status.UNKNOWN] >= self.policy.max_unknown:
            message = _(
                "not sent: the run stopped after {n} unclear answers in a row; the server or "
                "the network is failing. Send the retry file when wolkvox answers normally again"
            )
            self.journal.stop(Ended.MAX_UNKNOWN, message.format(n=self.policy.max_unknown))
            return Ended.MAX_UNKNOWN
        return None

    def counted(self, kind: str) -> Ended | None:
        """Count an answer of another kind of call (a batch, a start) with the rows' in a
        row; the stop reason when too many failed or were unclear in a row."""
        for status in self.in_a_row:
            self.in_a_row[status] = self.in_a_row[status] + 1 if kind == status else 0
        return self._too_many(self.in_a_row)

    def _send_one(self, campaign: Campaign) -> Answer:
        """Send one row, retrying only answers that prove nothing was created."""
        body = campaign.body_json()

        def attempt() -> None:
            self.journal.attempt(campaign.row, campaign.name)  # on disk before it leaves
            self.on_send(campaign.row, campaign.name)

        def waiting(answer: Answer) -> None:
            # Nothing was created: record that before waiting, so a crash while
            # waiting leaves the row plainly unsent rather than unknown.
            message = _("not sent yet: {why}").format(why=answer.message)
            self.journal.outcome(campaign.row, Status.NOT_SENT, message=message)

        def request() -> Answer:
            return self.client.create_campaign(campaign.type_campaign, body)

        return self._retrying(attempt, request, waiting)

    def launch_call(
        self, key: str, call: str, campaign: str, campaign_id: str,
        request: Callable[[], Answer], *, rows: Sequence[int] = (), batch: int = 0,
    ) -> Answer:  # fmt: skip
        """Send one batch of records or one start the way rows are sent: its ``call`` line
        on disk before it leaves, retried only on answers that prove nothing was done,
        never sent again after an unclear one (the caller settles that)."""

        def attempt() -> None:
            self.journal.call(key, call, campaign, campaign_id, rows, batch)

        def waiting(answer: Answer) -> None:
            message = _("not sent yet: {why}").format(why=answer.message)
            self.journal.answer(key, Status.NOT_SENT, message)

        return self._retrying(attempt, request, waiting)

    def _retrying(
        self,
        attempt: Callable[[], None],
        request: Callable[[], Answer],
        waiting: Callable[[Answer], None],
    ) -> Answer:
        """``attempt`` (journal it), then ``request``; again, with growing jittered pauses,
        while the answer proves nothing was done (busy token, maintenance), for up to
        ``retry_for`` seconds. ``waiting`` records each such answer before the pause."""
        waited = 0.0
        delay = self.policy.first_delay
        while True:
            attempt()
            answer = request()
            if answer.kind != Kind.RETRY:
                return answer
            pause = min(delay, self.policy.max_delay) * (0.5 + self.clock.rng.random())
            if waited + pause > self.policy.retry_for:
                # Gave up retrying: the run stops, and this row stays safe to send again.
                message = _("{why}; still so after {waited} s of retries (--retry-for {limit})")
                shown = message.format(
                    why=answer.message, waited=f"{waited:.0f}", limit=f"{self.policy.retry_for:g}"
                )
                return Answer(Kind.STOP, shown, reason=answer.reason)
            waiting(answer)
            if not self.clock.wait(pause, self.stop):
                why = _("the run was interrupted while waiting to retry")
                return Answer(Kind.STOP, why, reason=Ended.INTERRUPTED)
            waited += pause
            delay *= 2


def index_by_name(listed: Iterable[Mapping[str, object]]) -> Listing:
    """Campaign list -> {name key: [campaign ids]}, every campaign of that name."""
    out: Listing = {}
    for item in listed:
        name = item.get("campaign_name") or item.get("name_campaign") or item.get("name")
        if name:
            ident = item.get("campaign_id") or item.get("id_campaign") or item.get("id") or ""
            out.setdefault(name_key(str(name)), []).append(str(ident))
    return out


def skip_existing(
    campaigns: Sequence[Campaign], listing: Listing, journal: Journal
) -> list[Campaign]:
    """Mark rows whose name already exists in wolkvox as ``exists``; return the others."""
    remaining = []
    for campaign in campaigns:
        found = listing.get(name_key(campaign.name))
        if not found:
            remaining.append(campaign)
        else:
            message = _("already exists in wolkvox (same name); not sent")
            journal.outcome(campaign.row, Status.EXISTS, found[0], message)
    return remaining


@dataclass
class Settled:
    """What :func:`settle` found out."""

    #: The campaign list it read (every name), or None if it read none.
    listing: Listing | None = None
    #: Rows it proved never created (sent, and the list does not show them).
    absent: list[int] = field(default_factory=list)


def read_list(
    client: WolkvoxClient, clock: Clock, policy: Policy, stop: StopFlag | None = None
) -> list[dict[str, Any]]:
    """The campaign list, read the way a row is sent: a busy token or maintenance proves
    only that the server did not answer yet, so the read is tried again with the same
    growing pauses, for at most ``policy.retry_for`` seconds (``--retry-for``).

    Raises what :meth:`WolkvoxClient.list_campaigns` raises; past the bound, its
    :class:`ListRefused` says how long it waited.
    """
    cannot = _("the campaign list could not be read: {why}")
    return _waiting(client.list_campaigns, cannot, clock, policy, stop)


def read_skills(
    client: WolkvoxClient, clock: Clock, policy: Policy, stop: StopFlag | None = None
) -> dict[str, str]:
    """The operation's skills list, a busy token or maintenance waited out as for the
    campaign list (:func:`read_list`)."""
    cannot = _("the skills list could not be read: {why}")
    return _waiting(client.list_skills, cannot, clock, policy, stop)


def _waiting(
    read: Callable[[], _T], cannot: str, clock: Clock, policy: Policy, stop: StopFlag | None
) -> _T:
    """``read()``, tried again after a busy token or maintenance (nothing was read)."""
    stop = stop if stop is not None else StopFlag()
    waited = 0.0
    delay = policy.first_delay
    while True:
        try:
            return read()
        except ListRefused as refused:
            answer = refused.answer
            if answer.kind != Kind.RETRY:
                raise
            pause = min(delay, policy.max_delay) * (0.5 + clock.rng.random())
            if waited + pause > policy.retry_for:
                message = _("{why}; still so after {waited} s of retries (--retry-for {limit})")
                shown = message.format(
                    why=answer.message, waited=f"{waited:.0f}", limit=f"{policy.retry_for:g}"
                )
                raise ListRefused(
                    cannot.format(why=shown), dataclasses.replace(answer, message=shown)
                ) from None
            if not clock.wait(pause, stop):
                raise ApiStopped(_("the run was interrupted before the check")) from None
            waited += pause
            delay *= 2


def settle(
    names: Mapping[int, str],
    client: WolkvoxClient,
    journal: Journal,
    clock: Clock,
    *,
    after: float,
    before: Listing | None,
    stop: StopFlag | None = None,
    say: Callable[[str], None] = lambda text: None,
    resending: bool = False,
    policy: Policy | None = None,
) -> Settled:
    """Settle what only the campaign list can tell, reading it once.

    ``unknown`` rows (and rows sent without a recorded answer) become ``created`` when
    the list shows a campaign of that name that was not there before the run
    (``before``), else ``failed``: safe to send again; with ``resending`` (a resume,
    which goes on to send them) they become ``not_sent`` instead, like any row still
    to send. Created rows whose answer carried no readable id get it from the list.
    If the list cannot be read (after retrying a busy token or maintenance for
    ``policy.retry_for``, see :func:`read_list`), unclear rows stay ``unknown`` with a
    message saying so.
    """
    stop = stop if stop is not None else StopFlag()
    state = journal.state
    unclear = [r for r in state.unsettled() if r in names]
    no_id = [
        r
        for r, o in state.outcomes.items()
        if r in names and o.status == Status.CREATED and not o.id_campaign
    ]
    if not unclear and not no_id:
        return Settled()
    if unclear:
        wait = max(state.attempted_at.get(r, 0.0) for r in unclear) + after - clock.now()
        if wait > 0:
            say(
                _(
                    "waiting {seconds} s before checking {n} unclear outcome(s) against the "
                    "campaign list (the server may still be working on them)"
                ).format(seconds=f"{wait:.0f}", n=len(unclear))
            )
            clock.wait(wait, stop)
    try:
        if stop:
            raise ApiStopped(_("the run was interrupted before the check"))
        listing = index_by_name(read_list(client, clock, policy or Policy(), stop))
    except ApiStopped as exc:
        for row in unclear:
            # One sentence: the cause alone, not the whole "list could not be read" again.
            message = _(
                "sent, but the answer was unclear, and the campaign list that would tell "
                "whether it was created could not be read ({why}); look for it in wolkvox "
                "manager before sending it again"
            )
            journal.outcome(row, Status.UNKNOWN, message=message.format(why=exc.why))
        return Settled()
    absent = [row for row in unclear if _settle_unclear(row, names[row], listing, before, journal)]
    for row in absent:
        if resending:
            message = _(
                "not sent: the request never reached wolkvox (the campaign list does not "
                "show it); safe to send again"
            )
            journal.outcome(row, Status.NOT_SENT, message=message)
        else:
            message = _(
                "not created: the answer was unclear and the campaign list does not show it; "
                "safe to send again"
            )
            journal.outcome(row, Status.FAILED, message=message)
    for row in no_id:
        _fill_in_id(row, names[row], listing, before, journal)
    return Settled(listing, absent)


def _new_ids(name: str, listing: Listing, before: Listing | None) -> list[str]:
    """Ids of campaigns named ``name`` that were not in the list before the run."""
    key = name_key(name)
    old = set((before or {}).get(key, ()))
    return [i for i in listing.get(key, ()) if i not in old]


def _settle_unclear(
    row: int, name: str, listing: Listing, before: Listing | None, journal: Journal
) -> bool:
    """Record what the list says of an unclear row; True when it proves the row absent
    (the caller records that, as the run goes on)."""
    new = _new_ids(name, listing, before)
    if before is None and listing.get(name_key(name)):
        # Without the list from before the run, a campaign of this name may be an older one.
        message = _(
            "sent, but the answer was unclear; a campaign with this name exists, but it may be "
            "one from before the run (the list could not be read before sending). Check in "
            "wolkvox manager before sending it again"
        )
        journal.outcome(row, Status.UNKNOWN, message=message)
    elif len(new) == 1:
        message = _("created: confirmed by the campaign list after an unclear answer")
        journal.outcome(row, Status.CREATED, new[0], message)
    elif new:
        message = _(
            "created: the campaign list shows {n} new campaigns with this name (ids {ids}); "
            "check in wolkvox manager which one is this row's"
        )
        journal.outcome(row, Status.CREATED, "", message.format(n=len(new), ids=", ".join(new)))
    else:
        return True
    return False


def _fill_in_id(
    row: int, name: str, listing: Listing, before: Listing | None, journal: Journal
) -> None:
    new = _new_ids(name, listing, before)
    if len(new) == 1:
        message = _("created; its id comes from the campaign list (the answer carried none)")
        journal.outcome(row, Status.CREATED, new[0], message)
    elif new:
        message = _(
            "created; the answer carried no id and the campaign list shows {n} campaigns with "
            "this name (ids {ids}): check in wolkvox manager which one is this row's"
        )
        journal.outcome(row, Status.CREATED, "", message.format(n=len(new), ids=", ".join(new)))
    else:
        message = _(
            "created (HTTP 201), but neither the answer nor the campaign list gave its id; "
            "find it in wolkvox manager"
        )
        journal.outcome(row, Status.CREATED, "", message)
