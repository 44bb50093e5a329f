"""Undo a finished import: delete exactly the campaigns its run created.

Which campaigns are the run's is the journal's to say, never a name's: a row the journal
records as ``created``, with its campaign id. Rows that were ``exists`` (there before the
run) are never touched, nor is any campaign that shares an id with one of them.

Before anything is deleted the campaign list is read once: a campaign it shows as started,
or as used since the run ended (``last_use``), is left alone unless the person says so
(``include_started``), and one it no longer shows is already gone. The person confirms the
list (:class:`Plan`) by typing how many campaigns will go.

Deleting is one request at a time under the token lock, journaled in the run's own journal
(new kinds of line: ``undo``, ``delete_attempt`` before each request, forced to disk,
``delete_outcome`` after its answer, ``undo_finish`` at the end; see
:mod:`importer.send.journal`). A crash between a request and its answer leaves a delete without
an outcome: the next undo settles it from the campaign list (gone: deleted; still there:
safe to try again), so no campaign is deleted twice or forgotten. An unclear answer is
settled the same way once the server's time for the call has passed.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests

from importer.errors import ApiStopped, ImporterError, UsageError
from importer.i18n import _, ngettext
from importer.send.answers import (
    ADD_RECORD,
    Kind,
    classify,
    classify_exception,
    read_json,
    server_message,
    with_status,
)
from importer.send.client import WolkvoxClient
from importer.send.journal import Journal, JournalState, read
from importer.send.lock import TokenLock
from importer.send.policy import DEFAULT_TIMEOUT, Policy, check_policy
from importer.send.sender import Clock, StopFlag
from importer.status import Ended, RecordStatus, Status

#: The ``last_use`` spellings understood; the contract does not say which one wolkvox uses.
LAST_USE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d%H%M%S", "%d/%m/%Y %H:%M:%S")
#: ``last_use`` values that mean "never used".
_NEVER_USED = frozenset({"", "0", "null", "none", "0000-00-00 00:00:00", "0000-00-00"})
_DELETED_COUNT = re.compile(r"(\d+)\s+campaigns?\s+deleted", re.IGNORECASE)


class Left(StrEnum):
    """Why a campaign of the run is left alone."""

    STARTED = "started"  #: the list shows it dialling
    USED = "used"  #: the list shows use after the run ended
    NO_ID = "no_id"  #: the journal holds no id for it: it could be found by name only
    SHARED = "shared"  #: an ``exists`` row holds the same id: it was there before the run


@dataclass(frozen=True)
class Target:
    """One campaign the run created: its row, name and id."""

    row: int
    name: str
    id_campaign: str


@dataclass
class Plan:
    """What an undo will do, as shown before the person confirms."""

    out: Path
    journal: Path
    base_url: str
    delete: list[Target] = field(default_factory=list)
    #: left alone, with the reason in words
    left: list[tuple[Target, str]] = field(default_factory=list)
    #: no longer in the campaign list: recorded as deleted without a request
    gone: list[Target] = field(default_factory=list)
    #: rows an earlier undo deleted
    done_before: int = 0
    #: rows that were ``exists``: never touched
    existing: int = 0
    #: campaign id -> (records its batches added, records of batches left unclear), from
    #: the journal's ``add_record`` calls: they go with the campaign
    records: dict[str, tuple[int, int]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The listing, in the person's language."""
        out: list[str] = []
        if self.delete:
            text = ngettext(
                "{n} campaign that this run created will be deleted from {server}:",
                "{n} campaigns that this run created will be deleted from {server}:",
                len(self.delete),
            )
            out.append(text.format(n=len(self.delete), server=self.base_url))
            out += [_target_line(t) + self.records_note(t) for t in self.delete]
        if self.left:
            text = ngettext(
                "{n} campaign of this run is left alone:",
                "{n} campaigns of this run are left alone:",
                len(self.left),
            )
            out.append(text.format(n=len(self.left)))
            out += [f"{_target_line(t)}: {why}" for t, why in self.left]
        if self.gone:
            text = ngettext(
                "{n} campaign of this run is no longer in wolkvox (nothing to delete):",
                "{n} campaigns of this run are no longer in wolkvox (nothing to delete):",
                len(self.gone),
            )
            out.append(text.format(n=len(self.gone)))
            out += [_target_line(t) for t in self.gone]
        if self.existing:
            text = ngettext(
                "{n} row was already in wolkvox before the run (exists): it is not touched.",
                "{n} rows were already in wolkvox before the run (exists): they are not touched.",
                self.existing,
            )
            out.append(text.format(n=self.existing))
        return out

    def records_note(self, target: Target) -> str:
        """ ", with the N records loaded into it" for a campaign the launch loaded."""
        added, unclear = self.records.get(target.id_campaign, (0, 0))
        if not added and not unclear:
            return ""
        text = ngettext(
            "{n} record loaded into it goes with it",
            "{n} records loaded into it go with it",
            added,
        ).format(n=added)
        if unclear:
            more = ngettext(
                "{n} more of a batch left unclear",
                "{n} more of batches left unclear",
                unclear,
            )
            text += " (" + more.format(n=unclear) + ")"
        return ", " + text


def records_loaded(state: JournalState) -> dict[str, tuple[int, int]]:
    """Campaign id -> (records added, records of unclear batches), from the journal."""
    found: dict[str, tuple[int, int]] = {}
    for call in state.calls.values():
        if call.call != ADD_RECORD or not call.campaign_id:
            continue
        added, unclear = found.get(call.campaign_id, (0, 0))
        if call.status == RecordStatus.ADDED:
            added += len(call.rows)
        elif call.status in ("", RecordStatus.UNKNOWN):
            unclear += len(call.rows)
        found[call.campaign_id] = (added, unclear)
    return found


def _target_line(target: Target) -> str:
    ident = target.id_campaign or _("no id")
    return "  " + _("row {row}: {name} (id {id})").format(
        row=target.row, name=target.name, id=ident
    )


@dataclass
class Undone:
    """What an undo did."""

    plan: Plan | None
    deleted: list[Target] = field(default_factory=list)
    #: not deleted, with why (refused, or unclear and not settled)
    failed: list[tuple[Target, str]] = field(default_factory=list)
    #: ``done``, or why the undo stopped early (see :class:`~importer.status.Ended`)
    ended: str = Ended.DONE
    message: str = ""
    #: what the person is told when there was nothing to do, or nothing was confirmed
    nothing: str = ""
    cancelled: bool = False
    dry_run: bool = False
    results_note: str = ""
    #: the run's results as written again after the undo (None if they could not be)
    report: Any = None


@dataclass(frozen=True)
class _Said:
    """What one delete came to."""

    kind: str  #: a Status: deleted, failed, unknown; or "stop"
    message: str
    reason: str = ""
    #: True when the server may still be working on it (wait before reading the list)
    may_be_working: bool = False


def _checked_journal(target: Path) -> tuple[Path, Path, JournalState]:
    from importer.job import run_files

    out, path = run_files(target)
    if not path.exists():
        message = _(
            "there is no journal at {path}: give the results workbook (or the journal) of "
            "the run to undo."
        )
        raise UsageError(message.format(path=path))
    state = read(path)
    if not state.header:
        raise UsageError(_("the journal {path} records no run: nothing to undo.").format(path=path))
    if not state.finished:
        message = _(
            "the run of {out} is unfinished, so it cannot be undone yet: finish it first (the "
            "same run command with --resume, or Resume or Close on the page), then undo it."
        )
        raise UsageError(message.format(out=out))
    return out, path, state


def _targets(state: JournalState) -> tuple[list[Target], int, set[str]]:
    """The rows the run created (still to delete), how many an undo deleted, and the
    ids ``exists`` rows hold."""
    created = [
        Target(row, "", o.id_campaign)
        for row, o in sorted(state.outcomes.items())
        if o.status == Status.CREATED
    ]
    done = sum(1 for o in state.outcomes.values() if o.status == Status.DELETED)
    existing = {o.id_campaign for o in state.outcomes.values() if o.status == Status.EXISTS}
    return created, done, existing - {""}


def _read_names(path: Path) -> dict[int, str]:
    """Row -> campaign name, from the run's attempt lines (they carry the name)."""
    import json

    names: dict[int, str] = {}
    for line in path.read_bytes().split(b"\n"):
        try:
            event = json.loads(line.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "attempt" and event.get("name"):
            names[int(event["row"])] = str(event["name"])
    return names


def _last_use(value: Any) -> float | None:
    """``last_use`` as epoch seconds; None for never used; -1.0 when it cannot be read
    (then taken as used: better left alone than deleted on a guess)."""
    text = str(value or "").strip()
    if text.lower() in _NEVER_USED:
        return None
    for form in LAST_USE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).timestamp()  # the machine's local time
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return -1.0


def _why_left(item: Mapping[str, Any], finished_at: float) -> tuple[Left, str] | None:
    status = str(item.get("status") or "")
    if status.strip().lower() == "started":
        text = _("started in wolkvox (status {status}); --include-started deletes it too")
        return Left.STARTED, text.format(status=status)
    used = _last_use(item.get("last_use"))
    if used is not None and (used < 0 or used > finished_at):
        text = _("used since the run (last use {when}); --include-started deletes it too")
        return Left.USED, text.format(when=item.get("last_use"))
    return None


def make_plan(
    out: Path,
    path: Path,
    state: JournalState,
    listed: list[dict[str, Any]],
    *,
    include_started: bool,
) -> Plan:
    """What to delete, from the journal's rows and the campaign list read now."""
    base_url = str((state.header.get("options") or {}).get("base_url") or "")
    plan = Plan(out, path, base_url)
    created, plan.done_before, existing_ids = _targets(state)
    names = _read_names(path)
    plan.existing = sum(1 for o in state.outcomes.values() if o.status == Status.EXISTS)
    plan.records = records_loaded(state)
    by_id = {str(c.get("campaign_id") or c.get("id_campaign") or ""): c for c in listed}
    for target in created:
        target = Target(target.row, names.get(target.row, target.name), target.id_campaign)
        if not target.id_campaign:
            why = _(
                "no campaign id was recorded for it, and a campaign is never deleted by its "
                "name; delete it in wolkvox manager if it must go"
            )
            plan.left.append((target, why))
        elif target.id_campaign in existing_ids:
            why = _("a row that already existed before the run has the same id; not touched")
            plan.left.append((target, why))
        elif target.id_campaign not in by_id:
            plan.gone.append(target)
        elif not include_started and (left := _why_left(by_id[target.id_campaign],
                                                         state.finished_at)):  # fmt: skip
            plan.left.append((target, left[1]))
        else:
            plan.delete.append(target)
    return plan


def undo(
    target: Path,
    *,
    token: str | None,
    confirm: Callable[[Plan], bool],
    say: Callable[[str], None] = lambda text: None,
    include_started: bool = False,
    dry_run: bool = False,
    policy: Policy | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
    clock: Clock | None = None,
    stop: StopFlag | None = None,
    on_outcome: Callable[[Target, str], None] = lambda target, status: None,
) -> Undone:
    """Delete the campaigns the run of ``target`` (its results workbook or journal)
    created; see the module's text. ``confirm`` is shown the plan and says yes or no;
    with ``dry_run`` the plan is only shown. The results workbook is written again.
    ``on_outcome`` is told each campaign's outcome as it is journaled (a progress display)."""
    policy = policy or Policy()
    clock = clock or Clock(time.time, time.sleep)
    stop = stop if stop is not None else StopFlag()
    out, path, state = _checked_journal(target)
    if (state.header.get("options") or {}).get("simulated"):
        # Its sandbox ended with the command that ran it: what it created is gone, and
        # there is no token to ask for.
        text = _(
            "this run was a simulation (--simulate): nothing was created in wolkvox, so there "
            "is nothing to undo."
        )
        return Undone(None, nothing=text, dry_run=dry_run)
    created, done, _ids = _targets(state)
    if not created:
        if done:
            text = ngettext(
                "nothing to undo: the {n} campaign this run created was already deleted by an "
                "earlier undo; nothing was deleted now.",
                "nothing to undo: the {n} campaigns this run created were already deleted by "
                "an earlier undo; nothing was deleted now.",
                done,
            )
            return Undone(None, nothing=text.format(n=done), dry_run=dry_run)
        return Undone(None, nothing=_("nothing to undo: this run created no campaign."),
                      dry_run=dry_run)  # fmt: skip
    if not token:
        raise UsageError(_("no token: set WOLKVOX_TOKEN or pass --token-file PATH."))
    base_url = str((state.header.get("options") or {}).get("base_url") or "")
    if not base_url:
        raise UsageError(
            _("the journal {path} names no server: nothing to undo.").format(path=path)
        )
    check_policy(base_url, timeout, policy)
    with TokenLock(token):
        client = WolkvoxClient(base_url, token, session=session, timeout=timeout)
        try:
            return _Undo(client, clock, stop, policy, say, on_outcome).run(
                out, path, state, confirm, include_started=include_started, dry_run=dry_run
            )
        finally:
            client.session.close()


@dataclass
class _Undo:
    client: WolkvoxClient
    clock: Clock
    stop: StopFlag
    policy: Policy
    say: Callable[[str], None]
    on_outcome: Callable[[Target, str], None] = lambda target, status: None

    def _listed(self, state: JournalState) -> list[dict[str, Any]]:
        """The campaign list, once the server's time for an unclear delete has passed."""
        if state.deleting:
            wait = max(state.deleting_at.values()) + self.policy.reconcile_after - self.clock.now()
            if wait > 0:
                text = _(
                    "waiting {seconds} s before checking {n} unclear delete(s) against the "
                    "campaign list (the server may still be working on them)"
                )
                self.say(text.format(seconds=f"{wait:.0f}", n=len(state.deleting)))
                if not self.clock.wait(wait, self.stop):
                    raise KeyboardInterrupt
        try:
            return self.client.list_campaigns()
        except ApiStopped as exc:
            raise ApiStopped(_("{why} Nothing was deleted.").format(why=exc)) from None

    def run(
        self, out: Path, path: Path, state: JournalState, confirm: Callable[[Plan], bool],
        *, include_started: bool, dry_run: bool,
    ) -> Undone:  # fmt: skip
        listed = self._listed(state)
        plan = make_plan(out, path, state, listed, include_started=include_started)
        unclear = dict(state.deleting)  # settled by the list just read
        if dry_run:
            return Undone(plan, dry_run=True)
        if not plan.delete and not plan.gone:
            return Undone(plan, nothing=_("nothing is deleted."))
        if plan.delete and not confirm(plan):
            return Undone(plan, cancelled=True, nothing=_("not confirmed: nothing was deleted."))
        journal = Journal.extend(
            path, {"event": "undo", "include_started": include_started}, now=self.clock.now
        )
        try:
            result = Undone(plan)
            # What the journal says now, under its lock: another undo may have run since
            # the plan was made (with another token); never delete a row twice.
            fresh = journal.state
            still = {r for r, o in fresh.outcomes.items() if o.status == Status.CREATED}
            plan.delete = [t for t in plan.delete if t.row in still]
            plan.gone = [t for t in plan.gone if t.row in still]
            left = {t.row for t, _why in plan.left}
            for row in sorted(set(unclear) & left & set(fresh.deleting)):
                # an unclear delete of a campaign the list still shows: it was not deleted
                target = next(t for t, _why in plan.left if t.row == row)
                message = _(
                    "not deleted: the answer was unclear and the campaign list still shows it; "
                    "run the same undo again to try again"
                )
                self._outcome(journal, target, Status.FAILED, message)
            for target in plan.gone:
                if target.row in unclear:
                    message = _("deleted: confirmed by the campaign list after an unclear answer")
                else:
                    message = _("deleted: no longer in wolkvox when the undo began")
                self._outcome(journal, target, Status.DELETED, message)
                result.deleted.append(target)
            self._delete_all(journal, plan.delete, result)
            if result.ended == Ended.DONE:
                journal.append({"event": "undo_finish"}, durable=True)
        finally:
            journal.close()
        result.report, result.results_note = _rewrite(out)
        return result

    def _delete_all(self, journal: Journal, targets: list[Target], result: Undone) -> None:
        unclear: list[Target] = []
        waiting = False
        for target in targets:
            if self.stop:
                result.ended = Ended.INTERRUPTED
                result.message = _("the undo was interrupted; run the same undo again to finish")
                break
            journal.append(
                {"event": "delete_attempt", "row": target.row, "id": target.id_campaign,
                 "name": target.name},
                durable=True,
            )  # fmt: skip
            said = self._said(self.client.delete_campaign(target.id_campaign))
            if said.kind == "stop":
                message = _("not deleted: {why}").format(why=said.message)
                self._outcome(journal, target, Status.NOT_SENT, message)
                result.failed.append((target, message))
                result.ended, result.message = said.reason or Ended.API, said.message
                break
            self._outcome(journal, target, said.kind, said.message)
            if said.kind == Status.DELETED:
                result.deleted.append(target)
            elif said.kind == Status.UNKNOWN:
                unclear.append(target)
                waiting = waiting or said.may_be_working
            else:
                result.failed.append((target, said.message))
        if unclear:
            self._settle(journal, unclear, result, wait=waiting)

    def _settle(
        self, journal: Journal, unclear: list[Target], result: Undone, *, wait: bool
    ) -> None:
        """Settle unclear deletes from one read of the campaign list."""
        if wait:
            text = _(
                "waiting {seconds} s before checking {n} unclear delete(s) against the "
                "campaign list (the server may still be working on them)"
            )
            seconds = self.policy.reconcile_after
            self.say(text.format(seconds=f"{seconds:.0f}", n=len(unclear)))
            if not self.clock.wait(seconds, self.stop):
                result.ended = Ended.INTERRUPTED
                result.message = _("the undo was interrupted; run the same undo again to finish")
                result.failed += [(t, _("unclear: run the same undo again")) for t in unclear]
                return
        try:
            listed = self.client.list_campaigns()
        except ApiStopped as exc:
            for target in unclear:
                text = _(
                    "unclear, and the campaign list could not be read ({why}); run the same "
                    "undo again to check it"
                )
                result.failed.append((target, text.format(why=exc)))
            result.ended, result.message = Ended.LIST, str(exc)
            return
        there = {str(c.get("campaign_id") or c.get("id_campaign") or "") for c in listed}
        for target in unclear:
            if target.id_campaign in there:
                message = _(
                    "not deleted: the answer was unclear and the campaign list still shows it; "
                    "run the same undo again to try again"
                )
                self._outcome(journal, target, Status.FAILED, message)
                result.failed.append((target, message))
            else:
                message = _("deleted: confirmed by the campaign list after an unclear answer")
                self._outcome(journal, target, Status.DELETED, message)
                result.deleted.append(target)

    def _outcome(self, journal: Journal, target: Target, status: str, message: str) -> None:
        journal.append(
            {"event": "delete_outcome", "row": target.row, "id": target.id_campaign,
             "status": str(status), "message": message},
        )  # fmt: skip
        self.on_outcome(target, str(status))

    def _said(self, answer: tuple[int, str] | BaseException) -> _Said:
        """What a ``delete_campaign`` answer means for the campaign."""
        if isinstance(answer, BaseException):
            heard = classify_exception(answer, self.client.timeout, proxy=self.client.proxy)
            if heard.kind is Kind.STOP:  # provably never reached the server
                return _Said("stop", heard.message, heard.reason)
            text = _(
                "the delete was sent but its answer did not come ({said}); the campaign list "
                "will show whether the campaign is gone"
            )
            return _Said(Status.UNKNOWN, text.format(said=heard.said or heard.sentence),
                         may_be_working=True)  # fmt: skip
        status, body = answer
        words = server_message(read_json(body, lists=True), body)
        said = with_status(status, words)
        if status == 200:
            counted = _DELETED_COUNT.search(words)
            if counted and int(counted.group(1)) >= 1:
                return _Said(Status.DELETED, _("deleted (wolkvox: {said})").format(said=said))
            # "0 campaigns deleted": refused, or gone already; the list tells which.
            text = _("wolkvox deleted nothing ({said}); the campaign list will show why")
            return _Said(Status.UNKNOWN, text.format(said=said))
        heard = classify(status, body)
        if heard.kind in (Kind.STOP, Kind.RETRY):
            if heard.reason == Ended.QUOTA:
                text = _(
                    "today's quota of wolkvox API calls is used up; run the same undo again "
                    "another day (wolkvox: {said})"
                )
                return _Said("stop", text.format(said=said), Ended.QUOTA)
            if heard.kind is Kind.RETRY:
                text = _(
                    "wolkvox is busy or unavailable for now, and deleted nothing; run the same "
                    "undo again later (wolkvox: {said})"
                )
                return _Said("stop", text.format(said=said), heard.reason)
            return _Said("stop", heard.message, heard.reason)
        if heard.kind is Kind.FAILED:
            text = _("wolkvox refused to delete it (wolkvox: {said})")
            return _Said(Status.FAILED, text.format(said=said))
        text = _(
            "wolkvox's answer to the delete was unclear ({said}); the campaign list will show "
            "whether the campaign is gone"
        )
        return _Said(Status.UNKNOWN, text.format(said=said), may_be_working=status >= 500)


def _rewrite(out: Path) -> tuple[Any, str]:
    """Write the run's results again (deleted rows included): the report, or a note
    saying why they could not be written."""
    from importer.job import rebuild

    try:
        return rebuild(out), ""
    except ImporterError as exc:
        text = _(
            "the results workbook could not be written again ({why}); the journal holds "
            "everything: run wolkvox-import report {out} once that is put right"
        )
        return None, text.format(why=exc, out=out)
