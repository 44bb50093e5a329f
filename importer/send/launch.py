"""The records of a launch: into which campaign each goes, its batches, and starting dialling.

After the campaigns of a run (:mod:`importer.send.sender`), the records go campaign by campaign,
in batches of ``--batch-size``, through the same :class:`~importer.send.sender.Sender`: one call at
a time on the same token lock, each batch's ``call`` line on disk before it leaves and its
``answer`` after (:mod:`importer.send.journal`). A batch is all or nothing and not idempotent
(sending it twice adds its records twice), so an unclear answer is never sent again by
itself: it is settled from the campaign's ``records`` count in the campaign list, against
the count before the campaign's first batch plus the batches confirmed since. Grown by
the batch: ``added``; unchanged: safe to send again; anything else: ``unknown``, and the
campaign gets no more batches in this run.

By default records go only into campaigns this run created, so that running a whole
workbook again loads nothing twice; ``--into-existing`` lets them into campaigns that
were there before (a record naming its campaign by ``campaign_id`` asks for that itself).
With ``--start`` a predictive campaign whose records are all in is started.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from importer.check import record_schema, records
from importer.errors import ApiStopped
from importer.i18n import _
from importer.read import record_table
from importer.send.answers import ADD_RECORD, START, Answer, Kind
from importer.send.client import WolkvoxClient
from importer.send.journal import CallRecord, Journal, JournalState, row_hash
from importer.send.policy import DEFAULT_BATCH, MAX_BATCH, Policy
from importer.send.sender import Clock, Sender, StopFlag, read_list
from importer.status import RECORD_EXCLUDED_REASON, Ended, RecordStatus, Status


@dataclass
class RecordsLoaded:
    """A records sheet as read, and what checking made of it."""

    table: record_table.RecordTable
    checked: record_schema.CheckedRecords
    path: Path
    sheet: str | None
    #: campaign key -> type, of the campaigns the records were checked against
    known: dict[str, str]
    #: campaign key -> {"id", "type", "records"} of the listed campaigns the records name
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: records the person left out (the web page): never sent, ``excluded`` in the results
    excluded: frozenset[int] = frozenset()
    #: campaign key -> row, of the campaigns sheet's rows the person left out
    left_out_campaigns: dict[str, int] = field(default_factory=dict)

    def hashes(self) -> dict[str, str]:
        """Each record's fingerprint, to notice a records sheet edited between runs."""
        return record_hashes(self.table.frame)

    def header(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The journal's ``records`` line: enough to check them again without the network."""
        return {
            "input": str(self.path), "sheet": self.sheet, "source": self.table.source,
            "rows": self.hashes(), "known": self.known, "listed": self.listed,
            "options": dict(options), "excluded": sorted(self.excluded),
            **({"left_out_campaigns": self.left_out_campaigns} if self.left_out_campaigns else {}),
        }  # fmt: skip


def record_hashes(frame: pd.DataFrame) -> dict[str, str]:
    """Each record's fingerprint by its row (as text, as the journal keeps them)."""
    rows = zip(frame.index, frame.itertuples(index=False), strict=True)
    return {str(int(row)): row_hash(values) for row, values in rows}


def added_before(frame: pd.DataFrame, state: JournalState) -> list[int]:
    """The records of ``frame`` that the run of ``state`` added, or may have added (an
    unclear batch), unchanged since: the same row with the same cells."""
    recorded = (state.records or {}).get("rows") or {}
    maybe = (RecordStatus.ADDED, RecordStatus.UNKNOWN, "")
    added = {row for row, call in last_calls(state).items() if call.status in maybe}
    now = record_hashes(frame)
    return sorted(r for r in added if recorded.get(str(r)) is not None
                  and recorded.get(str(r)) == now.get(str(r)))  # fmt: skip


def campaigns_in_sheet(
    frame: pd.DataFrame, checked: Any, left_out: Collection[int] = ()
) -> tuple[list[tuple[str, str]], dict[str, int], dict[str, int]]:
    """(name, type) of the campaigns sheet's valid rows not ``left_out``, and the key ->
    row of its invalid ones (a record naming one is told to fix that row first) and of
    those left out (a record naming one is told so)."""
    valid = [(c.name, c.type_campaign) for c in checked.campaigns if c.row not in left_out]
    return valid, rows_by_campaign(frame, checked.invalid), rows_by_campaign(frame, left_out)


def rows_by_campaign(frame: pd.DataFrame, rows: Iterable[int]) -> dict[str, int]:
    """The campaign key of each of ``rows`` of the campaigns sheet -> its first such row."""
    found: dict[str, int] = {}
    if "campaign_name" in frame.columns:
        for row in sorted(rows):
            name = str(frame.at[row, "campaign_name"]) if row in frame.index else ""
            key = record_schema.campaign_key(name=name)
            if key:
                found.setdefault(key, int(row))
    return found


def listed_for(
    frame: pd.DataFrame, listed: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The listed campaigns the records name, by campaign key (by id and by name): their
    id, type and ``records`` count as read before anything was sent. A name held by
    several campaigns keeps every id (such a record must name its campaign by id)."""
    wanted = set()
    for column, kind in (("campaign_id", "campaign_id"), ("campaign_name", "name")):
        if column in frame.columns:
            for value in pd.unique(frame[column].to_numpy(dtype=object)):
                key = record_schema.campaign_key(**{kind: str(value)})
                if key:
                    wanted.add(key)
    found: dict[str, dict[str, Any]] = {}
    for entry in listed:
        ident = str(entry.get("campaign_id") or entry.get("id_campaign") or "")
        name = str(entry.get("campaign_name") or entry.get("name_campaign") or "")
        info = {"id": ident, "type": str(entry.get("type_campaign") or ""),
                "records": _count(entry.get("records")), "ids": [ident]}  # fmt: skip
        for key in (record_schema.campaign_key(campaign_id=ident),
                    record_schema.campaign_key(name=name)):  # fmt: skip
            if key and key in wanted:
                if key in found and found[key]["id"] != ident:
                    found[key]["ids"].append(ident)
                else:
                    found[key] = dict(info, ids=[ident])
    return found


def _count(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def check(
    table: record_table.RecordTable, path: Path, sheet: str | None,
    campaigns: Sequence[tuple[str, str]], invalid: Mapping[str, int],
    listed: Mapping[str, Mapping[str, Any]] | None, *, sheet_given: bool = True,
    simulated: bool = False, excluded: Iterable[int] = (),
    left_out_campaigns: Mapping[str, int] | None = None,
) -> RecordsLoaded:  # fmt: skip
    """Check every record against the campaigns it may go into: the campaigns sheet's and,
    when the list was read (``listed``), the operation's. A dry run has no list: a record
    naming its campaign by ``campaign_id`` is then taken as naming one that exists, and so
    is one naming it by name when there is no campaigns sheet (``sheet_given`` False).
    ``simulated``: the list is a new sandbox's, which holds no campaign of another run.
    ``excluded``: the records the person left out (never sent); ``left_out_campaigns``:
    the campaigns sheet's rows the person left out, by campaign key."""
    known = record_schema.known_campaigns(campaigns)
    if listed is None:
        frame = table.frame
        named = [("campaign_id", "campaign_id")]
        if not sheet_given:
            named.append(("campaign_name", "name"))
        for column, kind in named:
            values: list[object] = frame[column].tolist() if column in frame else []
            for value in dict.fromkeys(values):
                key = record_schema.campaign_key(**{kind: str(value)})
                if key:
                    known.setdefault(key, "")
    else:
        for key, info in listed.items():
            known.setdefault(key, str(info.get("type") or ""))
    return checked_with(
        table, path, sheet, known, invalid, dict(listed or {}), simulated, excluded,
        left_out_campaigns,
    )  # fmt: skip


def checked_with(
    table: record_table.RecordTable, path: Path, sheet: str | None, known: Mapping[str, str],
    invalid: Mapping[str, int], listed: Mapping[str, Any], simulated: bool = False,
    excluded: Iterable[int] = (), left_out_campaigns: Mapping[str, int] | None = None,
) -> RecordsLoaded:  # fmt: skip
    """The check of :func:`check` from what a journal kept of it (resume, ``report``)."""
    # a listed campaign named by name is the campaign of its id
    same = {
        key: record_schema.campaign_key(campaign_id=str(info.get("id") or ""))
        for key, info in listed.items()
        if key.startswith("name:") and info.get("id")
    }
    options = record_schema.RecordOptions(
        campaigns=dict(known), invalid_campaigns=dict(invalid), simulated=simulated,
        same_campaign=same, left_out_campaigns=dict(left_out_campaigns or {}),
    )  # fmt: skip
    left_out = frozenset(int(r) for r in excluded)
    checked = record_schema.validate_records(table.frame, options, table.problems, left_out)
    return RecordsLoaded(
        table, checked, path, sheet, dict(known), dict(listed), left_out,
        dict(left_out_campaigns or {}),
    )  # fmt: skip


# --- where each campaign's records go --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one campaign key's records go, or why they do not."""

    campaign_id: str = ""
    type_campaign: str = ""
    #: the campaign was created by this run (so it held no records before its first batch)
    new: bool = False
    name: str = ""
    #: why its records are not sent ("" when they are)
    refused: str = ""


def targets(
    keys: Iterable[str],
    sheet_rows: Mapping[str, tuple[int, str]],
    state: JournalState,
    listed: Mapping[str, Mapping[str, Any]],
    *,
    into_existing: bool,
    known: Mapping[str, str],
) -> dict[str, Target]:
    """Each campaign key's :class:`Target`: a campaign of the sheet this run created, one
    that existed (only with ``into_existing``, or named by its id), or why not.

    ``sheet_rows``: name key (``name:...``) -> (row, name) of the campaigns sheet's rows.
    """
    out: dict[str, Target] = {}
    for key in keys:
        kind = known.get(key, "")
        if key in sheet_rows:
            row, name = sheet_rows[key]
            done = state.outcomes.get(row)
            if done is not None and done.status == Status.CREATED and done.id_campaign:
                out[key] = Target(done.id_campaign, kind, True, name)
                continue
            if done is not None and done.status == Status.EXISTS and done.id_campaign:
                if into_existing:
                    out[key] = Target(done.id_campaign, kind, False, name)
                else:
                    out[key] = Target(done.id_campaign, kind, False, name, _existing(name))
                continue
            status = done.status if done is not None else Status.NOT_SENT
            text = _(
                "not sent: its campaign {name} (row {row} of the campaigns sheet) was not "
                "created in this run ({status}); send the records again once it exists"
            )
            if done is not None and done.status == Status.CREATED:
                text = _(
                    "not sent: its campaign {name} (row {row}) was created, but its id is not "
                    "known; find it in wolkvox manager and name the campaign by campaign_id"
                )
            out[key] = Target("", kind, False, name, text.format(name=name, row=row, status=status))
            continue
        info = listed.get(key)
        if info is None:
            out[key] = Target(refused=_("not sent: no such campaign in wolkvox"))
            continue
        name = key.split(":", 1)[1]
        if len(info.get("ids", [])) > 1:
            message = _(
                "not sent: several campaigns in wolkvox are named {name} (ids {ids}); name "
                "the campaign by campaign_id"
            )
            ids = ", ".join(info["ids"])
            out[key] = Target(refused=message.format(name=name, ids=ids))
        elif into_existing or key.startswith("id:"):
            out[key] = Target(str(info["id"]), kind or str(info.get("type", "")), False, name)
        else:
            out[key] = Target(str(info["id"]), kind, False, name, _existing(name))
    return out


def _existing(name: str) -> str:
    return _(
        "not sent: the campaign {name} existed before this run, and records go only into "
        "campaigns the run creates (so that a workbook run again loads nothing twice); run "
        "with --into-existing to load them into it (they are not in the retry file)"
    ).format(name=name)


# --- sending -------------------------------------------------------------------------------


def calls_needed(
    loaded: RecordsLoaded, state: JournalState | None, batch_size: int, start: bool,
    *, untyped_start: bool = False,
) -> int:  # fmt: skip
    """The calls the records still need (all of them before a run, ``state`` None):
    their batches, and the starts asked for. ``untyped_start``: count a start for a
    campaign whose type is not known (checked without the campaign list: only the list
    tells whether a campaign named by id is predictive), for an estimate at most."""
    sent = last_calls(state) if state is not None else {}
    waiting: dict[str, int] = {}
    items = loaded.checked.records
    for campaign, positions in items.by_campaign().items():
        rows = [items[i].row for i in positions]
        left = sum(1 for r in rows if _sendable(sent.get(r)))
        if left:
            waiting[campaign] = left
    batches, starts = calls_for(
        waiting, loaded.known, batch_size, start, untyped_start=untyped_start
    )
    return batches + starts


def calls_for(
    waiting: Mapping[str, int], known: Mapping[str, str], batch_size: int, start: bool,
    *, untyped_start: bool = False,
) -> tuple[int, int]:  # fmt: skip
    """The batches and the starts of records waiting to be loaded (campaign key -> how
    many), their campaigns' types in ``known``; ``untyped_start`` as for
    :func:`calls_needed`."""
    batches = sum(math.ceil(n / batch_size) for n in waiting.values())
    dialled = ("predictive", "") if untyped_start else ("predictive",)
    starts = sum(1 for c in waiting if start and known.get(c, "") in dialled)
    return batches, starts


def last_calls(state: JournalState) -> dict[int, CallRecord]:
    """Each record's row -> the last batch it was in."""
    found: dict[int, CallRecord] = {}
    for call in state.calls.values():
        if call.call == ADD_RECORD:
            for row in call.rows:
                found[row] = call
    return found


def _sendable(call: CallRecord | None) -> bool:
    """A record never in a batch, or whose last batch provably added nothing."""
    return call is None or call.status == RecordStatus.NOT_SENT


def _unclear(call: CallRecord) -> bool:
    return call.status in ("", RecordStatus.UNKNOWN)


@dataclass
class Launcher:
    """Sends the records' batches and the starts of one run, and settles their unclear
    answers from the campaign list."""

    sender: Sender
    client: WolkvoxClient
    journal: Journal
    clock: Clock
    stop: StopFlag
    policy: Policy
    batch_size: int
    start: bool
    say: Callable[[str], None] = lambda text: None
    #: when the campaign list was last read (clock seconds), for the 5-minute rule
    last_read: float | None = None
    #: told a batch's number and campaign as it leaves, and its number and outcome
    #: (a progress display; see :class:`importer.job.Progress`)
    on_batch: Callable[[int, str], None] = lambda number, campaign: None
    batch_done: Callable[[int, str], None] = lambda number, status: None
    #: campaigns whose count before their first batch could not be had
    _uncounted: set[str] = field(default_factory=set)

    def run(self, loaded: RecordsLoaded, plan: Mapping[str, Target], *, resuming: bool) -> Ended:
        """Settle what an earlier run left unclear (a resume), send every batch left and
        the starts, settle again; return how sending ended."""
        state = self.journal.state
        if resuming and self._unsettled():
            self.settle(plan, resending=True)
        for key, target in plan.items():
            if target.refused and state.skipped.get(key) != target.refused:
                self.journal.skip(key, target.refused)
        ended = self._send(loaded, plan)
        if ended != Ended.INTERRUPTED and self._unsettled():
            self.settle(plan, resending=False)
            if self.stop:
                # Ctrl-C while waiting to check: the batches stay unclear for --resume.
                self.journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
                return Ended.INTERRUPTED
        return ended

    def _send(self, loaded: RecordsLoaded, plan: Mapping[str, Target]) -> Ended:
        items = loaded.checked.records
        state = self.journal.state
        number = max((c.batch for c in state.calls.values()), default=0)
        for campaign, positions in items.by_campaign().items():
            target = plan.get(campaign)
            if target is None or target.refused:
                continue
            if self._blocked(campaign):
                continue
            sent = last_calls(state)
            left = [items[i] for i in positions if _sendable(sent.get(items[i].row))]
            for start in range(0, len(left), self.batch_size):
                if self.stop:
                    self.journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
                    return Ended.INTERRUPTED
                if campaign not in state.counts and campaign not in self._uncounted:
                    self._count(campaign, target, loaded)
                number += 1
                batch = left[start : start + self.batch_size]
                ended = self._batch(campaign, target, batch, number)
                if ended is not None:
                    return ended
                if self._blocked(campaign):
                    # An unclear batch: no more for this campaign in this run.
                    if start + self.batch_size < len(left):
                        message = _(
                            "not sent: batch {batch} of this campaign had an unclear answer, "
                            "so no more of its records were sent in this run; send them again "
                            "once its outcome is known (see that batch's message)"
                        )
                        self.journal.skip(campaign, message.format(batch=number))
                    break
            ended = self._maybe_start(campaign, target, loaded)
            if ended is not None:
                return ended
        return Ended.DONE

    def _count(self, campaign: str, target: Target, loaded: RecordsLoaded) -> None:
        """The campaign's records before its first batch: none for a campaign this run
        created; else its count in the list read before anything was sent."""
        if target.new:
            self.journal.count(campaign, target.campaign_id, 0, "created")
            return
        info = loaded.listed.get(campaign) or {}
        count = info.get("records")
        if count is None:
            count = self._listed_count(target.campaign_id)
        if count is not None:
            self.journal.count(campaign, target.campaign_id, int(count), "list")
        else:
            # Sent all the same (an unclear batch of it then stays unknown); the list is
            # not read again for each of its batches.
            self._uncounted.add(campaign)

    def _listed_count(self, campaign_id: str) -> int | None:
        listing = self._read_list()
        if listing is None:
            return None
        entry = listing.get(campaign_id) or {}
        return _count(entry.get("records"))

    def _batch(
        self, campaign: str, target: Target, batch: Sequence[records.Record], number: int
    ) -> Ended | None:
        body = records.batch_json(batch)
        rows = [r.row for r in batch]
        key = f"b{number}"

        def request() -> Answer:
            return self.client.add_record(
                target.type_campaign, target.campaign_id, body, campaign_status="stop"
            )

        self.on_batch(number, target.name or target.campaign_id)
        answer = self.sender.launch_call(
            key, ADD_RECORD, campaign, target.campaign_id, request, rows=rows, batch=number
        )
        ended = self._answered(key, answer, RecordStatus.ADDED)
        call = self.journal.state.calls.get(key)
        self.batch_done(number, str(call.status) if call is not None else "")
        return ended

    def _answered(self, key: str, answer: Answer, done: str) -> Ended | None:
        """Journal a launch call's answer; the stop reason when the run must stop."""
        if answer.kind in (Kind.STOP, Kind.RETRY):
            self.journal.answer(key, RecordStatus.NOT_SENT, _("not sent: {why}").format(
                why=answer.message))  # fmt: skip
            message = _("not sent: the run stopped ({why})").format(why=answer.message)
            self.journal.stop(answer.reason, message)
            return Ended(answer.reason)
        status = {Kind.CREATED: done, Kind.FAILED: RecordStatus.FAILED}.get(
            answer.kind, RecordStatus.UNKNOWN
        )
        self.journal.answer(key, status, answer.message)
        counted = Status.FAILED if status == RecordStatus.FAILED else str(status)
        return self.sender.counted(counted)

    def _blocked(self, campaign: str) -> bool:
        """A campaign with an unclear batch gets no more batches (nor a start) this run."""
        return any(
            c.campaign == campaign and c.call == ADD_RECORD and _unclear(c)
            for c in self.journal.state.calls.values()
        )

    def _maybe_start(self, campaign: str, target: Target, loaded: RecordsLoaded) -> Ended | None:
        """Start a predictive campaign once all its valid records are in (``--start``)."""
        if not self.start or target.type_campaign != "predictive":
            return None
        state = self.journal.state
        started = state.calls.get(f"s:{campaign}")
        if started is not None and started.status != RecordStatus.NOT_SENT:
            return None
        items = loaded.checked.records
        positions = items.by_campaign().get(campaign, [])
        sent = last_calls(state)
        if not positions or any(
            (c := sent.get(items[i].row)) is None or c.status != RecordStatus.ADDED
            for i in positions
        ):
            return None
        if self.stop:
            self.journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
            return Ended.INTERRUPTED
        key = f"s:{campaign}"
        answer = self.sender.launch_call(
            key, START, campaign, target.campaign_id,
            lambda: self.client.start(target.type_campaign, target.campaign_id),
        )  # fmt: skip
        return self._answered(key, answer, "started")

    # --- settling -------------------------------------------------------------------------

    def _unsettled(self) -> list[CallRecord]:
        return [c for c in self.journal.state.calls.values() if _unclear(c)]

    def _read_list(self, not_before: float = 0.0) -> dict[str, Mapping[str, Any]] | None:
        """The campaign list by id, read no sooner than ``not_before`` nor than
        ``list_interval`` after the last read (the docs ask for information calls at most
        every 5 minutes); None when it cannot be read (or the run was interrupted)."""
        wait = not_before
        if self.last_read is not None:
            wait = max(wait, self.last_read + self.policy.list_interval)
        pause = wait - self.clock.now()
        if pause > 0:
            text = _(
                "waiting {seconds} s before reading the campaign list (wolkvox asks for it "
                "at most every {interval} s, and the server may still be working)"
            )
            self.say(text.format(seconds=f"{pause:.0f}",
                                 interval=f"{self.policy.list_interval:g}"))  # fmt: skip
            if not self.clock.wait(pause, self.stop):
                return None
        try:
            # A busy token or maintenance is waited out as for a send (--retry-for).
            listed = read_list(self.client, self.clock, self.policy, self.stop)
        except ApiStopped:
            return None
        finally:
            self.last_read = self.clock.now()
        out: dict[str, Mapping[str, Any]] = {}
        for entry in listed:
            ident = str(entry.get("campaign_id") or entry.get("id_campaign") or "")
            if ident:
                out[ident] = entry
        return out

    def settle(self, plan: Mapping[str, Target], *, resending: bool) -> None:
        """Settle the unclear batches and starts from one read of the campaign list."""
        unclear = self._unsettled()
        after = max(c.at for c in unclear) + self.policy.reconcile_after
        listing = None if self.stop else self._read_list(after)
        if listing is None and self.stop:
            return  # interrupted: the calls stay unclear, for --resume to settle
        state = self.journal.state
        for call in unclear:
            if listing is None:
                message = _(
                    "sent, but the answer was unclear and the campaign list could not be "
                    "read to check it; look at the campaign in wolkvox manager before "
                    "sending these records again"
                )
                self.journal.answer(call.key, RecordStatus.UNKNOWN, message)
                continue
            entry = listing.get(call.campaign_id) or {}
            if call.call == START:
                self._settle_start(call, entry, resending=resending)
                continue
            before = state.counts.get(call.campaign)
            count = _count(entry.get("records"))
            added = sum(
                len(c.rows) for c in state.calls.values()
                if c.campaign == call.campaign and c.call == ADD_RECORD
                and c.status == RecordStatus.ADDED
            )  # fmt: skip
            if before is None or count is None:
                message = _(
                    "sent, but the answer was unclear and the campaign's record count cannot "
                    "be compared; look at the campaign in wolkvox manager before sending "
                    "these records again"
                )
                self.journal.answer(call.key, RecordStatus.UNKNOWN, message)
            elif count == before + added + len(call.rows):
                message = _(
                    "added: confirmed by the campaign's record count ({count}) after an "
                    "unclear answer"
                )
                self.journal.answer(call.key, RecordStatus.ADDED, message.format(count=count))
            elif count == before + added:
                if resending:
                    message = _(
                        "not sent: the batch never reached wolkvox (the campaign's record "
                        "count did not change); sent again now"
                    )
                else:
                    message = _(
                        "not added: the answer was unclear and the campaign's record count "
                        "did not change; safe to send again"
                    )
                self.journal.answer(call.key, RecordStatus.NOT_SENT, message)
            else:
                message = _(
                    "sent, but the answer was unclear and the campaign holds {count} records "
                    "where {expected} (not added) or {grown} (added) were expected: someone "
                    "else changed it. Look at the campaign in wolkvox manager before sending "
                    "these records again"
                )
                shown = message.format(
                    count=count, expected=before + added, grown=before + added + len(call.rows)
                )
                self.journal.answer(call.key, RecordStatus.UNKNOWN, shown)

    def _settle_start(self, call: CallRecord, entry: Mapping[str, Any], *, resending: bool) -> None:
        status = str(entry.get("status") or "").strip().casefold()
        if status == "started":
            message = _("started: confirmed by the campaign list after an unclear answer")
            self.journal.answer(call.key, "started", message)
        elif status == "stopped":
            if resending:
                message = _("not started: the campaign list shows it stopped; started now")
            else:
                message = _(
                    "not started: the answer was unclear and the campaign list shows it "
                    "stopped; start it in wolkvox manager, or run again with --start"
                )
            self.journal.answer(call.key, RecordStatus.NOT_SENT, message)
        else:
            message = _(
                "the start's answer was unclear and the campaign list does not tell; look "
                "at the campaign in wolkvox manager"
            )
            self.journal.answer(call.key, RecordStatus.UNKNOWN, message)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome."""

    row: int
    status: str
    campaign_id: str
    message: str
    #: the batch it was last sent in (None: never sent)
    batch: int | None = None
    #: its campaign's key, for counting per campaign
    campaign: str = ""
    original: int | None = None
    #: whether the records retry file carries it (not those kept out of a campaign that
    #: existed before the run: a retry file runs as a records-only run, which loads into
    #: existing campaigns, so a workbook run twice would load them twice)
    retry: bool = True

    @property
    def shown_row(self) -> int:
        """The row number the person knows: the first sheet's."""
        return self.original if self.original is not None else self.row


def derive(
    loaded: RecordsLoaded, state: JournalState | None, ids: Mapping[str, str], *, dry_run: bool,
    existed: Collection[str] = (),
) -> list[RecordResult]:  # fmt: skip
    """Each record's status, from its check and (for a real run) the journal's batches.

    What the journal says of a record wins over its check, as for campaigns. ``ids``:
    campaign key -> id where the campaign now exists, for records never sent (the retry
    file then names their campaign by id). ``existed``: the keys of campaigns from before
    the run that it did not load into (see :func:`kept_from_existing`): their records
    are not sent and not in the retry file.
    """
    frame = loaded.table.frame
    checked = loaded.checked
    sent = last_calls(state) if state is not None else {}
    skipped = state.skipped if state is not None else {}
    keys = _keys(frame)
    originals = _originals(frame)
    unanswered = _(
        "sent, but the run ended before the answer was recorded; run again with --resume "
        "to check it against the campaign's record count"
    )
    bodies = {r.row: r for r in checked.records} if dry_run else {}
    # campaigns an undo deleted: the records sent into them went with them
    deleted = {o.id_campaign for o in state.outcomes.values()
               if o.status == Status.DELETED} - {""} if state is not None else set()  # fmt: skip
    gone = _("its campaign was deleted by undo")
    left_out = _(RECORD_EXCLUDED_REASON)
    out = []
    for index in frame.index.tolist():
        row = int(index)
        key = keys.get(row, "")
        call = sent.get(row)
        problems = checked.invalid.get(row)
        ident = ids.get(key, "")
        if row in loaded.excluded and call is None:
            result = RecordResult(row, RecordStatus.EXCLUDED, ident, left_out, None, key)
        elif call is not None and call.status != RecordStatus.NOT_SENT:
            status = call.status or RecordStatus.UNKNOWN
            message = call.message if call.status else unanswered
            if call.campaign_id in deleted and status != RecordStatus.FAILED:
                status, message = RecordStatus.DELETED, gone
            result = RecordResult(row, status, call.campaign_id, message, call.batch, key)
        elif problems:
            message = "; ".join(f"{p.column}: {p.message}" for p in problems)
            result = RecordResult(row, RecordStatus.INVALID, ident, message, None, key)
        elif dry_run:
            body = records.batch_json([bodies[row]]) if row in bodies else ""
            result = RecordResult(row, RecordStatus.VALID, ident, body, None, key)
        else:
            message = (
                (call.message if call is not None else "")
                or skipped.get(key)
                or (state.stop_message if state is not None else "")
                or _("not sent")
            )
            batch = call.batch if call is not None else None
            result = RecordResult(row, RecordStatus.NOT_SENT, ident, message, batch, key,
                                  retry=key not in existed)  # fmt: skip
        out.append(_with_original(result, originals.get(row)))
    return out


def _with_original(result: RecordResult, original: int | None) -> RecordResult:
    if original is None:
        return result
    return RecordResult(result.row, result.status, result.campaign_id, result.message,
                        result.batch, result.campaign, original)  # fmt: skip


def _keys(frame: pd.DataFrame) -> dict[int, str]:
    empty = [""] * len(frame)
    ids = frame["campaign_id"].tolist() if "campaign_id" in frame.columns else empty
    names = frame["campaign_name"].tolist() if "campaign_name" in frame.columns else empty
    keys: dict[tuple[str, str], str] = {}  # a few campaigns, many records: each key once
    out = {}
    for index, ident, name in zip(frame.index.tolist(), ids, names, strict=True):
        pair = (str(name), str(ident))
        if pair not in keys:
            keys[pair] = record_schema.campaign_key(name=pair[0], campaign_id=pair[1])
        out[int(index)] = keys[pair]
    return out


def _originals(frame: pd.DataFrame) -> dict[int, int]:
    if "original_row" not in frame.columns:
        return {}
    out = {}
    for row, value in zip(frame.index.tolist(), frame["original_row"].tolist(), strict=True):
        text = str(value).strip()
        if text.isdigit():
            out[int(row)] = int(text)
    return out


def campaign_ids(
    sheet_rows: Mapping[str, tuple[int, str]], state: JournalState | None,
    listed: Mapping[str, Mapping[str, Any]],
) -> dict[str, str]:  # fmt: skip
    """campaign key -> its id where the campaign now exists (created, or listed).

    A campaign that existed before a run that did not load into existing campaigns is
    left out: the retry file names a record's campaign by this id, and a campaign named
    by id counts as asked for, so a workbook run twice would have its records loaded
    twice through the second run's retry file."""
    options = (state.records.get("options") or {}) if state is not None and state.records else {}
    ids = {}
    if options.get("into_existing"):
        ids = {k: str(v.get("id", "")) for k, v in listed.items() if len(v.get("ids", [])) <= 1}
    if state is not None:
        for key, (row, _name) in sheet_rows.items():
            done = state.outcomes.get(row)
            # a row found in wolkvox already (exists) is a campaign from before the run
            mine = (Status.CREATED, Status.EXISTS) if options.get("into_existing") else (
                Status.CREATED,
            )  # fmt: skip
            if done is not None and done.id_campaign and done.status in mine:
                ids[key] = done.id_campaign
    return {k: v for k, v in ids.items() if v}


def kept_from_existing(
    sheet_rows: Mapping[str, tuple[int, str]], state: JournalState | None,
    listed: Mapping[str, Mapping[str, Any]],
) -> set[str]:  # fmt: skip
    """The keys of the campaigns that existed before the run and that it did not load
    into (no ``--into-existing``): listed before sending, or a sheet row found in
    wolkvox already. A campaign named by id counts as asked for, so it is not one."""
    if state is None or not state.records:
        return set()
    if (state.records.get("options") or {}).get("into_existing"):
        return set()
    found = {k for k in listed if not k.startswith("id:")}
    for key, (row, _name) in sheet_rows.items():
        done = state.outcomes.get(row)
        if done is not None and done.status == Status.EXISTS:
            found.add(key)
    return found


def sheet_rows(frame: pd.DataFrame, left_out: Collection[int] = ()) -> dict[str, tuple[int, str]]:
    """name key -> (row, name) of the campaigns sheet's rows (the first row of a name not
    ``left_out``: a name left out on one row may be sent from another)."""
    out: dict[str, tuple[int, str]] = {}
    if "campaign_name" not in frame.columns:
        return out
    for row, name in zip(frame.index.tolist(), frame["campaign_name"].tolist(), strict=True):
        key = record_schema.campaign_key(name=str(name))
        if key and key not in out and row not in left_out:
            out[key] = (int(row), str(name).strip())
    return out


def started(state: JournalState | None) -> dict[str, str]:
    """campaign key -> what its start came to (``started``, ``failed``, ...)."""
    if state is None:
        return {}
    return {
        c.campaign: (c.status or RecordStatus.UNKNOWN)
        for c in state.calls.values()
        if c.call == START
    }


__all__ = [
    "DEFAULT_BATCH",
    "MAX_BATCH",
    "Launcher",
    "RecordResult",
    "RecordsLoaded",
    "Target",
    "calls_needed",
    "campaign_ids",
    "check",
    "checked_with",
    "derive",
    "sheet_rows",
    "started",
    "targets",
]  # fmt: skip
