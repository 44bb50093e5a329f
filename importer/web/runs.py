"""Runs started from the page: one at a time, in a background thread, through ``job.run``.

A run keeps going when the tab is closed; every tab shows the same run. Its files
live in ``runs/N/`` of the working folder: its input (the rows as reviewed), results,
retry file and journal, and ``about.json`` with what the page alone knows (the
uploaded file's name, whether it was a simulation). Which run is unfinished is read
from the journals themselves, never from a record of the page's: a run cut short by
a crash, by Stop or by a fault is offered for resuming, or for closing (its results
written from its journal, as ``wolkvox-import report`` does), after the page is
started again on the same ``--workdir``; until then no other run starts there. A
working folder belongs to one page at a time (:class:`FolderLock`). The token is
handed to the run's thread and nowhere else: not to the run's record, not to any file.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from importer import job
from importer.errors import ImporterError, JournalError, UsageError
from importer.i18n import _
from importer.send.journal import Journal, JournalState, journal_path, read
from importer.send.lock import LockFile
from importer.send.sender import StopFlag
from importer.status import Ended

#: The run's input: the rows as reviewed, as the engine reads them (see workspace).
INPUT_NAME = "campaigns.csv"
RESULTS_NAME = "campaigns.results.xlsx"
#: What the page knows of a run that its journal does not say.
ABOUT = "about.json"
#: Where pages before ``about.json`` named their latest run (read, never written).
LEGACY_MANIFEST = "run.json"
#: The working folder's lock file; the page holding it writes its PID and address there.
FOLDER_LOCK = "page.lock"


#: Statuses of rows that were sent and answered (``exists``: found, not sent again).
SENT_STATUSES = frozenset({"created", "failed", "unknown"})


@dataclass(frozen=True)
class Tally:
    """The one set of numbers every step of the page shows, from the review to the results.

    ``rows`` = ``problems`` + ``to_send``; ``to_send`` = ``done`` + ``left``, where ``done``
    = ``existing`` (found in wolkvox already, not sent again) + ``sent`` (sent and
    answered, or sent without a recorded answer). ``counts`` has the statuses of the done
    rows (``created``, ``failed``, ``unknown``, ``exists``).
    """

    rows: int
    problems: int
    existing: int = 0
    sent: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def to_send(self) -> int:
        return self.rows - self.problems

    @property
    def done(self) -> int:
        return self.existing + self.sent

    @property
    def left(self) -> int:
        return max(0, self.to_send - self.done)

    @classmethod
    def of(cls, rows: int, problems: int, statuses: Mapping[int, str]) -> Tally:
        """From each done row's status (rows never sent, ``not_sent``, are left)."""
        counts = Counter(s for s in statuses.values() if s != "not_sent")
        return cls(
            rows=rows, problems=problems, existing=counts.get("exists", 0),
            sent=sum(n for s, n in counts.items() if s != "exists"), counts=dict(counts),
        )  # fmt: skip

    @classmethod
    def of_results(cls, results: Iterable[Any]) -> Tally:
        """From a report's rows (each with ``row`` and ``status``)."""
        statuses = {r.row: str(r.status) for r in results}
        # rows left out on the page are not sent either: counted with those with problems
        problems = sum(1 for s in statuses.values() if s in ("invalid", "excluded"))
        done = {r: s for r, s in statuses.items() if s not in ("invalid", "excluded")}
        return cls.of(len(statuses), problems, done)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "problems": self.problems, "to_send": self.to_send,
            "done": self.done, "existing": self.existing, "sent": self.sent,
            "left": self.left, "counts": self.counts,
        }  # fmt: skip


class LiveProgress:
    """The run's progress as the page shows it (a :class:`importer.job.Progress`).

    It counts the whole run, not only what this start of it sends: the engine tells it
    (``known``) the rows that already have their outcome, found to exist or answered in
    an earlier part of a resumed run, then how many rows are left (``start``). So the
    page's ``done/to send`` reads the same before a Stop, after it and after the resume.
    """

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._now = now
        #: rows the run sends in all; None until the engine says
        self.to_send: int | None = None
        #: the done rows' statuses when sending began (from the journal)
        self.before: dict[int, str] = {}
        self.counts: Counter[str] = Counter()
        self.current: tuple[int, str] | None = None
        #: (row, status, campaign name) in the order the rows ended
        self.done: list[tuple[int, str, str]] = []
        self.started: float | None = None
        self.names: dict[int, str] = {}
        #: set once the campaign list was read and the first row is about to go
        self.begun = threading.Event()

    @property
    def total(self) -> int:
        return self.to_send or 0

    def known(self, outcomes: Mapping[int, str]) -> None:
        """What the journal says before sending begins (``job.run``'s ``known``)."""
        with self._lock:
            self.before = {r: s for r, s in outcomes.items() if s != "not_sent"}

    def start(self, total: int) -> LiveProgress:
        """The factory ``job.run`` calls once it knows how many rows are left to send."""
        with self._lock:
            self.to_send = total + len(self.before)
            self.started = self._now()
        self.begun.set()
        return self

    def sending(self, row: int, name: str) -> None:
        with self._lock:
            self.current = (row, name)
            self.names[row] = name

    def row_done(self, row: int, status: str) -> None:
        with self._lock:
            self.counts[str(status)] += 1
            self.done.append((row, str(status), self.names.get(row, "")))
            if self.current is not None and self.current[0] == row:
                self.current = None

    def close(self) -> None:
        with self._lock:
            self.current = None

    def statuses(self) -> dict[int, str]:
        """Each done row's status as far as this run knows it now."""
        with self._lock:
            return {**self.before, **{r: s for r, s, _n in self.done}}

    def snapshot(self, since: int) -> dict[str, Any]:
        """The progress now, with the rows ended since the ``since``-th (for the page's polling)."""
        with self._lock:
            statuses = {**self.before, **{r: s for r, s, _n in self.done}}
            done = sum(1 for s in statuses.values() if s != "not_sent")
            answered_now = sum(1 for _r, s, _n in self.done if s != "not_sent")
            elapsed = self._now() - self.started if self.started is not None else 0.0
            total = self.total
            left = None
            if answered_now and total > done:
                left = elapsed / answered_now * (total - done)
            counts = Counter(s for s in statuses.values() if s != "not_sent")
            return {
                "total": total,
                "done": done,
                "counts": dict(counts),
                "current": list(self.current) if self.current else None,
                "elapsed": elapsed,
                "left": left,
                "begun": self.started is not None,
                "rows": [list(r) for r in self.done[since:]],
            }


@dataclass
class Run:
    """One run started from the page (or resumed, or closed, there)."""

    folder: Path
    name: str
    base_url: str
    simulate: bool
    resume: bool = False
    stop: StopFlag = field(default_factory=StopFlag)
    progress: LiveProgress = field(default_factory=LiveProgress)
    state: str = "running"  # running, finished, failed, refused
    report: job.Report | None = None
    error: str = ""
    messages: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None
    #: row -> the first sheet's row number, for a retry file's rows (what the page shows)
    originals: dict[int, int] = field(default_factory=dict)
    #: the input the run reads; None: ``INPUT_NAME`` in its folder
    input_file: Path | None = None
    #: closed from the page without resuming: its results were written from its journal
    closed: bool = False
    #: the rows of the sheet, and how many of them have problems (never sent)
    rows: int = 0
    problems: int = 0
    #: why wolkvox refused the run before anything was sent (a wrong token or address)
    refusal: job.NothingSent | None = None
    #: the valid records the run loads at most (0: the run has none)
    records: int = 0
    #: (when, records answered, batches answered) last read from the journal
    records_seen: tuple[float, int, int] = (0.0, 0, 0)

    def tally(self) -> Tally:
        """The run's numbers now: from its results once it has them, else from its progress."""
        if self.report is not None:
            return Tally.of_results(self.report.results)
        statuses = self.progress.statuses()
        problems = self.problems
        if self.progress.to_send is not None and self.rows:
            problems = self.rows - self.progress.to_send
        return Tally.of(self.rows, problems, statuses)

    @property
    def input(self) -> Path:
        return self.input_file or self.folder / INPUT_NAME

    @property
    def out(self) -> Path:
        return self.folder / RESULTS_NAME

    @property
    def running(self) -> bool:
        return self.state == "running"

    def say(self, text: str) -> None:
        self.messages.append(text)


@dataclass(frozen=True)
class Interrupted:
    """A run whose journal is unfinished: it can be resumed, or closed."""

    folder: Path
    name: str
    base_url: str
    simulate: bool
    #: the run's numbers as its journal has them (rows and problems as recorded at Send)
    tally: Tally
    #: the input the run read, as its journal names it
    input: Path
    #: the journal is finished but its results were never written (see :func:`needs_results`)
    finished: bool = False

    @property
    def out(self) -> Path:
        return self.folder / RESULTS_NAME

    @property
    def done(self) -> int:
        return self.tally.done


@dataclass(frozen=True)
class _Seen:
    """A journal as last read: its size and time, and what it said."""

    stamp: tuple[int, int]
    state: JournalState | None


class Runs:
    """The runs of the working folder: the current one, and an unfinished one."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.lock = threading.Lock()
        self.current: Run | None = None
        #: a run refused before anything was sent, not yet told on the page
        self.refused: Run | None = None
        self._seen: dict[Path, _Seen] = {}

    @property
    def active(self) -> bool:
        return self.current is not None and self.current.running

    def new_folder(self) -> Path:
        """``runs/N`` for the next run (numbers are never reused)."""
        base = self.workdir / "runs"
        with self.lock:  # two Send presses at once must not pick the same number
            base.mkdir(parents=True, exist_ok=True)
            folder = base / str(max(self._numbers(), default=0) + 1)
            folder.mkdir()
        return folder

    def _numbers(self) -> list[int]:
        base = self.workdir / "runs"
        if not base.is_dir():
            return []
        return [int(p.name) for p in base.iterdir() if p.name.isdigit() and p.is_dir()]

    def start(self, run: Run, settings: job.Settings, token: str) -> None:
        """Start ``run`` in its thread; the token goes to that thread only."""
        with self.lock:
            if self.active:
                raise UsageError(_("A run is going already. Wait for it to end, or stop it."))
            found = self._interrupted()
            if found is not None and found.folder != run.folder:
                raise UsageError(unfinished_message(found))
            self._write_about(run)
            self.current = run
            self.refused = None  # an earlier refusal is no longer news
            context = contextvars.copy_context()  # the language of the page that started it
            run.thread = threading.Thread(
                target=context.run,
                args=(self._work, run, settings, token),
                name="wolkvox-import-run",
                daemon=True,
            )
            run.thread.start()

    def _write_about(self, run: Run) -> None:
        data = {
            "name": run.name,
            "base_url": run.base_url,
            "simulate": run.simulate,
            "input": run.input.name,
            "rows": run.rows,
            "problems": run.problems,
            **({"records": run.records} if run.records else {}),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        about = run.folder / ABOUT
        if run.resume and about.exists():
            return
        tmp = run.folder / (ABOUT + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, about)

    def _work(self, run: Run, settings: job.Settings, token: str) -> None:
        _work(run, settings, token)
        if run.refusal is not None:
            # Nothing was sent: no run to show. A new run's folder holds no journal (the
            # engine refused before starting one) and goes; a resumed run stays unfinished.
            if not run.resume and not journal_path(run.out).exists():
                shutil.rmtree(run.folder, ignore_errors=True)
            with self.lock:
                if self.current is run:
                    self.current = None
                self.refused = run

    def take_refusal(self) -> Run | None:
        """The run refused before anything was sent, once (the Send page says why)."""
        with self.lock:
            run, self.refused = self.refused, None
            return run

    def interrupted(self) -> Interrupted | None:
        """The latest run whose journal says it did not finish (None while one is going)."""
        if self.active:
            return None
        return self._interrupted()

    def _interrupted(self) -> Interrupted | None:
        for number in sorted(self._numbers(), reverse=True):
            folder = self.workdir / "runs" / str(number)
            journal = journal_path(folder / RESULTS_NAME)
            state = self._state(journal)
            if state is None or not state.header:
                continue
            if state.finished and not needs_results(folder / RESULTS_NAME, journal):
                continue
            about = self._about(folder)
            recorded = state.header.get("options") or {}
            return Interrupted(
                folder=folder, name=str(about.get("name", "")),
                base_url=str(recorded.get("base_url") or about.get("base_url") or ""),
                simulate=bool(about.get("simulate")), tally=_journal_tally(state, about),
                input=_input_of(folder, state), finished=state.finished,
            )  # fmt: skip
        return None

    def _state(self, path: Path) -> JournalState | None:
        """The journal at ``path`` as it is now (read again only when it changed)."""
        try:
            info = path.stat()
        except OSError:
            return None
        stamp = (info.st_mtime_ns, info.st_size)
        seen = self._seen.get(path)
        if seen is None or seen.stamp != stamp:
            try:
                state: JournalState | None = read(path)
            except JournalError:
                state = None  # damaged or held by another process: nothing the page can do
            seen = self._seen[path] = _Seen(stamp, state)
        return seen.state

    def _about(self, folder: Path) -> dict[str, Any]:
        """What the page recorded about the run in ``folder`` (older pages: ``run.json``)."""
        with contextlib.suppress(OSError, ValueError):
            data = json.loads((folder / ABOUT).read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads((self.workdir / LEGACY_MANIFEST).read_text(encoding="utf-8"))
            if (self.workdir / Path(data["folder"])).resolve() == folder.resolve():
                return dict(data)
        return {}

    def close(self) -> Run:
        """Close the unfinished run without resuming it: write its results from its
        journal, as ``wolkvox-import report`` does (rows never sent ``not_sent``, rows
        whose answer was lost ``unknown``), and mark the journal finished. Nothing is sent.
        """
        with self.lock:
            if self.active:
                raise UsageError(_("A run is going already. Wait for it to end, or stop it."))
            found = self._interrupted()
            if found is None:
                raise UsageError(_("There is no unfinished run to close."))
            # First the results as the journal has them: if they cannot be written, the
            # run stays unfinished and can be closed (or resumed) later.
            report = job.rebuild(found.out)
            if not found.finished:  # a finished journal only lacked its results
                journal = Journal.reopen(journal_path(found.out), now=time.time)
                try:
                    message = _("not sent: the run was closed before this row")
                    journal.stop(Ended.INTERRUPTED, message)
                    journal.finish()
                finally:
                    journal.close()
                report = job.rebuild(found.out)  # again, now saying why the rest was not sent
            run = Run(
                folder=found.folder, name=found.name, base_url=found.base_url,
                simulate=found.simulate, state="finished", report=report,
                input_file=found.input, closed=True, rows=found.tally.rows,
                problems=found.tally.problems,
            )  # fmt: skip
            self.current = run
            return run

    def stop(self) -> None:
        """Finish the request in flight, then stop (what Ctrl-C does)."""
        run = self.current
        if run is not None and run.running:
            run.stop.set()
            run.say(_("Stopping after the request in flight..."))

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the current run's thread to end."""
        run = self.current
        if run is not None and run.thread is not None:
            run.thread.join(timeout)


def needs_results(out: Path, journal: Path) -> bool:
    """True when a finished run's results workbook is missing or older than its journal:
    the run ended (a crash, a full disk, between the journal's last line and the
    results), and its rows have no status anyone can see until they are written."""
    try:
        written = out.stat().st_mtime_ns
    except OSError:
        return True
    try:
        return written < journal.stat().st_mtime_ns
    except OSError:
        return False


def unfinished_message(found: Interrupted) -> str:
    """Why no new run may start while ``found`` is unfinished, and what to do."""
    if found.finished:
        return _(
            "The run of {name} ended, but its results were not written. Close it (its results "
            "are then written from its journal, with every row's status) before sending "
            "another spreadsheet."
        ).format(name=found.name or _("the last file"))
    return _(
        "The run of {name} did not finish: {done} of its {to_send} rows to send are done. "
        "Resume it, or close it (its results are then written with every row's status), "
        "before sending another spreadsheet."
    ).format(name=found.name or _("the last file"), done=found.done, to_send=found.tally.to_send)


def _journal_tally(state: JournalState, about: Mapping[str, Any]) -> Tally:
    """An unfinished run's numbers, from its journal: a row sent without a recorded answer
    counts as sent (closing the run makes it ``unknown``, a resume checks it)."""
    statuses = {r: str(o.status) for r, o in state.outcomes.items()}
    for row in state.attempted_at:
        statuses.setdefault(row, "unknown")
    rows = len(state.hashes)
    try:
        problems = int(about.get("problems", 0))
    except (TypeError, ValueError):
        problems = 0
    return Tally.of(rows, min(max(problems, 0), rows), statuses)


def _input_of(folder: Path, state: JournalState) -> Path:
    """The run's input as its journal names it (found in ``folder`` if that moved)."""
    named = Path(str(state.header.get("input", "")))
    if named.name and named.exists():
        return named
    return folder / (named.name or INPUT_NAME)


class FolderLock(LockFile):
    """This page's hold on its working folder: one page per folder, for the page's life.

    Two pages on one folder would each offer, resume or close the other's runs. The
    lock is the system's (see :mod:`importer.send.lock`), dropped when the process ends
    however it ends; the holder writes its PID and address, for the page it refuses to
    name.
    """

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir / FOLDER_LOCK)

    def acquire(self) -> Self:
        """Take the lock, or raise :class:`UsageError` naming the page holding it (also
        when the folder cannot be written: the page keeps its files there)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as exc:
            raise UsageError(cannot_write(self.path.parent, exc)) from None
        holder = self._take(fd)
        if holder is not None:
            raise UsageError(
                _(
                    "another wolkvox-import page is using the folder {folder} ({holder}). Open "
                    "that page, or stop it first, or give another --workdir."
                ).format(folder=self.path.parent, holder=_holder(holder))
            )
        self.tell("")
        return self

    def tell(self, address: str) -> None:
        """Write this page's PID and address (never its key) where a refused page reads."""
        self._write(str(os.getpid()), address)


def _holder(lines: list[str]) -> str:
    pid = lines[0] if lines and lines[0].isdigit() else ""
    address = lines[1] if len(lines) > 1 else ""
    if pid and address:
        return _("process {pid}, at {address}").format(pid=pid, address=address)
    if pid:
        return _("process {pid}").format(pid=pid)
    return _("another process")


def cannot_write(folder: Path, exc: OSError) -> str:
    """What to say when the working folder cannot be written."""
    return _(
        "cannot write in the folder {folder} ({why}): the page keeps the uploads and the runs "
        "there. Free some disk space, or give a folder you can write to with --workdir."
    ).format(folder=folder, why=exc.strerror or exc)


def _work(run: Run, settings: job.Settings, token: str) -> None:
    """The run's thread: the engine does the work; this only records how it ended."""
    try:
        run.report = job.run(
            settings, token=token, stop=run.stop, progress=run.progress.start, say=run.say,
            known=run.progress.known,
        )  # fmt: skip
        run.state = "finished"
    except job.NothingSent as exc:
        run.refusal = exc
        run.error = str(exc)
        run.state = "refused"
    except ImporterError as exc:
        run.error = str(exc)
        run.state = "failed"
    except Exception as exc:
        # A fault in the importer: its text could hold anything, so only its type is shown.
        run.error = _(
            "Internal error ({kind}). Nothing more was sent; the run's journal stays valid, so "
            "it can be resumed. Please report it."
        ).format(kind=type(exc).__name__)
        run.state = "failed"
    finally:
        run.progress.close()


def human_seconds(seconds: float) -> str:
    """``1:05`` for 65 seconds; ``1:02:03`` past an hour."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
