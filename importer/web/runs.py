"""Runs started from the page: one at a time, in a background thread, through ``job.run``.

A run keeps going when the tab is closed; every tab shows the same run. Its files
live in ``runs/N/`` of the working folder, and ``run.json`` there names the latest
one, so that a run interrupted by a crash (or by Stop) can be resumed after the
page is started again on the same ``--workdir``. The token is handed to the
run's thread and nowhere else: not to the run's record, not to any file.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer import job
from importer.errors import ImporterError, JournalError, UsageError
from importer.i18n import _
from importer.journal import journal_path, read
from importer.send import StopFlag

MANIFEST = "run.json"
INPUT_NAME = "campaigns.xlsx"
RESULTS_NAME = "campaigns.results.xlsx"


class LiveProgress:
    """The run's progress as the page shows it (a :class:`importer.job.Progress`)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._now = now
        self.total = 0
        self.counts: Counter[str] = Counter()
        self.current: tuple[int, str] | None = None
        #: (row, status, campaign name) in the order the rows ended
        self.done: list[tuple[int, str, str]] = []
        self.started: float | None = None
        self.names: dict[int, str] = {}

    def start(self, total: int) -> LiveProgress:
        """The factory ``job.run`` calls once it knows how many rows it will send."""
        with self._lock:
            self.total, self.started = total, self._now()
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

    def snapshot(self, since: int) -> dict[str, Any]:
        """The progress now, with the rows ended since the ``since``-th (for the page's polling)."""
        with self._lock:
            done = len(self.done)
            elapsed = self._now() - self.started if self.started is not None else 0.0
            left = None
            if done and self.total > done:
                left = elapsed / done * (self.total - done)
            return {
                "total": self.total,
                "done": done,
                "counts": dict(self.counts),
                "current": list(self.current) if self.current else None,
                "elapsed": elapsed,
                "left": left,
                "rows": [list(r) for r in self.done[since:]],
            }


@dataclass
class Run:
    """One run started from the page (or resumed there)."""

    folder: Path
    name: str
    base_url: str
    simulate: bool
    resume: bool = False
    stop: StopFlag = field(default_factory=StopFlag)
    progress: LiveProgress = field(default_factory=LiveProgress)
    state: str = "running"  # running, finished, failed
    report: job.Report | None = None
    error: str = ""
    messages: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None
    #: row -> the first sheet's row number, for a retry file's rows (what the page shows)
    originals: dict[int, int] = field(default_factory=dict)

    @property
    def input(self) -> Path:
        return self.folder / INPUT_NAME

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
    """A run whose journal is unfinished: it can be resumed."""

    folder: Path
    name: str
    base_url: str
    simulate: bool
    done: int
    rows: int


class Runs:
    """The runs of the working folder: the current one, and the one that can be resumed."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.lock = threading.Lock()
        self.current: Run | None = None

    @property
    def active(self) -> bool:
        return self.current is not None and self.current.running

    def new_folder(self) -> Path:
        """``runs/N`` for the next run (numbers are never reused)."""
        base = self.workdir / "runs"
        with self.lock:  # two Send presses at once must not pick the same number
            base.mkdir(parents=True, exist_ok=True)
            taken = [int(p.name) for p in base.iterdir() if p.name.isdigit()]
            folder = base / str(max(taken, default=0) + 1)
            folder.mkdir()
        return folder

    def start(self, run: Run, settings: job.Settings, token: str) -> None:
        """Start ``run`` in its thread; the token goes to that thread only."""
        with self.lock:
            if self.active:
                raise UsageError(_("A run is going already. Wait for it to end, or stop it."))
            self._write_manifest(run)
            self.current = run
            context = contextvars.copy_context()  # the language of the page that started it
            run.thread = threading.Thread(
                target=context.run,
                args=(_work, run, settings, token),
                name="wolkvox-import-run",
                daemon=True,
            )
            run.thread.start()

    def _write_manifest(self, run: Run) -> None:
        data = {
            "folder": run.folder.relative_to(self.workdir).as_posix(),
            "name": run.name,
            "base_url": run.base_url,
            "simulate": run.simulate,
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        tmp = self.workdir / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.workdir / MANIFEST)

    def interrupted(self) -> Interrupted | None:
        """The latest run, when its journal says it did not finish (and none is going)."""
        if self.active:
            return None
        try:
            data = json.loads((self.workdir / MANIFEST).read_text(encoding="utf-8"))
            folder = self.workdir / Path(data["folder"])
            journal = journal_path(folder / RESULTS_NAME)
            if not journal.exists():
                return None
            state = read(journal)
        except (OSError, ValueError, KeyError, TypeError, JournalError):
            return None
        if state.finished:
            return None
        return Interrupted(
            folder=folder, name=str(data.get("name", "")), base_url=str(data.get("base_url", "")),
            simulate=bool(data.get("simulate")), rows=len(state.hashes),
            done=sum(1 for o in state.outcomes.values() if o.status != "not_sent"),
        )  # fmt: skip

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


def _work(run: Run, settings: job.Settings, token: str) -> None:
    """The run's thread: the engine does the work; this only records how it ended."""
    try:
        run.report = job.run(
            settings, token=token, stop=run.stop, progress=run.progress.start, say=run.say
        )
        run.state = "finished"
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
