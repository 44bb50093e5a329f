"""Stage 3: send valid rows strictly one at a time, journaling around every request.

The guarantees live here:

* one request at a time: the next row leaves only after the previous answer has
  been classified and journaled (there is no thread, pool or async anywhere);
* an ``attempt`` line is on disk before a request leaves, so no crash can make the
  importer forget it may have created a campaign;
* only answers that prove nothing was created (busy token, maintenance) are retried
  for the same row; an unclear outcome is ``unknown`` and is never sent again
  automatically, only checked against the campaign list (:func:`reconcile`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from importer.client import Answer, WolkvoxClient
from importer.errors import ApiStopped
from importer.journal import Journal
from importer.schema import Campaign, name_key


@dataclass
class Policy:
    """How long to keep trying, and when to give up."""

    #: Total seconds one row may spend waiting for a busy token or maintenance.
    retry_for: float = 300.0
    first_delay: float = 2.0
    max_delay: float = 60.0
    #: Stop the run after this many consecutive failed rows (None: never).
    max_failures: int | None = None
    #: Check unknown outcomes against the campaign list no sooner than this after
    #: the attempt: the server may take up to 60 s to finish a call.
    reconcile_after: float = 60.0


class StopFlag:
    """Set from a signal handler to ask the run to stop after the current request."""

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

    def send(self, campaigns: Iterable[Campaign]) -> str:
        """Send each campaign in turn. Return why sending ended: ``done`` or a stop reason."""
        failures_in_a_row = 0
        for campaign in campaigns:
            if self.stop:
                self.journal.stop("interrupted", "not sent: the run was interrupted")
                return "interrupted"
            answer = self._send_one(campaign)
            if answer.kind == "stop" or answer.kind == "retry":
                # Both mean this row was certainly not created: it can go again later.
                self.journal.outcome(
                    campaign.row, "not_sent", message=f"not sent: {answer.message}"
                )
                self.on_row(campaign.row, "not_sent")
                self.journal.stop(answer.reason, f"not sent: the run stopped ({answer.message})")
                return answer.reason
            self.journal.outcome(campaign.row, answer.kind, answer.id_campaign, answer.message)
            self.on_row(campaign.row, answer.kind)
            failures_in_a_row = failures_in_a_row + 1 if answer.kind == "failed" else 0
            limit = self.policy.max_failures
            if limit is not None and failures_in_a_row >= limit:
                self.journal.stop(
                    "max_failures",
                    f"not sent: the run stopped after {limit} failed rows in a row",
                )
                return "max_failures"
        return "done"

    def _send_one(self, campaign: Campaign) -> Answer:
        body = campaign.body_json()
        waited = 0.0
        delay = self.policy.first_delay
        while True:
            self.journal.attempt(campaign.row)  # on disk before the request leaves
            self.on_send(campaign.row, campaign.name)
            answer = self.client.create_campaign(campaign.type_campaign, body)
            if answer.kind != "retry":
                return answer
            pause = min(delay, self.policy.max_delay) * (0.5 + self.clock.rng.random())
            if waited + pause > self.policy.retry_for:
                message = (
                    f"{answer.message}; still so after {waited:.0f} s of retries "
                    f"(--retry-for {self.policy.retry_for:g})"
                )
                return Answer("retry", message, reason=answer.reason)
            # Nothing was created: record that before waiting, so a crash while
            # waiting leaves the row plainly unsent rather than unknown.
            self.journal.outcome(
                campaign.row, "not_sent", message=f"not sent yet: {answer.message}"
            )
            if not self.clock.wait(pause, self.stop):
                return Answer(
                    "retry", "the run was interrupted while waiting to retry", reason="interrupted"
                )
            waited += pause
            delay *= 2


def skip_existing(
    campaigns: Sequence[Campaign], client: WolkvoxClient, journal: Journal
) -> list[Campaign]:
    """Mark rows whose name already exists in wolkvox as ``exists``; return the others.

    Reads the campaign list once. Raises :class:`ApiStopped` if it cannot be read.
    """
    existing = index_by_name(client.list_campaigns())
    remaining = []
    for campaign in campaigns:
        found = existing.get(name_key(campaign.name))
        if found is None:
            remaining.append(campaign)
        else:
            journal.outcome(
                campaign.row, "exists", found, "already exists in wolkvox (same name); not sent"
            )
    return remaining


def index_by_name(listed: Iterable[dict]) -> dict[str, str]:
    """Campaign list -> {name key: campaign id}."""
    out: dict[str, str] = {}
    for item in listed:
        name = item.get("campaign_name") or item.get("name_campaign") or item.get("name")
        if name:
            ident = item.get("campaign_id") or item.get("id_campaign") or item.get("id") or ""
            out.setdefault(name_key(str(name)), str(ident))
    return out


def reconcile(
    names: dict[int, str],
    client: WolkvoxClient,
    journal: Journal,
    clock: Clock,
    *,
    after: float,
    stop: StopFlag | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> None:
    """Settle ``unknown`` rows (row -> campaign name) by reading the campaign list once.

    Found: ``created`` with its id. Not found: ``failed``, safe to send again. If the
    list cannot be read the rows stay ``unknown``, with a message saying so.
    """
    stop = stop if stop is not None else StopFlag()
    rows = [r for r in journal.state.unsettled() if r in names]
    if not rows:
        return
    latest = max(journal.state.attempted_at.get(r, 0.0) for r in rows)
    wait = latest + after - clock.now()
    if wait > 0:
        say(
            f"waiting {wait:.0f} s before checking {len(rows)} unclear outcome(s) against the "
            "campaign list (the server may still be working on them)"
        )
        clock.wait(wait, stop)
    try:
        if stop:
            raise ApiStopped("the run was interrupted before the check")
        existing = index_by_name(client.list_campaigns())
    except ApiStopped as exc:
        for row in rows:
            journal.outcome(
                row,
                "unknown",
                message=(
                    f"sent, but the answer was unclear and the campaign list could not be checked "
                    f"({exc}); look for it in wolkvox manager before sending it again"
                ),
            )
        return
    for row in rows:
        found = existing.get(name_key(names[row]))
        if found is not None:
            journal.outcome(
                row,
                "created",
                found,
                "created: confirmed by the campaign list after an unclear answer",
            )
        else:
            journal.outcome(
                row,
                "failed",
                message=(
                    "not created: the answer was unclear and the campaign list does not show it; "
                    "safe to send again"
                ),
            )
