"""A whole import, stage by stage: load, validate, send, record.

This is the library's front door; the command line and the web page are thin
layers over :func:`run`. Every outside thing it touches is passed in: the HTTP
session, the clock, the stop flag, the progress display and where messages go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import requests

from importer.check import schema
from importer.errors import ApiStopped, ImporterError, InputError, JournalError, UsageError
from importer.i18n import _, ngettext
from importer.read import load, record_table
from importer.record import record_results, results
from importer.record.report import Loaded, Report, finish
from importer.send import launch
from importer.send.answers import Answer
from importer.send.client import ListRefused, WolkvoxClient
from importer.send.journal import (
    Journal,
    JournalState,
    check_resumable,
    journal_path,
    read,
    results_for,
    row_hash,
)  # fmt: skip
from importer.send.lock import TokenLock
from importer.send.policy import DAILY_CALLS, DEFAULT_TIMEOUT, Policy, check_policy
from importer.send.sender import (
    Clock,
    Listing,
    Sender,
    Settled,
    StopFlag,
    index_by_name,
    read_list,
    read_skills,
    settle,
    skip_existing,
)
from importer.status import Ended, Status

#: What a resumed run must share with the run it resumes: any other value could
#: make it send different campaigns, or check unclear rows against the wrong list.
RESUME_MUST_MATCH = {
    "base_url": "--server/--base-url",
    "default_type": "--type",
    "time_format": "--time-format",
    "skills": "--skills",
}


#: Refusals of the campaign list that every call would meet, and that a setting of the run
#: causes (the token, the server's address): met before anything was sent, the run does
#: not start (:class:`NothingSent`). The day's quota and a busy server are not among them:
#: the rows then wait in the retry file for another day or hour, as the contract says.
REFUSED_AT_START = frozenset({Ended.TOKEN, Ended.API, Ended.UNREACHABLE})


class NothingSent(ApiStopped):
    """The run's first call, the campaign list, was refused the way every call would be
    (:data:`REFUSED_AT_START`): nothing was sent. A new run then writes nothing at all (no
    journal, no results, no retry file: its rows were never at stake, and a retry file of
    every row would only repeat the input); a resume leaves its journal unfinished, to be
    resumed again. ``answer`` is the refusal (its sentence, the server's words, the reason).
    """

    def __init__(self, answer: Answer, *, resume: bool) -> None:
        if resume:
            message = _(
                "{why}. Nothing was sent and the run is still unfinished: put that right, then "
                "run the same command with --resume again."
            )
        else:
            message = _(
                "{why}. Nothing was sent and no file was written: put that right, then run the "
                "same command again."
            )
        super().__init__(message.format(why=answer.message))
        self.answer = answer
        self.resume = resume


class Progress(Protocol):
    """What a run tells a progress display (a terminal bar, the web page)."""

    def sending(self, row: int, name: str) -> None:
        """``row`` is about to be sent (its attempt is on disk)."""

    def row_done(self, row: int, status: str) -> None:
        """``row`` has its outcome."""

    def close(self) -> None:
        """Sending is over."""


class _NoProgress:
    def sending(self, row: int, name: str) -> None:
        pass

    def row_done(self, row: int, status: str) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class Settings:
    """Everything a run needs to know, except the token."""

    input: Path
    out: Path | None = None
    base_url: str | None = None
    dry_run: bool = False
    resume: bool = False
    skip_existing: bool = True
    timeout: float = DEFAULT_TIMEOUT
    validation: schema.Options = field(default_factory=schema.Options)
    policy: Policy = field(default_factory=Policy)
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    #: Where ``validation.skills`` came from, kept in the journal for ``report``.
    skills_file: Path | None = None
    #: The records file (``--records``); else a records sheet of the input's workbook.
    records: Path | None = None
    #: False when the run has records only (``run --records FILE`` without an input):
    #: they then go into campaigns that exist already.
    campaigns: bool = True
    #: Records per ``add_record`` call (``--batch-size``).
    batch_size: int = launch.DEFAULT_BATCH
    #: Let records into campaigns that existed before the run (``--into-existing``).
    into_existing: bool = False
    #: Start each predictive campaign once its records are in (``--start``).
    start: bool = False

    def records_options(self) -> dict[str, Any]:
        """What the journal's ``records`` line keeps of the options (a resume must match)."""
        return {"into_existing": self.loads_into_existing, "start": self.start,
                "batch_size": self.batch_size}  # fmt: skip

    @property
    def loads_into_existing(self) -> bool:
        """Records go into existing campaigns when asked, or when there is no campaign sheet."""
        return self.into_existing or not self.campaigns

    #: Read the operation's skills from wolkvox before a run that sends (when no
    #: ``--skills`` file is given): unknown skill ids are then row problems.
    live_skills: bool = True
    #: The skills list read from wolkvox for this run, pinned in the journal.
    skills_list: dict[str, str] | None = None
    #: Rows left out by the person (the web page): never sent, ``excluded`` in the results.
    excluded: frozenset[int] = frozenset()
    #: Records left out by the person (the web page): never sent, ``excluded`` in the
    #: results' records sheet; kept in the journal's ``records`` line.
    records_excluded: frozenset[int] = frozenset()
    #: The input as the person knows it, when the run reads a copy of it (the page):
    #: the file's name and how it was read (``sheet "Campañas dic"``).
    origin: tuple[str, str] | None = None
    #: Sent to the local sandbox (``--simulate``, the page's simulation): nothing real.
    simulated: bool = False
    #: A simulation whose sandbox ends with the process (``run --simulate``): the journal
    #: says so (``simulated``), for an undo (nothing to delete) and for record checks (no
    #: campaign ids from another simulation). The page's sandbox lives on: not its runs.
    sandbox_ends: bool = False

    @property
    def results_path(self) -> Path:
        """``--out``, else ``<input>.results.xlsx``; a dry run's check is ``<input>.check.xlsx``,
        so that checking a sheet again never replaces the results of its real run."""
        if self.out is not None:
            return self.out
        kind = "check" if self.dry_run else "results"
        return self.input.with_name(f"{self.input.stem}.{kind}.xlsx")

    def record(self) -> dict[str, Any]:
        """The options a journal keeps, to rebuild the results and to check a resume."""
        skills = self.validation.skills
        return {
            "base_url": self.base_url,
            "default_type": self.validation.default_type,
            "time_format": self.validation.time_format,
            "skills": _fingerprint(skills) if skills is not None else None,
            "skills_file": str(self.skills_file) if self.skills_file else None,
            **({"skills_list": self.skills_list} if self.skills_list is not None else {}),
            "sheet": self.sheet,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "excluded": sorted(self.excluded),
            **({"simulated": True} if self.sandbox_ends else {}),
        }


def _fingerprint(skills: Mapping[str, str]) -> str:
    joined = "\n".join(sorted(skills))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def run(
    settings: Settings,
    *,
    token: str | None = None,
    session: requests.Session | None = None,
    clock: Clock | None = None,
    stop: StopFlag | None = None,
    progress: Callable[[int], Progress] | None = None,
    say: Callable[[str], None] = lambda text: None,
    known: Callable[[Mapping[int, str]], None] | None = None,
    records_progress: Callable[[int], Progress] | None = None,
) -> Report:
    """Run one import (or a dry run) and write its results; see the README for the flow.

    ``known``, when given, is called once just before the first row is sent, with the status
    each row already has in the journal (rows found to exist, rows an earlier run of a resume
    answered): with ``progress``'s count of the rows left, how far the whole run is.
    ``records_progress`` is made with the number of record batches left and told each batch
    (its number and campaign, then its outcome) as ``progress`` is told each row.
    """
    clock = clock or Clock(time.time, time.sleep)
    stop = stop if stop is not None else StopFlag()
    started = dt.datetime.now().astimezone()
    _check_out(settings)
    _check_folder(settings.results_path)
    if settings.dry_run:
        _check_not_a_run(settings)
        listing = _connected_check(settings, token, session, say) if settings.base_url else None
        loaded = _load(settings)
        if loaded.records_table is not None:
            loaded.records = dry_check_records(loaded, settings)
        derived = results.derive(
            loaded.table.frame, loaded.checked, None, dry_run=True, excluded=settings.excluded
        )
        if listing is not None:
            derived = _mark_existing(derived, listing)
        return finish(
            settings,
            loaded,
            derived,
            started,
            Ended.DONE,
            "",
            _records_results(loaded, None, dry_run=True),
        )
    token, base_url = _check_can_send(settings, token)
    with TokenLock(token):
        client = WolkvoxClient(base_url, token, session=session, timeout=settings.timeout)
        try:
            read_live_skills(settings, client, say, clock)
            if settings.resume:
                # checked with the rows the run it resumes left out, as that run was
                before = _journal_before(settings)
                if before is not None:
                    settings.excluded = settings.excluded | results.excluded_rows(before)
                loaded = _load_as_recorded(settings, before.hashes if before else None)
            else:
                loaded = _load(settings)
            importer = _Importer(settings, client, clock, stop, progress, say, known,
                                 records_progress)  # fmt: skip
            ended, message, state = importer.run(loaded)
        finally:
            client.session.close()
    derived = results.derive(loaded.table.frame, loaded.checked, state, dry_run=False)
    recorded = _records_results(loaded, state, dry_run=False)
    starts = launch.started(state) if recorded is not None else {}
    return finish(settings, loaded, derived, started, ended, message, recorded, starts)


def calls_planned(settings: Settings) -> tuple[int, int]:
    """What a run of ``settings`` would send, read and checked as a dry run does: its
    rows to send, and the calls of its records (their batches and the starts asked for).
    Rows or records found in wolkvox already may make the run send fewer."""
    loaded = _load(settings)
    rows = sum(1 for c in loaded.checked.campaigns if c.row not in settings.excluded)
    if loaded.records_table is None:
        return rows, 0
    records = dry_check_records(loaded, settings)
    return rows, launch.calls_needed(
        records, None, settings.batch_size, settings.start, untyped_start=True
    )


def dry_check_records(loaded: Loaded, settings: Settings) -> launch.RecordsLoaded:
    """The records checked as a dry run checks them (no campaign list): what the page's
    review shows, and what its read-back check compares with."""
    return _check_records(
        loaded, None, sheet_given=settings.campaigns, excluded=settings.records_excluded,
        campaigns_left_out=settings.excluded,
    )  # fmt: skip


def _check_records(
    loaded: Loaded, listed: Mapping[str, Mapping[str, Any]] | None, *, sheet_given: bool,
    simulated: bool = False, excluded: frozenset[int] = frozenset(),
    campaigns_left_out: frozenset[int] = frozenset(),
) -> launch.RecordsLoaded:  # fmt: skip
    """Check the records against the campaigns sheet and (``listed``) the campaign list;
    ``excluded``: the records left out (never sent); ``campaigns_left_out``: the campaigns
    sheet's rows left out (not created, so no record goes into them)."""
    table = loaded.records_table
    assert table is not None and loaded.records_path is not None
    campaigns, invalid, left_out = launch.campaigns_in_sheet(
        loaded.table.frame, loaded.checked, campaigns_left_out
    )
    return launch.check(
        table, loaded.records_path, loaded.records_sheet, campaigns, invalid, listed,
        sheet_given=sheet_given, simulated=simulated, excluded=excluded,
        left_out_campaigns=left_out,
    )  # fmt: skip


def _records_results(
    loaded: Loaded, state: JournalState | None, *, dry_run: bool
) -> list[launch.RecordResult] | None:
    if loaded.records is None:
        return None
    rows = launch.sheet_rows(loaded.table.frame, loaded.left_out)
    listed = loaded.records.listed
    ids = launch.campaign_ids(rows, state, listed)
    existed = launch.kept_from_existing(rows, state, listed)
    return launch.derive(loaded.records, state, ids, dry_run=dry_run, existed=existed)


def _check_out(settings: Settings) -> None:
    """Refuse a results path whose writing would destroy something: the input, a retry
    file or journal of a run, or any file that is not a results workbook of its own."""
    out = settings.results_path
    for given in filter(None, (settings.input, settings.records)):
        if out.resolve() == given.resolve() or _same_file(out, given):
            message = _("--out {out} is the spreadsheet being read; choose another --out.")
            raise UsageError(message.format(out=out))
    if out.suffix.lower() != ".xlsx":
        message = _(
            "--out {out} must name an Excel workbook ending in .xlsx (the results are one); "
            "choose another --out, such as {example}."
        )
        example = out.with_name(f"{out.stem or 'campaigns'}.results.xlsx")
        raise UsageError(message.format(out=out, example=example))
    if out.name.lower().endswith(".retry.xlsx"):
        message = _(
            "--out {out} is named like a run's retry file (NAME.retry.xlsx), which a run "
            "writes beside its results and must not replace; choose another --out."
        )
        raise UsageError(message.format(out=out))
    if out.exists() and not journal_path(out).exists() and not results.is_results_workbook(out):
        message = _(
            "--out {out} already exists and is not a results workbook of wolkvox-import, so "
            "it is not replaced; choose another --out, or move that file away first."
        )
        raise UsageError(message.format(out=out))


def _same_file(one: Path, other: Path) -> bool:
    """True when both name one existing file (a link, or another case on Windows)."""
    try:
        return one.exists() and other.exists() and os.path.samefile(one, other)
    except OSError:
        return False


def read_live_skills(
    settings: Settings,
    client: WolkvoxClient,
    say: Callable[[str], None] = lambda text: None,
    clock: Clock | None = None,
) -> None:
    """Set ``settings.validation.skills`` from wolkvox's skills list, read once (one call),
    unless a ``--skills`` file gave them. A resume takes the list its run pinned in the
    journal, so that the rows are checked as they were. A list refused the way every
    call would be stops the run before anything is written (:class:`NothingSent`)."""
    if not settings.live_skills or settings.validation.skills is not None:
        return
    if settings.resume:
        path = journal_path(settings.results_path)
        pinned = (read(path).header.get("options") or {}).get("skills_list")
        if isinstance(pinned, dict):
            settings.skills_list = settings.validation.skills = dict(pinned)
        return
    try:
        # a busy token or maintenance is waited out as for the campaign list (--retry-for)
        skills = read_skills(client, clock or Clock(time.time, time.sleep), settings.policy)
    except ListRefused as exc:
        if exc.answer.reason in REFUSED_AT_START:
            raise NothingSent(exc.answer, resume=False) from None
        message = _("{why}. Nothing was sent; run the same command again later.")
        raise ApiStopped(message.format(why=exc)) from None
    except ApiStopped as exc:
        message = _(
            "{why}. Nothing was sent. Run the same command again, or give the skills with "
            "--skills FILE (exported from wolkvox manager)."
        )
        raise ApiStopped(message.format(why=exc)) from None
    if not skills:
        say(_("warning: wolkvox listed no skills; the skill ids are not checked before sending"))
        return
    settings.skills_list = settings.validation.skills = skills


def _connected_check(
    settings: Settings, token: str | None, session: requests.Session | None,
    say: Callable[[str], None],
) -> Listing:  # fmt: skip
    """A dry run with a server (``validate --server``): the skills list (unless a file gave
    them) and the campaign list, read once each under the token lock; nothing is sent."""
    if not token:
        raise UsageError(_("no token: set WOLKVOX_TOKEN or pass --token-file PATH."))
    assert settings.base_url is not None
    check_policy(settings.base_url, settings.timeout, settings.policy)
    with TokenLock(token):
        client = WolkvoxClient(settings.base_url, token, session=session,
                               timeout=settings.timeout)  # fmt: skip
        try:
            read_live_skills(settings, client, say)
            try:
                return index_by_name(client.list_campaigns())
            except ApiStopped as exc:
                raise ApiStopped(_("{why}. Nothing was sent.").format(why=exc)) from None
        finally:
            client.session.close()


def _mark_existing(derived: list[results.RowResult], listing: Listing) -> list[results.RowResult]:
    """A connected check's valid rows whose name wolkvox has already: a run skips them."""
    import dataclasses

    message = _("already exists in wolkvox (same name); a run will not send it")
    marked = []
    for result in derived:
        found = listing.get(schema.name_key(result.name)) if result.status == "valid" else None
        if found:
            result = dataclasses.replace(
                result, status=Status.EXISTS, id_campaign=found[0], message=message
            )
        marked.append(result)
    return marked


def _check_folder(out: Path) -> None:
    """Make the results' folder and prove it can be written, before anything is read:
    a run that could not keep its journal must not read the campaign list, let alone
    send. Trying is the only test that holds everywhere (a read-only drive, a network
    share, Windows' permissions, a superuser)."""
    folder = out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = _("cannot create the folder {folder} ({why}).")
        raise UsageError(message.format(folder=folder, why=exc.strerror)) from None
    try:
        handle, probe = tempfile.mkstemp(prefix=".wolkvox-import-", suffix=".tmp", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        message = _(
            "cannot write in the folder {folder} ({why}); nothing was read or sent. Choose "
            "another --out, or check the folder's permissions."
        )
        raise UsageError(message.format(folder=folder, why=exc.strerror or exc)) from None


def _check_not_a_run(settings: Settings) -> None:
    """A dry run must not replace what a real run wrote: its ids exist nowhere else."""
    journal = journal_path(settings.results_path)
    if journal.exists():
        check = settings.input.with_name(f"{settings.input.stem}.check.xlsx")
        message = _(
            "{out} holds the results of a real run (its journal {journal} is beside it), and "
            "a dry run never replaces them: leave out --out (the check is then written to "
            "{check}) or choose another --out."
        )
        raise UsageError(message.format(out=settings.results_path, journal=journal, check=check))


def _check_can_send(settings: Settings, token: str | None) -> tuple[str, str]:
    """Refuse, before reading anything, a run that must not start."""
    if not token:
        raise UsageError(
            _(
                "no token: set WOLKVOX_TOKEN or pass --token-file PATH "
                "(or use --dry-run to only validate)."
            )
        )
    if not settings.base_url:
        raise UsageError(_("no server: pass --server (e.g. --server 0032) or --base-url."))
    check_policy(settings.base_url, settings.timeout, settings.policy)
    journal_file = journal_path(settings.results_path)
    if settings.resume and not journal_file.exists():
        message = _("nothing to resume: there is no journal at {path}.")
        raise UsageError(message.format(path=journal_file))
    if not settings.resume and journal_file.exists() and not read(journal_file).finished:
        message = _(
            "an unfinished run's journal is at {path}. Run the same command with --resume to "
            "finish that run, or choose another --out."
        )
        raise JournalError(message.format(path=journal_file))
    return token, settings.base_url


def _refuse_loading_again(settings: Settings, loaded: Loaded) -> None:
    """Refuse a run into existing campaigns (records only, or ``--into-existing``) whose
    ``--out`` holds a finished run that added some of these very records: wolkvox cannot
    tell a record loaded twice, and the same command run twice is the usual way to do it.
    Only against the same server: the run before may have been another operation's."""
    table = loaded.records_table
    path = journal_path(settings.results_path)
    if table is None or not settings.loads_into_existing or not path.exists():
        return
    try:
        before = read(path)
    except (JournalError, OSError):
        return  # an unreadable journal is refused or set aside where the run opens it
    if (before.header.get("options") or {}).get("base_url") != settings.base_url:
        return  # another operation's server: these records are not in it
    again = launch.added_before(table.frame, before)
    if not again:
        return
    shown = ", ".join(map(str, again[:10])) + (" ..." if len(again) > 10 else "")
    message = ngettext(
        "{n} of these records (row {rows}) was added already (or may have been) by the run "
        "whose results are {out}: run again, it would be added twice. To load the records "
        "that run did not add, run its records retry file {retry}; to load these again on "
        "purpose, give another --out.",
        "{n} of these records (rows {rows}) were added already (or may have been) by the run "
        "whose results are {out}: run again, they would be added twice. To load the records "
        "that run did not add, run its records retry file {retry}; to load these again on "
        "purpose, give another --out.",
        len(again),
    )
    out = settings.results_path
    retry = record_results.records_retry_path(out)
    raise UsageError(message.format(n=len(again), rows=shown, out=out.name, retry=retry.name))


def _journal_before(settings: Settings) -> JournalState | None:
    """The journal of the run ``settings`` resumes, read once; None if there is none
    (the resume then says so where it opens it)."""
    path = journal_path(settings.results_path)
    return read(path) if path.exists() else None


def _load(settings: Settings) -> Loaded:
    """Read the campaigns and the records (not checked yet: a real run checks them
    against the campaign list, which it reads first)."""
    if settings.campaigns:
        table = load.load_table(
            settings.input, sheet=settings.sheet, encoding=settings.encoding,
            delimiter=settings.delimiter,
        )  # fmt: skip
    else:
        table = _no_campaigns()
    # rows left out take no part in the file-wide rules, as on the page
    checked = schema.validate(
        table.frame, settings.validation, extra=table.problems, excluded=settings.excluded
    )
    loaded = Loaded(table, checked, left_out=settings.excluded)
    if settings.records is not None:
        if not settings.records.exists():
            message = _("--records {path}: no such file. Check the path and try again.")
            raise InputError(message.format(path=settings.records))
        loaded.records_path = settings.records
        loaded.records_table, loaded.records_sheet = record_table.load_records(settings.records)
    else:
        sheet = record_table.records_sheet(table.sheets)
        if sheet is not None:
            if len(table.sheets) == 2 and table.sheet is not None:
                # A launch workbook: which sheet is which is plain, no need to say it.
                said = _('read sheet "{sheet}" (use --sheet to pick another)')
                said = said.format(sheet=table.sheet)
                table.warnings = [w for w in table.warnings if w != said]
            loaded.records_path = settings.input
            loaded.records_sheet = sheet
            loaded.records_table, _sheet = record_table.load_records(settings.input, sheet)
    return loaded


def _no_campaigns() -> load.Table:
    """The campaigns of a run of records only: none."""
    import pandas as pd

    from importer.check.columns import FIELDS

    frame = pd.DataFrame(
        {f: pd.Series([], dtype=object) for f in FIELDS}, index=pd.RangeIndex(2, 2, name="row")
    )
    return load.Table(frame=frame, source=_("no campaigns sheet"))


#: What the CSV reader of older versions could guess for a file that is not UTF-8 (it
#: now always reads Windows-1252): their runs' rows were read so, and are again for
#: their resume and report.
_LEGACY_ENCODINGS = ("cp850", "mac_roman", "latin_1")


def _load_as_recorded(settings: Settings, recorded: Mapping[int, str] | None = None) -> Loaded:
    """The input as the journal's run read it: for a CSV whose encoding an older version
    guessed, that guess, so its rows are the ones sent (the check of their hashes then
    says so); otherwise what :func:`_load` reads."""
    loaded = _load(settings)
    if settings.encoding is not None or loaded.table.encoding != "cp1252":
        return loaded
    if recorded is None:
        recorded = read(journal_path(settings.results_path)).hashes
    if _hashes(loaded.table) == recorded:
        return loaded
    for legacy in _LEGACY_ENCODINGS:
        try:
            again = _load(replace(settings, encoding=legacy))
        except ImporterError:
            continue
        if _hashes(again.table) == recorded:
            return again
    return loaded


def _hashes(table: load.Table) -> dict[int, str]:
    frame = table.frame
    rows = zip(frame.index, frame.itertuples(index=False), strict=True)
    return {int(row): row_hash(values) for row, values in rows}


@dataclass
class _Importer:
    """One real run's sending, with everything it touches held in one place."""

    settings: Settings
    client: WolkvoxClient
    clock: Clock
    stop: StopFlag
    progress: Callable[[int], Progress] | None
    say: Callable[[str], None]
    known: Callable[[Mapping[int, str]], None] | None = None
    records_progress: Callable[[int], Progress] | None = None
    _loaded: Loaded | None = None
    _sender: Sender | None = None
    #: when the campaign list was read at the start (clock seconds)
    _last_read: float | None = None

    def run(self, loaded: Loaded) -> tuple[str, str, JournalState]:
        """Open (or reopen) the journal and send what is left; return how it ended."""
        left_out = self.settings.excluded
        campaigns = [c for c in loaded.checked.campaigns if c.row not in left_out]
        names = {c.row: c.name for c in campaigns}
        journal, listing, list_error = self._open(loaded, names)
        self._loaded = loaded
        # a resume leaves out what the run it resumes left out: its journal says which
        left_out = results.excluded_rows(journal.state)
        campaigns = [c for c in campaigns if c.row not in left_out]
        if journal.set_aside is not None:
            message = _("the journal's last line was cut short by a crash; it was kept in {path}")
            self.say(message.format(path=journal.set_aside))
        try:
            if list_error is not None:
                ended: Ended = self._list_unreadable(journal, list_error)
            else:
                ended = self._send(journal, campaigns, names, listing)
            if ended != Ended.INTERRUPTED:
                journal.finish()
            return ended, journal.state.stop_message, journal.state
        finally:
            journal.close()

    def _open(
        self, loaded: Loaded, names: dict[int, str]
    ) -> tuple[Journal, Listing | None, ApiStopped | None]:
        """The journal; the campaign list read for a new run (None on a resume, or when it
        could not be read); and why it could not be read, if that stops the run."""
        settings = self.settings
        path = journal_path(settings.results_path)
        hashes = _hashes(loaded.table)
        if settings.resume:
            journal = _reopen(settings, path, hashes, self.clock)
            try:
                _reopen_records(settings, loaded, journal.state)
            except BaseException:
                journal.close()
                raise
            return journal, None, None
        _refuse_loading_again(settings, loaded)
        # The list as it is before the run: an unclear row is later confirmed only by a
        # campaign that was not in it.
        listing, why, raw = _read_listing(self, names.values())
        _refused_at_start(why, resume=False)  # before the journal: nothing to strand
        if raw is not None:
            self._last_read = self.clock.now()
        if loaded.records_table is not None:
            # Checked before anything is sent, against the sheet and the list just read.
            listed = launch.listed_for(loaded.records_table.frame, raw or [])
            loaded.records = _check_records(
                loaded,
                listed,
                sheet_given=settings.campaigns,
                simulated=settings.sandbox_ends,
                excluded=settings.records_excluded,
                campaigns_left_out=settings.excluded,
            )
        info = {
            "input": str(settings.input),
            "source": loaded.table.source,
            "options": settings.record(),
            "existing": listing,
            **({} if settings.campaigns else {"campaigns": False}),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        out = settings.results_path
        journal = Journal.start(
            path, hashes=hashes, info=info, now=self.clock.now,
            keep=(out, results.retry_path(out), record_results.records_retry_path(out)),
        )  # fmt: skip
        if loaded.records is not None:
            try:
                journal.records_start(loaded.records.header(settings.records_options()))
            except BaseException:
                journal.close()
                raise
        if journal.archived:
            message = _("the previous run's files were kept under their date: {files}")
            self.say(message.format(files=", ".join(p.name for p in journal.archived)))
        return journal, listing, why if listing is None and settings.skip_existing else None

    def _list_unreadable(self, journal: Journal, why: ApiStopped) -> Ended:
        if self.stop:
            # Ctrl-C (or Stop) while the read waited out a busy token: an interrupted
            # run, to be resumed, not one the server stopped.
            journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
            return Ended.INTERRUPTED
        if isinstance(why, ListRefused) and why.answer.reason:
            # Every call would meet the same refusal (a wrong token): say what to fix,
            # never to send without the check.
            reason = Ended(why.answer.reason)
            journal.stop(reason, _("not sent: {why}").format(why=why.answer.message))
            return reason
        message = _(
            "not sent: {why}. Nothing was sent; run the same command again later. If this "
            "keeps happening, check the server address, or run with --no-skip-existing to "
            "send without this check."
        )
        journal.stop(Ended.LIST, message.format(why=str(why).rstrip(". ")))
        return Ended.LIST

    def _settle(self, journal: Journal, names: dict[int, str], *, resending: bool) -> Settled:
        return settle(
            names, self.client, journal, self.clock, after=self.settings.policy.reconcile_after,
            before=journal.state.header.get("existing"), stop=self.stop, say=self.say,
            resending=resending, policy=self.settings.policy,
        )  # fmt: skip

    def _send(
        self,
        journal: Journal,
        campaigns: list[schema.Campaign],
        names: dict[int, str],
        listing: Listing | None,
    ) -> Ended:
        """Settle what an earlier run left unclear, send what is left, settle again.

        ``listing`` is the campaign list a new run read as it started: the same read
        serves to skip existing names (the API asks for as few reads as possible). A
        resume reads it to settle the rows an earlier run left unclear; the rows it then
        proves never reached wolkvox are sent with the rest, so the resume finishes the
        job. The settling waits until the server's time for those calls has passed.
        """
        state = journal.state
        if self.settings.resume:
            settled = self._settle(journal, names, resending=True)
            listing = settled.listing  # read after the earlier run: fresh enough to skip names
            if settled.absent:
                text = ngettext(
                    "{n} row was sent before the run stopped but never reached wolkvox (the "
                    "campaign list does not show it); it is sent now",
                    "{n} rows were sent before the run stopped but never reached wolkvox (the "
                    "campaign list does not show them); they are sent now",
                    len(settled.absent),
                )
                self.say(text.format(n=len(settled.absent)))
        pending = [c for c in campaigns if state.sendable(c.row)]
        if pending and self.settings.skip_existing:
            if listing is None:  # a resume: the list may have changed since the run began
                listing, why, _raw = _read_listing(self, (c.name for c in pending))
                if listing is None:
                    assert why is not None  # _read_listing gives one or the other
                    _refused_at_start(why, resume=True)  # the journal stays unfinished
                    return self._list_unreadable(journal, why)
            pending = skip_existing(pending, listing, journal)
        assert self._loaded is not None  # set by run()
        records = self._loaded.records
        launching = 0
        if records is not None:
            launching = launch.calls_needed(
                records, state, self.settings.batch_size, self.settings.start
            )
        if len(pending) + launching > DAILY_CALLS:
            if launching:
                warning = _(
                    "warning: {n} calls to make ({rows} campaigns, {calls} batches of records "
                    "and starts), more than the {limit} API calls a licence may make per day; "
                    "expect the run to stop at TOKEN LIMIT EXCEEDED and send the retry files "
                    "another day."
                )
                self.say(warning.format(n=len(pending) + launching, rows=len(pending),
                                        calls=launching, limit=DAILY_CALLS))  # fmt: skip
            else:
                warning = _(
                    "warning: {n} rows to send, more than the {limit} API calls a licence may "
                    "make per day; expect the run to stop at TOKEN LIMIT EXCEEDED and send "
                    "the retry file another day."
                )
                self.say(warning.format(n=len(pending), limit=DAILY_CALLS))
        ended = self._send_pending(journal, pending)
        if ended != Ended.INTERRUPTED:
            self._settle(journal, names, resending=False)
            if self.stop and state.unsettled():
                # Ctrl-C while waiting to check: the rows stay unknown for --resume.
                journal.stop(Ended.INTERRUPTED, _("not sent: the run was interrupted"))
                ended = Ended.INTERRUPTED
        if ended == Ended.DONE and records is not None:
            ended = self._launch(journal, records)
        return ended

    def _launch(self, journal: Journal, records: launch.RecordsLoaded) -> Ended:
        """The records, campaign by campaign, after the campaigns; then the starts."""
        settings = self.settings
        assert self._loaded is not None  # set by run()
        frame = self._loaded.table.frame
        plan = launch.targets(
            records.checked.records.by_campaign(),
            # a resume's rows left out are its journal's too (see run)
            launch.sheet_rows(frame, self._loaded.left_out),
            journal.state,
            records.listed, into_existing=settings.loads_into_existing, known=records.known,
        )  # fmt: skip
        sender = self._sender or Sender(
            self.client, journal, self.clock, policy=settings.policy, stop=self.stop
        )
        batches = launch.calls_needed(records, journal.state, settings.batch_size, start=False)
        bar = (self.records_progress or (lambda total: _NoProgress()))(batches)
        launcher = launch.Launcher(
            sender, self.client, journal, self.clock, self.stop, settings.policy,
            settings.batch_size, settings.start, self.say, self._last_read,
            on_batch=bar.sending, batch_done=bar.row_done,
        )  # fmt: skip
        try:
            return launcher.run(records, plan, resuming=settings.resume)
        except KeyboardInterrupt:
            return Ended.INTERRUPTED
        finally:
            bar.close()

    def _send_pending(self, journal: Journal, pending: list[schema.Campaign]) -> Ended:
        if self.known is not None:
            self.known({row: str(o.status) for row, o in journal.state.outcomes.items()})
        bar = (self.progress or (lambda total: _NoProgress()))(len(pending))
        sender = Sender(
            self.client, journal, self.clock, policy=self.settings.policy, stop=self.stop,
            on_send=bar.sending, on_row=bar.row_done,
        )  # fmt: skip
        self._sender = sender
        try:
            return sender.send(pending)
        except KeyboardInterrupt:
            # A second Ctrl-C: quit now. The row in flight stays attempted without an
            # outcome, i.e. unknown, and --resume will check it.
            return Ended.INTERRUPTED
        finally:
            bar.close()


def _read_listing(
    importer: _Importer, names: Any
) -> tuple[Listing | None, ApiStopped | None, list[dict[str, Any]] | None]:
    """The campaigns that exist before the run, for this file's names; else None and why.
    A busy token or maintenance is waited out as for a send (``--retry-for``). Also the
    list as read (for the records: their campaigns' ids, types and counts)."""
    try:
        raw = read_list(importer.client, importer.clock, importer.settings.policy, importer.stop)
    except ApiStopped as exc:
        return None, exc, None
    listing = index_by_name(raw)
    wanted = {schema.name_key(n) for n in names}
    return {k: v for k, v in listing.items() if k in wanted}, None, raw


def _reopen_records(settings: Settings, loaded: Loaded, state: JournalState) -> None:
    """Check the records again as the run being resumed checked them (from its journal),
    refusing a records sheet that changed, or records given or left out since."""
    header = state.records
    if not header and loaded.records_table is None:
        return
    if not header or loaded.records_table is None:
        message = _(
            "--resume must read the same records as the run it resumes (its journal {path} "
            "has {had}); give the same input and --records, or start a new run with another "
            "--out."
        )
        had = _("records") if header else _("no records")
        raise UsageError(message.format(path=journal_path(settings.results_path), had=had))
    loaded.records = _records_from_journal(loaded, header)
    recorded = header.get("options") or {}
    now = settings.records_options()
    differ = [f"--{k.replace('_', '-')}" for k in ("into_existing", "start", "batch_size")
              if k in recorded and recorded[k] != now[k]]  # fmt: skip
    if differ:
        message = _(
            "--resume must use the same {options} as the run it resumes; give the same values "
            "as that run, or start a new run with another --out."
        )
        raise UsageError(message.format(options=", ".join(differ)))


def _records_from_journal(loaded: Loaded, header: Mapping[str, Any]) -> launch.RecordsLoaded:
    """The records checked as the journal's ``records`` line says, their sheet unchanged."""
    table = loaded.records_table
    assert table is not None and loaded.records_path is not None
    _campaigns, invalid, _left_out = launch.campaigns_in_sheet(loaded.table.frame, loaded.checked)
    records = launch.checked_with(
        table, loaded.records_path, loaded.records_sheet, header.get("known") or {},
        invalid, header.get("listed") or {}, excluded=header.get("excluded") or (),
        left_out_campaigns=header.get("left_out_campaigns") or {},
    )  # fmt: skip
    recorded = header.get("rows") or {}
    now = records.hashes()
    changed = sorted(int(r) for r in set(recorded) | set(now) if recorded.get(r) != now.get(r))
    if changed:
        shown = ", ".join(map(str, changed[:20])) + (" ..." if len(changed) > 20 else "")
        message = _(
            "the records changed since the run (rows {rows}); put the records the run read "
            "back in place, or start a new run with another --out."
        )
        raise JournalError(message.format(rows=shown))
    return records


def _refused_at_start(why: ApiStopped | None, *, resume: bool) -> None:
    """Raise :class:`NothingSent` when the campaign list, read before anything is sent, was
    refused for a reason every call would meet (a wrong token or address)."""
    if isinstance(why, ListRefused) and why.answer.reason in REFUSED_AT_START:
        raise NothingSent(why.answer, resume=resume)


def _reopen(settings: Settings, path: Path, hashes: dict[int, str], clock: Clock) -> Journal:
    """Reopen a journal for ``--resume``, refusing anything that could send twice."""
    state = read(path)
    check_resumable(state, path)
    changed = sorted(
        r for r in set(state.hashes) | set(hashes) if state.hashes.get(r) != hashes.get(r)
    )
    if changed:
        shown = ", ".join(map(str, changed[:20])) + (" ..." if len(changed) > 20 else "")
        message = _(
            "{file} changed since the run being resumed (rows {rows}). Resuming could send the "
            "wrong campaigns: put the original file back, or start a new run with another --out."
        )
        raise JournalError(message.format(file=settings.input.name, rows=shown))
    recorded = state.header.get("options")
    if isinstance(recorded, dict):
        now = settings.record()
        differ = [opt for key, opt in RESUME_MUST_MATCH.items() if recorded.get(key) != now[key]]
        if differ:
            message = _(
                "--resume must use the same {options} as the run it resumes ({path}); give the "
                "same values as that run, or start a new run with another --out."
            )
            raise UsageError(message.format(options=", ".join(differ), path=path))
    return Journal.reopen(path, now=clock.now)


def run_files(target: Path) -> tuple[Path, Path]:
    """The results workbook and the journal of the run ``target`` names.

    ``target`` is a results workbook (a run's ``--out``, or one kept under its date
    when a new run started in its place) or a journal, an archived one included.
    """
    if target.suffix.lower() == ".jsonl":
        out = results_for(target)
        if out is None:
            message = _(
                "{path} is not named like a journal of wolkvox-import (NAME.journal.jsonl); "
                "give the run's results workbook or its journal."
            )
            raise UsageError(message.format(path=target))
        return out, target
    path = journal_path(target)
    base, _dot, tag = target.stem.rpartition(".")
    older = target.with_name(f"{base}.journal.{tag}.jsonl")  # an older version's dated name
    if not path.exists() and base and older.exists():
        return target, older
    return target, path


def rebuild(target: Path) -> Report:
    """Write the results and retry files of a run again from its journal; send nothing.

    For when they could not be written at the end of the run (the workbook was open
    in Excel), or to see again a run kept under its date. ``target``: see
    :func:`run_files`. The input must be the one the run read.
    """
    out, path = run_files(target)
    if not path.exists():
        message = _("there is no journal at {path}: give the --out (results file) of the run.")
        raise UsageError(message.format(path=path))
    state = read(path)
    recorded = state.header.get("options") or {}
    source = Path(str(state.header.get("input", "")))
    settings = Settings(
        input=source, out=out, base_url=recorded.get("base_url"),
        sheet=recorded.get("sheet"), encoding=recorded.get("encoding"),
        delimiter=recorded.get("delimiter"),
        validation=schema.Options(
            default_type=recorded.get("default_type"),
            time_format=recorded.get("time_format") or "hhmmss",
        ),
        excluded=results.excluded_rows(state),
    )  # fmt: skip
    if isinstance(recorded.get("skills_list"), dict):  # the list wolkvox gave the run
        settings.skills_list = settings.validation.skills = dict(recorded["skills_list"])
    elif recorded.get("skills_file"):
        settings.skills_file = Path(recorded["skills_file"])
        settings.validation.skills = load.load_skills(settings.skills_file)
        if _fingerprint(settings.validation.skills) != recorded.get("skills"):
            message = _("the skills file {file} changed since the run; put the run's one back.")
            raise JournalError(message.format(file=settings.skills_file))
    if state.records:
        settings.records = Path(str(state.records.get("input", "")))
        settings.campaigns = bool(state.header.get("campaigns", True))
        options = state.records.get("options") or {}
        settings.start = bool(options.get("start"))
    loaded = _load_recorded(settings, state)
    if _hashes(loaded.table) != state.hashes:
        message = _("{file} changed since the run; put the file the run read back in place.")
        raise JournalError(message.format(file=source))
    if state.records:
        loaded.records = _records_from_journal(loaded, state.records)
    derived = results.derive(loaded.table.frame, loaded.checked, state, dry_run=False)
    ended = (state.stop_reason or Ended.DONE) if state.finished else Ended.INTERRUPTED
    started = dt.datetime.now().astimezone()
    recorded = _records_results(loaded, state, dry_run=False)
    starts = launch.started(state) if recorded is not None else {}
    return finish(settings, loaded, derived, started, ended, state.stop_message, recorded, starts)


def _load_recorded(settings: Settings, state: JournalState) -> Loaded:
    """The input as the run read it: its records from the sheet the journal names."""
    if not state.records:
        settings.records = None
        loaded = _load_as_recorded(settings, state.hashes)
        loaded.records_table = None  # a journal without records reports none
        return loaded
    sheet = state.records.get("sheet")
    path = settings.records
    assert path is not None
    same = path == settings.input
    settings.records = None if same else path
    loaded = _load_as_recorded(settings, state.hashes)
    if same:
        loaded.records_path = path
        loaded.records_sheet = sheet
        loaded.records_table, _sheet = record_table.load_records(path, sheet)
    return loaded
