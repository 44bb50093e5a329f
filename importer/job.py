"""A whole import, stage by stage: load, validate, send, record.

This is the library's front door (the CLI is a thin layer over :func:`run`). Every
outside thing it touches is passed in: the HTTP session, the clock, the stop flag,
the progress display and where messages go.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import requests

from importer import load, results, schema
from importer.client import DEFAULT_TIMEOUT, WolkvoxClient
from importer.errors import ApiStopped, JournalError, UsageError
from importer.journal import Journal, JournalState, journal_path, read, row_hash
from importer.lock import TokenLock
from importer.send import Clock, Policy, Sender, StopFlag, reconcile, skip_existing

#: Calls one licence may make per day, per the contract.
DAILY_CALLS = 1000
#: Why a run can stop early that is the API's doing (exit 3) rather than the rows'.
API_STOPS = frozenset({"quota", "token", "api", "unreachable", "busy", "maintenance", "list"})


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

    @property
    def results_path(self) -> Path:
        return self.out or self.input.with_name(f"{self.input.stem}.results.xlsx")


@dataclass
class Report:
    """What a run did."""

    results: list[results.RowResult]
    problems: list[schema.Problem]
    warnings: list[str]
    source: str
    out: Path
    retry: Path | None
    retry_rows: int
    #: ``done``, or why sending stopped early (quota, token, interrupted, ...)
    ended: str
    ended_message: str = ""
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return results.counts(self.results)

    @property
    def all_succeeded(self) -> bool:
        return all(r.status in results.SUCCESS_STATUSES for r in self.results)


def run(
    settings: Settings,
    *,
    token: str | None = None,
    session: requests.Session | None = None,
    clock: Clock | None = None,
    stop: StopFlag | None = None,
    progress: Callable[[int], Progress] | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Report:
    """Run one import (or a dry run) and write its results; see the README for the flow."""
    clock = clock or Clock(time.time, time.sleep)
    stop = stop if stop is not None else StopFlag()
    started = dt.datetime.now().astimezone()
    out = settings.results_path
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {out.parent} ({exc.strerror}).") from None
    if not settings.dry_run:
        if not token:
            raise UsageError(
                "no token: set WOLKVOX_TOKEN or pass --token-file PATH "
                "(or use --dry-run to only validate)."
            )
        if not settings.base_url:
            raise UsageError("no server: pass --server (e.g. --server 0032) or --base-url.")
        journal_file = journal_path(out)
        if settings.resume and not journal_file.exists():
            raise UsageError(f"nothing to resume: there is no journal at {journal_file}.")
        if not settings.resume and journal_file.exists() and not read(journal_file).finished:
            raise JournalError(
                f"an unfinished run's journal is at {journal_file}. Run the same command with "
                f"--resume to finish that run, or choose another --out."
            )

    table = load.load_table(
        settings.input, sheet=settings.sheet, encoding=settings.encoding,
        delimiter=settings.delimiter,
    )  # fmt: skip
    checked = schema.validate(table.frame, settings.validation)
    if settings.dry_run:
        derived = results.derive(table.frame, checked, None, dry_run=True)
        return _finish(settings, table, checked, derived, started, "done", "", server="")

    assert token is not None and settings.base_url is not None
    hashes = {
        int(row): row_hash(values)
        for row, values in zip(table.frame.index, table.frame.itertuples(index=False), strict=True)
    }
    with TokenLock(token):
        journal = _open_journal(settings, journal_file, hashes, table.source, clock)
        client = WolkvoxClient(settings.base_url, token, session=session, timeout=settings.timeout)
        try:
            ended, message = _send(settings, checked, journal, client, clock, stop, progress, say)
            if ended != "interrupted":
                journal.finish()
        finally:
            journal.close()
            client.session.close()
    derived = results.derive(table.frame, checked, journal.state, dry_run=False)
    return _finish(
        settings, table, checked, derived, started, ended, message, server=settings.base_url
    )


def _open_journal(
    settings: Settings, path: Path, hashes: dict[int, str], source: str, clock: Clock
) -> Journal:
    if settings.resume:
        state = read(path)
        changed = sorted(
            r for r in set(state.hashes) | set(hashes) if state.hashes.get(r) != hashes.get(r)
        )
        if changed:
            shown = ", ".join(map(str, changed[:20])) + (" ..." if len(changed) > 20 else "")
            raise JournalError(
                f"{settings.input.name} changed since the run being resumed (rows {shown}). "
                f"Resuming could send the wrong campaigns: put the original file back, or "
                f"start a new run with another --out."
            )
        return Journal.reopen(path, now=clock.now)
    info = {
        "input": str(settings.input),
        "source": source,
        "base_url": settings.base_url,
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    return Journal.start(path, hashes=hashes, info=info, now=clock.now)


def _send(settings, checked, journal, client, clock, stop, progress, say) -> tuple[str, str]:
    """Send what is left to send; return (why it ended, message)."""
    state: JournalState = journal.state
    campaigns = list(checked.campaigns)  # made once: checked.campaigns builds on demand
    names = {c.row: c.name for c in campaigns}

    def settle_unclear() -> None:
        after = settings.policy.reconcile_after
        reconcile(names, client, journal, clock, after=after, stop=stop, say=say)

    if settings.resume and state.unsettled():
        settle_unclear()
    pending = [c for c in campaigns if state.sendable(c.row)]
    if pending and settings.skip_existing:
        try:
            pending = skip_existing(pending, client, journal)
        except ApiStopped as exc:
            message = (
                f"not sent: {exc} Nothing was sent. Check the token and server, or run "
                f"with --no-skip-existing to send without this check."
            )
            journal.stop("list", message)
            return "list", message
    if len(pending) > DAILY_CALLS:
        say(
            f"warning: {len(pending)} rows to send, more than the {DAILY_CALLS} API calls a "
            "licence may make per day; expect the run to stop at TOKEN LIMIT EXCEEDED and "
            "send the retry file another day."
        )
    bar = (progress or (lambda total: _NoProgress()))(len(pending))
    sender = Sender(
        client, journal, clock, policy=settings.policy, stop=stop, on_send=bar.sending,
        on_row=bar.row_done,
    )  # fmt: skip
    try:
        ended = sender.send(pending)
    except KeyboardInterrupt:
        # A second Ctrl-C: quit now. The row in flight stays attempted without an
        # outcome, i.e. unknown, and --resume will check it.
        ended = "interrupted"
    finally:
        bar.close()
    if ended != "interrupted" and state.unsettled():
        settle_unclear()
        if stop:  # Ctrl-C while waiting to check: the rows stay unknown for --resume
            journal.stop("interrupted", "not sent: the run was interrupted")
            ended = "interrupted"
    return ended, state.stop_message


def _finish(settings, table, checked, derived, started, ended, message, *, server) -> Report:
    out = settings.results_path
    tally = results.counts(derived)
    summary = [
        ("input", str(settings.input)),
        ("read from", table.source),
        ("server", server or "(none: dry run)"),
        (
            "mode",
            "dry run (nothing sent)"
            if settings.dry_run
            else "resume"
            if settings.resume
            else "import",
        ),
        ("started", started.isoformat(timespec="seconds")),
        ("finished", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
        ("ended", "complete" if ended == "done" else f"stopped early: {message or ended}"),
        *((f"column {f}", f'read from "{alias}"') for f, alias in table.aliases.items()),
        *((status, str(n)) for status, n in tally.items()),
        ("rows", str(len(derived))),
    ]
    try:
        results.write_results(out, table.frame, derived, summary)
        retry_file = results.retry_path(out)
        retry_rows = results.write_retry(retry_file, table.frame, derived)
    except OSError as exc:
        raise UsageError(
            f"the results could not be written to {out} ({exc.strerror}). Close the file if it "
            f"is open in Excel, or choose another --out."
        ) from None
    return Report(
        results=derived, problems=checked.problems, warnings=table.warnings, source=table.source,
        out=out, retry=retry_file if retry_rows else None, retry_rows=retry_rows, ended=ended,
        ended_message=message, dry_run=settings.dry_run,
    )  # fmt: skip
